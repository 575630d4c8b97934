package projections

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// One Twilio SID may name two messages of the log: a text from company A's
// number to company B's number (both on smsinbox's Twilio account) is one
// message at Twilio, recorded as A's outbound message (Twilio's answer to
// the send) and as B's inbound one (the webhook's MessageSid). The inbox
// shows both, whichever comes first; neither is refused or set aside.
func TestInboxOneSIDTwoMessages(t *testing.T) {
	for _, inboundFirst := range []bool{false, true} {
		name := map[bool]string{false: "outbound first", true: "inbound first"}[inboundFirst]
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			pool, store := newStore(t)

			numA, numB := phone.Number("+12025550123"), phone.Number("+12025550130")
			// In A's conversation with B's number, and B's with A's.
			thA := conversation.Thread{ThreadID: conversation.ThreadID("co-a", numB), CompanyID: "co-a", CustomerPhone: numB}
			thB := conversation.Thread{ThreadID: conversation.ThreadID("co-b", numA), CompanyID: "co-b", CustomerPhone: numA}
			at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
			const sid = "SM0123456789abcdef0123456789abcdef"
			out, in := uuid.New(), uuid.New()
			outbound := []conversation.Event{
				conversation.OutboundMessageQueued{MessageID: out, Thread: thA, From: numA, To: numB, Body: "Hello B", App: "dashboard", QueuedAt: at},
				conversation.OutboundSendAttempted{MessageID: out, Thread: thA, Attempt: 1, At: at},
				conversation.OutboundMessageSent{MessageID: out, Thread: thA, TwilioSID: sid, TwilioStatus: "queued", Status: conversation.StatusSending, At: at},
				conversation.OutboundMessageStatusChanged{MessageID: out, Thread: thA, TwilioSID: sid, TwilioStatus: "delivered", Status: conversation.StatusDelivered, At: at.Add(time.Second)},
			}
			inbound := []conversation.Event{
				conversation.MessageReceived{MessageID: in, Thread: thB, MessagingNumber: numB, MessageSID: sid, Body: "Hello B", App: "sms", ReceivedAt: at.Add(time.Second)},
			}
			if inboundFirst {
				appendConversation(t, store, thB, inbound...)
				appendConversation(t, store, thA, outbound...)
			} else {
				appendConversation(t, store, thA, outbound...)
				appendConversation(t, store, thB, inbound...)
			}
			if _, err := Rebuild(ctx, pool, store, Inbox{}, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatalf("rebuild refused a log with one SID on two messages: %v", err)
			}

			q := Queries{Pool: pool}
			for _, c := range []struct {
				company     string
				thread      uuid.UUID
				id          uuid.UUID
				dir, status string
			}{
				{"co-a", thA.ThreadID, out, "outbound", "delivered"},
				{"co-b", thB.ThreadID, in, "inbound", "received"},
			} {
				msgs, err := q.Messages(ctx, c.company, c.thread)
				if err != nil {
					t.Fatalf("%s: %v", c.company, err)
				}
				if len(msgs) != 1 || msgs[0].ID != c.id || msgs[0].Direction != c.dir || msgs[0].Status != c.status {
					t.Fatalf("%s's messages %+v, want its %s message %s %s", c.company, msgs, c.dir, c.id, c.status)
				}
				var got *string
				if err := pool.QueryRow(ctx, `SELECT twilio_sid FROM messages WHERE id = $1`, c.id).Scan(&got); err != nil || got == nil || *got != sid {
					t.Fatalf("%s's message SID %v %v", c.company, got, err)
				}
			}
		})
	}
}
