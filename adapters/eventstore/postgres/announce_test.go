package postgres

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// TestAnnounceWakesOtherProcesses: an append in one process wakes a
// subscription in another at once, not at its next poll (here an hour away).
func TestAnnounceWakesOtherProcesses(t *testing.T) {
	url := pgtest.NewDatabase(t)
	_, writer := openStore(t, url, Config{PollInterval: time.Hour})
	_, reader := openStore(t, url, Config{PollInterval: time.Hour})
	idle := make(chan eventstore.Position, 64)
	reader.idle = func(cp eventstore.Position) {
		select {
		case idle <- cp:
		default:
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	got := make(chan eventstore.RecordedEvent)
	go func() {
		for e, err := range reader.Subscribe(ctx, eventstore.Start, eventstore.Filter{}) {
			if err != nil {
				return
			}
			got <- e
		}
	}()
	for i := range 3 {
		// The subscription has read everything so far and waits: only the
		// announcement can wake it before ctx ends (its poll is an hour
		// away).
		for waiting := false; !waiting; {
			select {
			case cp := <-idle:
				waiting = cp >= eventstore.Position(i)
			case <-ctx.Done():
				t.Fatalf("the subscription never waited after position %d", i)
			}
		}
		if _, err := writer.Append(ctx, "announced", eventstore.Any(), groupEvent()); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.Position != eventstore.Position(i+1) {
				t.Fatalf("delivered position %d, want %d", e.Position, i+1)
			}
		case <-ctx.Done():
			t.Fatalf("append %d never reached the other process's subscription: not woken by the announcement", i+1)
		}
	}
}

// TestOwnAnnouncementDoesNotWakeAgain: a store's own announcement reaches
// its own listener, which must not wake its subscriptions a second time
// (the commit woke them already: a second wake is an empty read of the log
// per subscription per commit); another store's announcement still wakes
// them.
//
// S holds the subscription (its poll an hour away: only wakes move it). D,
// appended through W, is read once S listens (either S's listener woke it
// or it read D after listening). E is appended through S; once a listener
// of the test has heard both announcements (W's of D, S's of E), F is
// appended through W: S's listener hears S's announcement of E before W's
// of F, so by the time S has read F, every wake E caused has come and gone.
// From E on, the subscription may wait twice: after the read its commit
// woke, and after the read W's announcement of F woke (once only, should
// the first read have found F already). Woken by its own announcement too,
// it waits a third time (at E, or at F).
func TestOwnAnnouncementDoesNotWakeAgain(t *testing.T) {
	url := pgtest.NewDatabase(t)
	_, s := openStore(t, url, Config{PollInterval: time.Hour})
	pool, w := openStore(t, url, Config{PollInterval: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var mu sync.Mutex
	var waits []eventstore.Position // each idle pass's checkpoint, in order
	waited := make(chan struct{}, 1)
	s.idle = func(cp eventstore.Position) {
		mu.Lock()
		waits = append(waits, cp)
		mu.Unlock()
		select {
		case waited <- struct{}{}:
		default:
		}
	}
	waitFor := func(pos eventstore.Position) {
		t.Helper()
		for {
			mu.Lock()
			reached := len(waits) > 0 && waits[len(waits)-1] >= pos
			mu.Unlock()
			if reached {
				return
			}
			select {
			case <-waited:
			case <-ctx.Done():
				t.Fatalf("the subscription never waited at %d", pos)
			}
		}
	}

	listener, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Release()
	if _, err := listener.Exec(ctx, `LISTEN es_appended`); err != nil {
		t.Fatal(err)
	}
	go func() {
		for _, err := range s.Subscribe(ctx, eventstore.Start, eventstore.Filter{}) {
			if err != nil {
				return
			}
		}
	}()

	d, err := w.Append(ctx, "d", eventstore.Any(), groupEvent())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(d.Position)
	e, err := s.Append(ctx, "e", eventstore.Any(), groupEvent())
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // W's of D, S's of E
		if _, err := listener.Conn().WaitForNotification(ctx); err != nil {
			t.Fatalf("waiting for the announcements: %v", err)
		}
	}
	f, err := w.Append(ctx, "f", eventstore.Any(), groupEvent())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(f.Position) // woken by W's announcement: other stores still wake it

	mu.Lock()
	defer mu.Unlock()
	fromE := 0
	for _, cp := range waits {
		if cp >= e.Position {
			fromE++
		}
	}
	if fromE > 2 {
		t.Fatalf("the subscription waited %d times from E (%d) on, want at most twice; every wait: %v", fromE, e.Position, waits)
	}
}
