package commands_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// scheduleAt asks for the staff text id at sendAt.
func (e *outboundEnv) scheduleAt(id uuid.UUID, sendAt time.Time) (uint64, error) {
	pos, err := commands.NewScheduleOutboundHandler(e.store, e.clock()).Handle(context.Background(), commands.ScheduleOutbound{QueueOutbound: e.request(id, false), SendAt: sendAt})
	return uint64(pos), err
}

// A scheduled text needs consent and a send_at in the customer's hours; when
// due, eight releases at once (as if from eight servers) record one.
func TestScheduleThenReleaseOnce(t *testing.T) {
	e := newOutboundEnv(t)
	ctx := context.Background()
	id := uuid.New()
	due := t0.Add(8 * time.Hour) // 17:00 in Chicago
	if _, err := e.scheduleAt(id, due); !errors.Is(err, consent.ErrConsentRequired) {
		t.Fatalf("no consent: %v", err)
	}
	e.consentTo(t, true)
	var qh *conversation.QuietHoursError
	if _, err := e.scheduleAt(id, t0.Add(13*time.Hour)); !errors.As(err, &qh) || !qh.NextAllowed.Equal(t0.Add(23*time.Hour)) {
		t.Fatalf("22:00 in Chicago: %v", err)
	}
	if _, err := e.scheduleAt(id, t0.Add(30*time.Second)); !errors.Is(err, conversation.ErrInvalidSendAt) {
		t.Fatalf("30 s ahead: %v", err)
	}
	pos, err := e.scheduleAt(id, due)
	if err != nil || pos == 0 {
		t.Fatalf("schedule: %d %v", pos, err)
	}
	if again, err := e.scheduleAt(id, due); err != nil || again != pos {
		t.Fatalf("retry: %d %v, want %d", again, err, pos)
	}
	if ev, err := commands.NewReleaseScheduledHandler(e.store, e.clock()).Handle(ctx, commands.ReleaseScheduled{MessageRef: e.ref(id)}); err != nil || ev != nil {
		t.Fatalf("released before it is due: %v %v", ev, err)
	}
	e.now = due
	var wg sync.WaitGroup
	var mu sync.Mutex
	var decided []conversation.Event
	for range 8 {
		wg.Go(func() {
			ev, err := commands.NewReleaseScheduledHandler(e.store, e.clock()).Handle(ctx, commands.ReleaseScheduled{MessageRef: e.ref(id)})
			if err != nil {
				t.Error(err)
			}
			if ev != nil {
				mu.Lock()
				decided = append(decided, ev)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	// The event's derived ID makes a release that lost the race answer the
	// winner's event; the stream holds one.
	for _, ev := range decided {
		if q, ok := ev.(conversation.OutboundMessageQueued); !ok || q.MessageID != id || !q.QueuedAt.Equal(due) {
			t.Fatalf("decided %#v", ev)
		}
	}
	if got := e.types(t); !slices.Equal(got, []string{"OutboundMessageScheduled", "OutboundMessageQueued"}) {
		t.Fatalf("events %v", got)
	}
	if m := e.message(t, id); m.Status != conversation.StatusQueued || !m.SendAt.Equal(due) || !m.WaitsToBeSent() {
		t.Fatalf("released %+v", m)
	}
	if _, err := commands.NewCancelScheduledHandler(e.store, e.clock()).Handle(ctx, commands.CancelScheduled{MessageRef: e.ref(id), Actor: "user:1"}); !errors.Is(err, conversation.ErrNotScheduled) {
		t.Fatalf("cancel once released: %v", err)
	}
}

// When due without consent on the number it was scheduled from, it is
// canceled, reason consent; a user's cancel of a canceled text changes
// nothing.
func TestReleaseWithoutConsentCancels(t *testing.T) {
	e := newOutboundEnv(t)
	ctx := context.Background()
	e.consentTo(t, true)
	id := uuid.New()
	due := t0.Add(8 * time.Hour)
	if _, err := e.scheduleAt(id, due); err != nil {
		t.Fatal(err)
	}
	if _, err := e.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: e.companyID, MessagingNumber: numB}); err != nil {
		t.Fatal(err)
	}
	e.now = due
	ev, err := commands.NewReleaseScheduledHandler(e.store, e.clock()).Handle(ctx, commands.ReleaseScheduled{MessageRef: e.ref(id)})
	if c, ok := ev.(conversation.OutboundMessageCanceled); err != nil || !ok || c.Reason != conversation.CancelConsent {
		t.Fatalf("released after a number change: %#v %v", ev, err)
	}
	pos, err := commands.NewCancelScheduledHandler(e.store, e.clock()).Handle(ctx, commands.CancelScheduled{MessageRef: e.ref(id), Actor: "user:1"})
	if err != nil || pos == 0 {
		t.Fatalf("cancel a canceled text: %d %v", pos, err)
	}
	if got := e.types(t); !slices.Equal(got, []string{"OutboundMessageScheduled", "OutboundMessageCanceled"}) {
		t.Fatalf("events %v", got)
	}
}
