package sender

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// wakes wakes a waiting test each time something it may wait for has
// happened: an event appended to the log, a write of a sender's checkpoint, a
// timer set on the test clock. A test takes wait's channel, looks, and waits
// on it while what it looks for is not there yet: a change during its look
// is not missed.
type wakes struct {
	mu sync.Mutex
	ch chan struct{}
}

func newWakes() *wakes { return &wakes{ch: make(chan struct{})} }

func (w *wakes) wait() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

func (w *wakes) wake() {
	w.mu.Lock()
	defer w.mu.Unlock()
	close(w.ch)
	w.ch = make(chan struct{})
}

// follow wakes w each time the channel next returned closes, until ctx
// ends; next returns a channel closed by the next change. The next channel
// is taken before waking, so a change while the test looks wakes it again.
func (w *wakes) follow(ctx context.Context, next func() <-chan struct{}) {
	go func() {
		ch := next()
		for {
			select {
			case <-ch:
			case <-ctx.Done():
				return
			}
			ch = next()
			w.wake()
		}
	}()
}

// followLog wakes w at each event appended to store's log after its head
// now, until ctx ends.
func (w *wakes) followLog(ctx context.Context, t *testing.T, store eventstore.Store) {
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for _, err := range store.Subscribe(ctx, head, eventstore.Filter{}) {
			if err != nil {
				return
			}
			w.wake()
		}
	}()
}

// until waits until cond holds, looking again each time w wakes, for at
// most 30 s (a bound against a hung test, not a measure of speed).
func (w *wakes) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		ch := w.wait()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
