package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// A commit that wakes no one (another process's whose NOTIFY was lost;
// here the writer's commit alone, without its wake-up) is
// found by the subscription's poll: the safety net reads the database,
// not the answer the wake-up it still holds was given.
func TestPollFindsACommitThatWokeNoOne(t *testing.T) {
	url := pgtest.NewDatabase(t)
	_, s := openStore(t, url, Config{PollInterval: 20 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	idle := make(chan eventstore.Position, 1)
	s.idle = func(cp eventstore.Position) {
		select {
		case idle <- cp:
		default:
		}
	}
	got := make(chan eventstore.RecordedEvent, 1)
	go func() {
		for e, err := range s.Subscribe(ctx, eventstore.Start, eventstore.Filter{}) {
			if err != nil {
				return
			}
			got <- e
		}
	}()
	select {
	case <-idle: // caught up on an empty log: the next read is a poll's
	case <-ctx.Done():
		t.Fatal("the subscription never caught up")
	}

	// The writer's lean commit, without the writer's wake-up after it or
	// an announcement: as far as this process can tell, no one appended.
	args, err := encodeEvents([]eventstore.EventData{groupEvent()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.appendLean(ctx, []*appendRequest{{ctx: ctx, stream: "silent", expected: eventstore.Any(), args: args}}); !ok {
		t.Fatal("the lean append did not commit")
	}
	select {
	case e := <-got:
		if e.Stream != "silent" {
			t.Fatalf("got an event of %s, want the silent commit's", e.Stream)
		}
	case <-ctx.Done():
		t.Fatal("the poll never found a commit that woke no one")
	}
}
