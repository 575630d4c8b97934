package conversation_test

import (
	"reflect"
	"testing"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

// autoReplyMsg queues the after-hours auto-reply name at minute min.
func autoReplyMsg(name string, min int) conversation.QueueMessage {
	c := queueMsg(name, min)
	c.App, c.Automated, c.AutoReply = "automated", true, true
	return c
}

func autoReplied(name string, min int) conversation.OutboundMessageQueued {
	e := queued(name, min)
	e.App, e.Automated, e.AutoReply = "automated", true, true
	return e
}

// At most one auto-reply per thread per 12 hours, decided on the thread
// itself, so that two texts answered at once get one.
func TestQueueAutoReplyOncePer12Hours(t *testing.T) {
	const hour = 60
	for _, tt := range []struct {
		name   string
		thread []conversation.Event
		when   conversation.QueueMessage
		then   []conversation.Event
	}{
		{"the first", events(received("SM1", 0)), autoReplyMsg("A1", 1), events(autoReplied("A1", 1))},
		{"a second within 12 hours", events(autoReplied("A1", 1)), autoReplyMsg("A2", 1+12*hour-1), nil},
		{"a second at 12 hours", events(autoReplied("A1", 1)), autoReplyMsg("A2", 1+12*hour), events(autoReplied("A2", 1+12*hour))},
		{"staff texts and consent texts do not count", events(queued("M1", 0), hiddenQueued("H1", 0)), autoReplyMsg("A1", 1), events(autoReplied("A1", 1))},
		{"the same auto-reply again (a retried webhook)", events(autoReplied("A1", 1)), autoReplyMsg("A1", 2), nil},
		{"an auto-reply is automated even when the command forgets", nil, func() conversation.QueueMessage {
			c := autoReplyMsg("A1", 1)
			c.Automated = false
			return c
		}(), events(autoReplied("A1", 1))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.thread...), tt.when)
			if err != nil || !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("got %#v, %v\nwant %#v", got, err, tt.then)
			}
		})
	}
	s := given(autoReplied("A1", 1), queued("M1", 30), autoReplied("A2", 13*hour))
	if !s.LastAutoReplyAt.Equal(at(13 * hour)) {
		t.Fatalf("LastAutoReplyAt = %v", s.LastAutoReplyAt)
	}
	if m, _ := s.Outbound(outID("A2")); !m.ConsentBound() || !m.AutoReply {
		t.Fatalf("the auto-reply is not bound by consent: %+v", m)
	}
	if m, _ := s.Outbound(outID("M1")); !m.ConsentBound() {
		t.Fatal("a staff text is not bound by consent")
	}
}
