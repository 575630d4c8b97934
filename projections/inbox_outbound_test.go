package projections

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// The inbox projects outbound messages: statuses only climb (whatever order
// the log holds them in), the thread's activity and preview move forward
// except for hidden messages, and unread and archived stay as they were.
func TestInboxOutbound(t *testing.T) {
	ctx := context.Background()
	pool, store := newStore(t)

	const company = "co-1"
	customer, ours := phone.Number("+12025550187"), phone.Number("+12025550123")
	th := conversation.Thread{ThreadID: conversation.ThreadID(company, customer), CompanyID: company, CustomerPhone: customer}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	reply, hidden, refused := uuid.New(), uuid.New(), uuid.New()
	events := []conversation.Event{
		conversation.MessageReceived{MessageID: uuid.New(), Thread: th, MessagingNumber: ours, MessageSID: "SMin", Body: "hi", App: "sms", ReceivedAt: at(0)},
		conversation.ThreadRead{Thread: th, At: at(1)},
		conversation.ThreadArchived{Thread: th, At: at(1)},
		conversation.OutboundMessageQueued{MessageID: reply, Thread: th, From: ours, To: customer, Body: "See you", App: "dashboard", QueuedAt: at(2)},
		conversation.OutboundSendAttempted{MessageID: reply, Thread: th, Attempt: 1, At: at(2)},
		conversation.OutboundMessageSent{MessageID: reply, Thread: th, TwilioSID: "SMout", TwilioStatus: "queued", Status: conversation.StatusSending, At: at(2)},
		conversation.OutboundMessageStatusChanged{MessageID: reply, Thread: th, TwilioSID: "SMout", TwilioStatus: "delivered", Status: conversation.StatusDelivered, At: at(3)},
		// Neither a late status nor a failure moves a final status.
		conversation.OutboundMessageStatusChanged{MessageID: reply, Thread: th, TwilioSID: "SMout", TwilioStatus: "sent", Status: conversation.StatusSent, At: at(4)},
		conversation.OutboundMessageFailed{MessageID: reply, Thread: th, ErrorCode: 30003, Reason: "x", At: at(4)},
		conversation.OutboundMessageQueued{MessageID: hidden, Thread: th, From: ours, To: customer, Body: "You have been unsubscribed", App: "automated", Automated: true, Hidden: true, QueuedAt: at(5)},
		conversation.OutboundMessageQueued{MessageID: refused, Thread: th, From: ours, To: customer, Body: "Offer", App: "dashboard", QueuedAt: at(1)},
		conversation.OutboundSendAttempted{MessageID: refused, Thread: th, Attempt: 1, At: at(6)},
		conversation.OutboundMessageFailed{MessageID: refused, Thread: th, ErrorCode: 21610, Reason: "refused", CarrierOptOut: true, At: at(6)},
	}
	appendConversation(t, store, th, events...)
	if _, err := Rebuild(ctx, pool, store, Inbox{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}

	q := Queries{Pool: pool}
	thread, err := q.Thread(ctx, company, th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if thread.Unread || !thread.Archived || !thread.LastActivityAt.Equal(at(2)) || thread.LastMessagePreview != "See you" ||
		thread.LastCustomerReplyAt == nil || !thread.LastCustomerReplyAt.Equal(at(0)) {
		t.Fatalf("thread %+v", thread)
	}
	msgs, err := q.Messages(ctx, company, th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	// Oldest first; the hidden message is not shown.
	if len(msgs) != 3 || msgs[0].Direction != "inbound" || msgs[1].ID != refused || msgs[2].ID != reply {
		t.Fatalf("messages %+v", msgs)
	}
	if m := msgs[2]; m.Direction != "outbound" || m.Status != "delivered" || m.ErrorCode != nil || m.From != string(ours) ||
		m.To != string(customer) || m.App != "dashboard" || m.Automated || !m.CreatedAt.Equal(at(2)) {
		t.Fatalf("reply %+v", m)
	}
	if m := msgs[1]; m.Status != "failed" || m.ErrorCode == nil || *m.ErrorCode != 21610 {
		t.Fatalf("refused %+v", m)
	}
	var status string
	var automated, isHidden bool
	var sid *string
	if err := pool.QueryRow(ctx, `SELECT status, automated, hidden, twilio_sid FROM messages WHERE id = $1`, hidden).Scan(&status, &automated, &isHidden, &sid); err != nil {
		t.Fatal(err)
	}
	if status != "queued" || !automated || !isHidden || sid != nil {
		t.Fatalf("hidden message %s %v %v %v", status, automated, isHidden, sid)
	}
	if err := pool.QueryRow(ctx, `SELECT twilio_sid FROM messages WHERE id = $1`, reply).Scan(&sid); err != nil || sid == nil || *sid != "SMout" {
		t.Fatalf("reply's SID %v %v", sid, err)
	}
}

// An automated text may open a thread: read, not archived, no customer reply.
func TestInboxOutboundOpensThread(t *testing.T) {
	ctx := context.Background()
	pool, store := newStore(t)
	customer := phone.Number("+12025550187")
	th := conversation.Thread{ThreadID: conversation.ThreadID("co", customer), CompanyID: "co", CustomerPhone: customer}
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := conversation.OutboundMessageQueued{MessageID: uuid.New(), Thread: th, From: "+12025550123", To: customer,
		Body: "Reply YES to receive texts", App: "automated", Automated: true, QueuedAt: at}
	appendConversation(t, store, th, ev)
	if _, err := Rebuild(ctx, pool, store, Inbox{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	thread, err := Queries{Pool: pool}.Thread(ctx, "co", th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if thread.Unread || thread.Archived || thread.LastCustomerReplyAt != nil || !thread.LastActivityAt.Equal(at) ||
		thread.LastMessagePreview != "Reply YES to receive texts" {
		t.Fatalf("thread %+v", thread)
	}
}

// newStore is a fresh database and the PostgreSQL event store on it.
func newStore(t testing.TB) (*pgxpool.Pool, *postgres.Store) {
	t.Helper()
	pool := pgtest.NewPool(t)
	store, err := postgres.New(context.Background(), pool, postgres.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return pool, store
}

// appendConversation appends events to the thread's conversation stream.
func appendConversation(t *testing.T, store eventstore.Store, th conversation.Thread, events ...conversation.Event) {
	t.Helper()
	for _, ev := range events {
		data, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Append(context.Background(), conversation.StreamID(th.CompanyID, th.CustomerPhone), eventstore.Any(), eventstore.EventData{
			ID: uuid.New(), Type: ev.EventType(), SchemaVersion: conversation.SchemaVersion, Data: data, OccurredAt: ev.OccurredAt()}); err != nil {
			t.Fatal(err)
		}
	}
}
