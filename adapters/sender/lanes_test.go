package sender

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

func testJob(ep *epoch, customer phone.Number, pos eventstore.Position) job {
	return job{q: conversation.OutboundMessageQueued{MessageID: uuid.New(), Thread: conversation.Thread{CompanyID: "co", CustomerPhone: customer}},
		pos: pos, ep: ep}
}

// A customer's jobs run in order, one at a time; another customer's run
// beside them, even while the first's is held.
func TestLanesOrderAndParallel(t *testing.T) {
	l := newLanes(100, 4, 16)
	ep := newProgress(nil, nil).epochFor(context.Background())
	var mu sync.Mutex
	var order []eventstore.Position
	hold := make(chan struct{})
	bobRan := make(chan struct{})
	run := func(j job) {
		if j.pos == 1 {
			<-hold
		}
		mu.Lock()
		order = append(order, j.pos)
		mu.Unlock()
		if j.q.CustomerPhone == bob {
			close(bobRan)
		}
		ep.finish(j.pos)
	}
	for pos, c := range []phone.Number{alice, alice, bob, alice} {
		if err := l.dispatch(context.Background(), testJob(ep, c, eventstore.Position(pos+1)), run); err != nil {
			t.Fatal(err)
		}
	}
	<-bobRan // while alice's first job is held
	close(hold)
	l.stop()
	l.wait()
	var aliceOrder []eventstore.Position
	for _, p := range order {
		if p != 3 {
			aliceOrder = append(aliceOrder, p)
		}
	}
	if !slices.Equal(aliceOrder, []eventstore.Position{1, 2, 4}) || order[0] != 3 {
		t.Fatalf("order %v", order)
	}
}

// The handler waits while the backlog is full, and a text already in a lane
// is not put again.
func TestLanesBacklog(t *testing.T) {
	l := newLanes(1, 4, 16)
	ep := newProgress(nil, nil).epochFor(context.Background())
	release := make(chan struct{})
	runs := make(chan eventstore.Position, 4)
	run := func(j job) {
		runs <- j.pos
		<-release
	}
	first := testJob(ep, alice, 1)
	if err := l.dispatch(context.Background(), first, run); err != nil {
		t.Fatal(err)
	}
	if err := l.dispatch(context.Background(), first, run); err != nil { // again: nothing
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := l.dispatch(ctx, testJob(ep, bob, 2), run); err == nil {
		t.Fatal("a full backlog took another job")
	}
	done := make(chan error, 1)
	go func() { done <- l.dispatch(context.Background(), testJob(ep, bob, 2), run) }()
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l.stop()
	l.wait()
	if len(runs) != 2 {
		t.Fatalf("%d runs, want 2", len(runs))
	}
}

// Calls are bounded per messaging number and in all.
func TestLanesAcquire(t *testing.T) {
	l := newLanes(10, 1, 2)
	ctx := context.Background()
	relA, err := l.acquire(ctx, ourNumber)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := l.acquire(short, ourNumber); err == nil {
		t.Fatal("a second call from the same number")
	}
	other := phone.MustParse("+12025550100", "")
	relB, err := l.acquire(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	third := phone.MustParse("+12025550101", "")
	short2, cancel2 := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel2()
	if _, err := l.acquire(short2, third); err == nil {
		t.Fatal("a third call beyond the global bound")
	}
	relA()
	relC, err := l.acquire(ctx, third)
	if err != nil {
		t.Fatal(err)
	}
	relB()
	relC()
}

// The checkpoint's low-water mark: below the oldest text not done, else the
// last event handed over.
func TestLowWater(t *testing.T) {
	ep := newProgress(nil, nil).epochFor(context.Background())
	ep.add(5)
	ep.add(9)
	ep.seen(12)
	if lw := ep.lowWater(); lw != 4 {
		t.Fatalf("low water %d, want 4", lw)
	}
	ep.finish(5)
	if lw := ep.lowWater(); lw != 8 {
		t.Fatalf("low water %d, want 8", lw)
	}
	ep.finish(9)
	if lw := ep.lowWater(); lw != 12 {
		t.Fatalf("low water %d, want 12", lw)
	}
}

// A job dispatched while the sender stops either runs before wait returns
// or is refused: no lane starts once wait has begun (under -race, a lane
// started then is a WaitGroup Add racing its Wait).
func TestLanesStopWhileDispatching(t *testing.T) {
	for i := range 5000 {
		l := newLanes(100, 4, 16)
		ep := newProgress(nil, nil).epochFor(context.Background())
		ctx, cancel := context.WithCancel(context.Background())
		var ran sync.WaitGroup
		ran.Add(1)
		dispatched := make(chan error, 1)
		go func() {
			defer ran.Done()
			dispatched <- l.dispatch(ctx, testJob(ep, alice, eventstore.Position(i+1)), func(job) {})
		}()
		l.stop()
		l.wait()
		cancel() // a refused dispatch waits for its message's context
		ran.Wait()
		if err := <-dispatched; err != nil && err != errStopping {
			t.Fatalf("dispatch while stopping: %v", err)
		}
	}
}
