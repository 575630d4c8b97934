package postgres

import (
	"context"
	"errors"
	"runtime"
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
	for r.callers(7) < 3 { // all three have joined before the read answers
		runtime.Gosched()
	}
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
	if len(r.reads) != 0 {
		t.Fatalf("%d reads kept after they were answered, want none", len(r.reads))
	}
}

// A subscription that reads again on the wake-up it read on (its poll
// interval passed: another process may have appended without its NOTIFY
// arriving; or its read failed) reads the database again: it is not handed
// the answer, or the error, it had.
func TestSharedReadsAskAgainOnTheSameWakeUp(t *testing.T) {
	var r sharedReads
	ctx := context.Background()
	woken := newSignal().Wait()
	answers := []struct {
		events []eventstore.RecordedEvent
		err    error
	}{
		{nil, nil},                                       // caught up
		{nil, errors.New("connection reset")},            // a failed read
		{[]eventstore.RecordedEvent{{Position: 9}}, nil}, // another process appended
	}
	reads := 0
	read := func() ([]eventstore.RecordedEvent, error) {
		a := answers[reads]
		reads++
		return a.events, a.err
	}
	for i, want := range answers {
		events, err := r.page(ctx, woken, 8, eventstore.Filter{}, read)
		if reads != i+1 {
			t.Fatalf("call %d on one wake-up: %d reads of the database, want %d", i+1, reads, i+1)
		}
		if len(events) != len(want.events) || (err == nil) != (want.err == nil) {
			t.Fatalf("call %d: %v, %v; want %v, %v", i+1, events, err, want.events, want.err)
		}
	}
}

// callers is how many callers the read under way after position after has.
func (r *sharedReads) callers(after eventstore.Position) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for k, sr := range r.reads {
		if k.after == after {
			n += sr.callers
		}
	}
	return n
}
