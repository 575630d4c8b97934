package postgres

import (
	"context"
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
