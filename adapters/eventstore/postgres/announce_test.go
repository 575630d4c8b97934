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
		time.Sleep(50 * time.Millisecond) // the subscription is idle, waiting
		start := time.Now()
		if _, err := writer.Append(ctx, "announced", eventstore.Any(), groupEvent()); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-got:
			if e.Position != eventstore.Position(i+1) {
				t.Fatalf("delivered position %d, want %d", e.Position, i+1)
			}
			if waited := time.Since(start); waited > 2*time.Second {
				t.Fatalf("delivered after %v: woken by a poll, not the announcement", waited)
			}
		case <-ctx.Done():
			t.Fatalf("append %d never reached the other process's subscription", i+1)
		}
	}
}
