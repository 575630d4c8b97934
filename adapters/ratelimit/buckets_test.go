package ratelimit_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/ratelimit"
)

// clock is a time that moves only when the test says.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestBuckets(t *testing.T) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := ratelimit.New(3, 10*time.Second, c.now)
	for i := range 3 {
		if w := b.Wait("a"); w != 0 {
			t.Fatalf("take %d: wait %s before the burst is spent", i, w)
		}
		b.Take("a")
	}
	if w := b.Wait("a"); w != 10*time.Second {
		t.Fatalf("empty: wait %s, want 10s", w)
	}
	if w := b.Wait("b"); w != 0 {
		t.Fatalf("another key waits %s", w)
	}
	c.advance(4 * time.Second)
	if w := b.Wait("a"); w != 6*time.Second {
		t.Fatalf("after 4 s: wait %s, want 6s", w)
	}
	c.advance(6 * time.Second)
	if w := b.Wait("a"); w != 0 {
		t.Fatalf("after 10 s: wait %s, want a token", w)
	}
	b.Take("a")
	if w := b.Wait("a"); w != 10*time.Second {
		t.Fatalf("one token back, spent again: wait %s", w)
	}
	// Taking from an empty bucket keeps it empty, not in debt.
	b.Take("a")
	c.advance(10 * time.Second)
	if w := b.Wait("a"); w != 0 {
		t.Fatalf("an empty bucket went into debt: wait %s", w)
	}
	// Never more than the burst, however long it rested.
	c.advance(time.Hour)
	for range 3 {
		b.Take("a")
	}
	if w := b.Wait("a"); w == 0 {
		t.Fatal("a rested bucket holds more than its burst")
	}
}

// Full buckets are forgotten once there are many: memory follows the keys
// that spent lately.
func TestBucketsForgetFullOnes(t *testing.T) {
	c := &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	b := ratelimit.New(2, time.Second, c.now)
	for i := range 1000 {
		b.Take(fmt.Sprint("old-", i))
	}
	c.advance(time.Minute)
	for i := range 100 {
		b.Take(fmt.Sprint("new-", i))
	}
	if n := b.Len(); n >= 1024 || n < 100 {
		t.Fatalf("%d buckets kept, want the 100 spent lately", n)
	}
	if w := b.Wait("new-1"); w != 0 {
		t.Fatalf("new-1 waits %s with one token left", w)
	}
}
