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

// Scheduled texts in the inbox and in the scheduled read model, rebuilt from
// the log: one waits (last in the thread, by send_at, in the scheduled
// read model), one was released (queued, in its place at its release, the
// thread's activity), one canceled (its reason; not waiting any more).
func TestScheduledProjections(t *testing.T) {
	ctx := context.Background()
	pool, store := newStore(t)
	const company = "co-1"
	customer, ours := phone.Number("+12025550187"), phone.Number("+12025550123")
	th := conversation.Thread{ThreadID: conversation.ThreadID(company, customer), CompanyID: company, CustomerPhone: customer}
	t0 := time.Date(2030, 1, 2, 15, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	waits, left, canceled := uuid.New(), uuid.New(), uuid.New()
	sched := func(id uuid.UUID, body string, min, send int) conversation.Event {
		return conversation.OutboundMessageScheduled{MessageID: id, Thread: th, From: ours, To: customer, Body: body, App: "dashboard",
			SendAt: at(send), ScheduledAt: at(min)}
	}
	appendConversation(t, store, th,
		conversation.MessageReceived{MessageID: uuid.New(), Thread: th, MessagingNumber: ours, MessageSID: "SMin", Body: "hi", App: "sms", ReceivedAt: at(0)},
		sched(waits, "Later", 1, 60),
		sched(left, "Sooner", 2, 30),
		sched(canceled, "Never", 3, 90),
		conversation.OutboundMessageCanceled{MessageID: canceled, Thread: th, Reason: conversation.CancelStaff, At: at(4)},
		conversation.OutboundMessageQueued{MessageID: left, Thread: th, From: ours, To: customer, Body: "Sooner", App: "dashboard", QueuedAt: at(31), SendAt: at(30)},
		conversation.OutboundSendAttempted{MessageID: left, Thread: th, Attempt: 1, At: at(31)},
	)
	for _, p := range []Projector{Inbox{}, Scheduled{}} {
		if _, err := Rebuild(ctx, pool, store, p, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}
	q := Queries{Pool: pool}

	due, err := q.DueScheduled(ctx, at(100), 10)
	if err != nil || len(due) != 1 || due[0].MessageID != waits || !due[0].SendAt.Equal(at(60)) || due[0].Customer != customer || due[0].CompanyID != company {
		t.Fatalf("due %+v %v", due, err)
	}
	if due, err := q.DueScheduled(ctx, at(59), 10); err != nil || len(due) != 0 {
		t.Fatalf("due before its send_at: %+v %v", due, err)
	}
	if next, ok, err := q.NextSendAt(ctx, at(31)); err != nil || !ok || !next.Equal(at(60)) {
		t.Fatalf("next %v %v %v", next, ok, err)
	}
	if _, ok, err := q.NextSendAt(ctx, at(60)); err != nil || ok {
		t.Fatalf("a next send_at after the last: %v %v", ok, err)
	}

	msgs, err := q.Messages(ctx, company, th.ThreadID)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || msgs[0].Direction != "inbound" || msgs[1].ID != canceled || msgs[2].ID != left || msgs[3].ID != waits {
		t.Fatalf("messages %+v", msgs)
	}
	if m := msgs[1]; m.Status != "canceled" || m.CancelReason == nil || *m.CancelReason != "staff" || m.SendAt == nil || !m.SendAt.Equal(at(90)) {
		t.Fatalf("canceled %+v", m)
	}
	if m := msgs[2]; m.Status != "sending" || m.CancelReason != nil || !m.CreatedAt.Equal(at(31)) || m.SendAt == nil || !m.SendAt.Equal(at(30)) {
		t.Fatalf("released %+v", m)
	}
	if m := msgs[3]; m.Status != "scheduled" || !m.CreatedAt.Equal(at(1)) || m.SendAt == nil || !m.SendAt.Equal(at(60)) {
		t.Fatalf("waiting %+v", m)
	}
	thread, err := q.Thread(ctx, company, th.ThreadID)
	if err != nil || !thread.LastActivityAt.Equal(at(31)) || thread.LastMessagePreview != "Sooner" {
		t.Fatalf("thread %+v %v", thread, err)
	}
}
