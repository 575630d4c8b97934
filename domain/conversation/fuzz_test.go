package conversation_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

// FuzzDecideReceive: any inbound message, on any thread, is recorded once,
// exactly as it will be replayed from the store, and leaves the thread unread
// in the Inbox; never panics.
func FuzzDecideReceive(f *testing.F) {
	f.Add("SM1", "hello", "https://x/1", uint8(0))
	f.Add("SM1", "STOP", "", uint8(1))
	f.Add("SM\xff", "hi\x00", "\xfe", uint8(2))
	f.Fuzz(func(t *testing.T, sid, body, mediaURL string, history uint8) {
		history0 := [][]conversation.Event{
			nil,
			{received("SM1", 0), read(1)},
			{received("SM1", 0), archived(1)},
			{received("SM1", 0), read(1), archived(2)},
		}[int(history)%4]
		s := given(history0...)
		c := receive(sid, 5)
		c.Body = body
		if mediaURL != "" {
			c.Media = []conversation.Media{{URL: mediaURL, ContentType: "image/jpeg"}}
		}
		got, err := conversation.Decide(s, c)
		if sid == "" {
			if err == nil {
				t.Fatal("no SID accepted")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.HasMessage(sid) {
			if len(got) != 0 {
				t.Fatalf("known SID decided %#v", got)
			}
			return
		}
		if len(got) != 1 {
			t.Fatalf("decided %#v", got)
		}
		data, err := json.Marshal(got[0])
		if err != nil {
			t.Fatal(err)
		}
		back, err := conversation.Decode(got[0].EventType(), data)
		if err != nil || !reflect.DeepEqual(back, got[0]) {
			t.Fatalf("round trip\n got %#v\nwant %#v (%v)", back, got[0], err)
		}
		after := conversation.Evolve(s, back)
		if !after.Unread || after.Archived || after.Messages != s.Messages+1 {
			t.Fatalf("after a message: %+v", after)
		}
		if again, err := conversation.Decide(after, c); err != nil || len(again) != 0 {
			t.Fatalf("repeat decided %#v %v", again, err)
		}
	})
}
