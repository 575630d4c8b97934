package conversation_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

func assigned(sid, name string, min int) conversation.MessageSIDAssigned {
	return conversation.MessageSIDAssigned{TwilioSID: sid, MessageID: outID(name), Thread: thread, At: at(min)}
}

func kept(sid, status string, code, min int) conversation.StatusCallbackKept {
	return conversation.StatusCallbackKept{TwilioSID: sid, TwilioStatus: status, ErrorCode: code, At: at(min)}
}

func assign(sid, name string, min int) conversation.AssignSID {
	return conversation.AssignSID{TwilioSID: sid, MessageID: outID(name), Thread: thread, At: at(min)}
}

func keep(sid, status string, code, min int) conversation.KeepCallback {
	return conversation.KeepCallback{TwilioSID: sid, TwilioStatus: status, ErrorCode: code, At: at(min)}
}

func givenSID(es ...conversation.Event) conversation.SIDIndex {
	var s conversation.SIDIndex
	for _, e := range es {
		s = conversation.EvolveSID(s, e)
	}
	return s
}

func TestDecideSID(t *testing.T) {
	tests := []struct {
		name  string
		given []conversation.Event
		when  conversation.SIDCommand
		then  []conversation.Event
		err   error
	}{
		// The SID is assigned once, to one message.
		{"assign a new SID", nil, assign("SMa", "M1", 1), events(assigned("SMa", "M1", 1)), nil},
		{"assign after kept callbacks", events(kept("SMa", "sent", 0, 0)), assign("SMa", "M1", 1), events(assigned("SMa", "M1", 1)), nil},
		{"assign again (a retry)", events(assigned("SMa", "M1", 1)), assign("SMa", "M1", 2), nil, nil},
		{"assign to another message", events(assigned("SMa", "M1", 1)), assign("SMa", "M2", 2), nil, conversation.ErrInvalidCommand},
		{"assign on another SID's index", events(kept("SMb", "sent", 0, 0)), assign("SMa", "M1", 1), nil, conversation.ErrInvalidCommand},
		{"assign without SID", nil, assign("", "M1", 1), nil, conversation.ErrInvalidCommand},
		{"assign without message", nil, conversation.AssignSID{TwilioSID: "SMa", Thread: thread, At: at(1)}, nil, conversation.ErrInvalidCommand},
		{"assign without thread", nil, conversation.AssignSID{TwilioSID: "SMa", MessageID: outID("M1"), At: at(1)}, nil, conversation.ErrInvalidCommand},
		{"assign without time", nil, conversation.AssignSID{TwilioSID: "SMa", MessageID: outID("M1"), Thread: thread}, nil, conversation.ErrInvalidCommand},

		// A callback before the SID is known is kept, once per status and code.
		{"keep a callback", nil, keep("SMa", "sent", 0, 1), events(kept("SMa", "sent", 0, 1)), nil},
		{"keep a second status", events(kept("SMa", "sent", 0, 1)), keep("SMa", "undelivered", 30003, 2), events(kept("SMa", "undelivered", 30003, 2)), nil},
		{"keep the same callback again", events(kept("SMa", "sent", 0, 1)), keep("SMa", "sent", 0, 2), nil, nil},
		{"keep once the SID is assigned", events(assigned("SMa", "M1", 1)), keep("SMa", "sent", 0, 2), nil, conversation.ErrSIDAssigned},
		{"keep without status", nil, keep("SMa", "", 0, 1), nil, conversation.ErrInvalidCommand},
		{"keep without SID", nil, keep("", "sent", 0, 1), nil, conversation.ErrInvalidCommand},
		{"keep without time", nil, conversation.KeepCallback{TwilioSID: "SMa", TwilioStatus: "sent"}, nil, conversation.ErrInvalidCommand},
		{"nil command", nil, nil, nil, conversation.ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.DecideSID(givenSID(tt.given...), tt.when)
			if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("events\n got %#v\nwant %#v", got, tt.then)
			}
		})
	}
}

func TestEvolveSID(t *testing.T) {
	base := givenSID(kept("SMa", "sent", 0, 1))
	a := conversation.EvolveSID(base, kept("SMa", "delivered", 0, 2))
	b := conversation.EvolveSID(base, kept("SMa", "failed", 30007, 2))
	if len(base.Pending) != 1 || a.Pending[1].TwilioStatus != "delivered" || b.Pending[1].TwilioStatus != "failed" {
		t.Fatalf("states share their pending callbacks: %+v %+v %+v", base.Pending, a.Pending, b.Pending)
	}
	s := conversation.EvolveSID(a, assigned("SMa", "M1", 3))
	if !s.Assigned || s.SID != "SMa" || s.MessageID != outID("M1") || s.Thread != thread || len(s.Pending) != 2 {
		t.Fatalf("assigned index %+v", s)
	}
	if got := conversation.EvolveSID(s, queued("M1", 1)); !reflect.DeepEqual(got, s) {
		t.Fatal("a conversation event changed the index")
	}
}

func TestSIDEvents(t *testing.T) {
	for _, e := range []conversation.Event{assigned("SMa", "M1", 1), conversation.StatusCallbackKept{TwilioSID: "SMa", TwilioStatus: "failed", ErrorCode: 30007, ErrorMessage: "carrier", At: at(2)}} {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := conversation.DecodeSID(e.EventType(), data)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Fatalf("%s round trip %#v %v", e.EventType(), got, err)
		}
	}
	if _, err := conversation.DecodeSID(conversation.TypeMessageReceived, []byte(`{}`)); !errors.Is(err, conversation.ErrUnknownEvent) {
		t.Errorf("DecodeSID of a conversation event: %v", err)
	}
	if got := conversation.SIDStreamID("SMa"); got != "twilio-sid-SMa" {
		t.Errorf("SIDStreamID = %q", got)
	}
	if types := conversation.SIDEventTypes(); len(types) != 2 {
		t.Errorf("SIDEventTypes = %v", types)
	}
	one, two := conversation.SIDEventID(assigned("SMa", "M1", 1)), conversation.SIDEventID(assigned("SMa", "M1", 5))
	if one == uuid.Nil || one != two || one == conversation.SIDEventID(assigned("SMb", "M1", 1)) {
		t.Error("MessageSIDAssigned's event ID is not one per SID")
	}
	k := conversation.SIDEventID(kept("SMa", "sent", 0, 1))
	if k == uuid.Nil || k != conversation.SIDEventID(kept("SMa", "sent", 0, 9)) || k == conversation.SIDEventID(kept("SMa", "delivered", 0, 1)) {
		t.Error("StatusCallbackKept's event ID is not one per SID, status and code")
	}
	if conversation.SIDEventID(queued("M1", 1)) != uuid.Nil {
		t.Error("a conversation event has a SID event ID")
	}
}
