package postgres

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Subscriptions woken by one wake-up, at one place, read the log once; a
// later wake-up reads it again; a caller whose context ends stops waiting
// without failing the others' read.
func TestSharedReadsOncePerWakeUp(t *testing.T) {
	var r sharedReads
	var reads atomic.Int32
	started, release := make(chan struct{}, 4), make(chan struct{})
	read := func() ([]eventstore.RecordedEvent, error) {
		reads.Add(1)
		started <- struct{}{}
		<-release
		return []eventstore.RecordedEvent{{Position: 8}}, nil
	}
	sig := newSignal()
	woken := sig.Wait()
	ctx := context.Background()

	answers := make(chan []eventstore.RecordedEvent, 2)
	go func() {
		events, _ := r.page(ctx, woken, 7, eventstore.Filter{}, read)
		answers <- events
	}()
	<-started // the first read is under way: the second caller joins it
	quitting, quit := context.WithCancel(ctx)
	gaveUp := make(chan error, 1)
	go func() {
		_, err := r.page(quitting, woken, 7, eventstore.Filter{}, read)
		gaveUp <- err
	}()
	go func() {
		events, _ := r.page(ctx, woken, 7, eventstore.Filter{}, read)
		answers <- events
	}()
	quit()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("a caller whose context ended: %v, want context.Canceled", err)
	}
	close(release)
	for range 2 {
		if events := <-answers; len(events) != 1 || events[0].Position != 8 {
			t.Fatalf("answer %v, want the event at 8", events)
		}
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("%d reads for three callers of one wake-up, want 1", n)
	}

	sig.Broadcast() // a commit: the next wake-up reads again
	if _, err := r.page(ctx, sig.Wait(), 7, eventstore.Filter{}, read); err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n != 2 {
		t.Fatalf("%d reads after a second wake-up, want 2", n)
	}
	if _, err := r.page(ctx, sig.Wait(), 7, eventstore.Filter{EventTypes: []string{"T"}}, read); err != nil {
		t.Fatal(err)
	}
	if n := reads.Load(); n != 3 {
		t.Fatalf("%d reads after another filter's, want 3", n)
	}
	if len(r.reads) != 2 {
		t.Fatalf("%d reads kept, want the current wake-up's 2: the earlier ones are forgotten", len(r.reads))
	}
}
