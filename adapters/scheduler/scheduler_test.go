package scheduler_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/scheduler"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/projections"
)

var t0 = time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)

// world is the scheduler's surroundings, in memory: the read model of the
// scheduled messages, the release (which takes a message out of the read
// model and says so), the clock and its alarms, the lock, the change
// notifications. Every call the scheduler makes is reported on a channel,
// so the test waits for signals, never for time.
type world struct {
	mu      sync.Mutex
	now     time.Time
	waiting map[uuid.UUID]time.Time // the read model: message → send_at
	alarms  []alarm
	changed chan struct{}
	fail    int // the next fail releases fail

	released chan uuid.UUID // every release that decided
	set      chan time.Time // every alarm set
	claims   chan context.CancelFunc
}

type alarm struct {
	at time.Time
	ch chan time.Time
}

func newWorld() *world {
	return &world{now: t0, waiting: map[uuid.UUID]time.Time{}, changed: make(chan struct{}),
		released: make(chan uuid.UUID, 100), set: make(chan time.Time, 1000), claims: make(chan context.CancelFunc, 10)}
}

func (w *world) DueScheduled(_ context.Context, now time.Time, limit int) ([]projections.ScheduledRef, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []projections.ScheduledRef
	for id, at := range w.waiting {
		if !at.After(now) {
			out = append(out, projections.ScheduledRef{MessageID: id, SendAt: at})
		}
	}
	slices.SortFunc(out, func(a, b projections.ScheduledRef) int { return a.SendAt.Compare(b.SendAt) })
	return out[:min(limit, len(out))], nil
}

func (w *world) NextSendAt(_ context.Context, now time.Time) (time.Time, bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var next time.Time
	for _, at := range w.waiting {
		if at.After(now) && (next.IsZero() || at.Before(next)) {
			next = at
		}
	}
	return next, !next.IsZero(), nil
}

func (w *world) release(_ context.Context, ref projections.ScheduledRef) (conversation.Event, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fail > 0 {
		w.fail--
		return nil, errors.New("the database is away")
	}
	delete(w.waiting, ref.MessageID)
	w.released <- ref.MessageID
	return conversation.OutboundMessageQueued{MessageID: ref.MessageID}, nil
}

func (w *world) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) Alarm(at time.Time) <-chan time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !w.now.Before(at) {
		ch <- w.now
	} else {
		w.alarms = append(w.alarms, alarm{at, ch})
	}
	w.set <- at
	return ch
}

func (w *world) advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.now = w.now.Add(d)
	for _, a := range w.alarms {
		if !w.now.Before(a.at) {
			a.ch <- w.now
		}
	}
}

// schedule puts a message in the read model and notifies a change.
func (w *world) schedule(at time.Time) uuid.UUID {
	id := uuid.New()
	w.mu.Lock()
	w.waiting[id] = at
	close(w.changed)
	w.changed = make(chan struct{})
	w.mu.Unlock()
	return id
}

func (w *world) Changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.changed
}

func (w *world) lock(ctx context.Context, _ string) (context.Context, func(), error) {
	claimed, cancel := context.WithCancel(ctx)
	w.claims <- cancel
	return claimed, cancel, nil
}

// start runs a scheduler in w until the test ends.
func (w *world) start(t *testing.T, batch int) {
	t.Helper()
	s := scheduler.New(scheduler.Config{Queries: w, Release: w.release, Lock: w.lock, Changed: w.Changed,
		Now: w.Now, Alarm: w.Alarm, Batch: batch, Backoff: time.Millisecond, LookGap: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s", what)
		var zero T
		return zero
	}
}

// waitAlarm waits until the scheduler sets an alarm at want.
func (w *world) waitAlarm(t *testing.T, want time.Time) {
	t.Helper()
	for {
		if at := receive(t, w.set, "alarm at "+want.String()); at.Equal(want) {
			return
		}
	}
}

// It sleeps until the earliest send_at, and wakes for a message scheduled
// earlier than the one it waits for.
func TestWakesAtTheEarliestSendAt(t *testing.T) {
	w := newWorld()
	late := w.schedule(t0.Add(time.Hour))
	w.start(t, 100)
	w.waitAlarm(t, t0.Add(time.Hour))
	early := w.schedule(t0.Add(10 * time.Minute))
	w.waitAlarm(t, t0.Add(10*time.Minute))
	w.advance(10 * time.Minute)
	if got := receive(t, w.released, "release"); got != early {
		t.Fatalf("released %v first, want the earlier %v", got, early)
	}
	w.waitAlarm(t, t0.Add(time.Hour))
	select {
	case id := <-w.released:
		t.Fatalf("released %v before it was due", id)
	default:
	}
	w.advance(50 * time.Minute)
	if got := receive(t, w.released, "release"); got != late {
		t.Fatalf("released %v, want %v", got, late)
	}
}

// A release that failed is tried again; more due messages than a batch are
// all released at one wake-up.
func TestRetriesAndBatches(t *testing.T) {
	w := newWorld()
	w.fail = 2
	var ids []uuid.UUID
	for i := range 5 {
		ids = append(ids, w.schedule(t0.Add(time.Duration(i)*time.Second-time.Minute)))
	}
	w.start(t, 2)
	var got []uuid.UUID
	for range ids {
		got = append(got, receive(t, w.released, "release"))
	}
	if len(got) != len(ids) {
		t.Fatalf("released %v, want %v", got, ids)
	}
}

// When its lock is lost it claims again, and goes on.
func TestClaimsAgainWhenTheLockIsLost(t *testing.T) {
	w := newWorld()
	w.start(t, 100)
	lose := receive(t, w.claims, "claim")
	lose()
	receive(t, w.claims, "claim again")
	id := w.schedule(t0)
	if got := receive(t, w.released, "release"); got != id {
		t.Fatalf("released %v, want %v", got, id)
	}
}
