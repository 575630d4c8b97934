package sender

import (
	"sync"
	"testing"
	"time"
)

// testClock is a clock that moves only when a test advances it; its timers
// fire then.
type testClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*testTimer
	changed chan struct{} // closed, and replaced, when a timer is set
}

type testTimer struct {
	at time.Time
	d  time.Duration
	ch chan time.Time
}

func newTestClock() *testClock {
	return &testClock{now: time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC), changed: make(chan struct{})}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, &testTimer{at: c.now.Add(d), d: d, ch: ch})
	close(c.changed)
	c.changed = make(chan struct{})
	return ch
}

// timerSet returns a channel closed when the next timer is set.
func (c *testClock) timerSet() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// Advance moves the clock on by d and fires the timers due.
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, tm := range c.timers {
		if tm.at.After(c.now) {
			kept = append(kept, tm)
			continue
		}
		tm.ch <- c.now
	}
	c.timers = kept
}

// pending is the longest timer set and not fired, 0 for none.
func (c *testClock) pending() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var d time.Duration
	for _, tm := range c.timers {
		d = max(d, tm.d)
	}
	return d
}

// waitTimer waits until a timer of at least least is set and not fired, and
// returns the longest such timer's duration.
func (c *testClock) waitTimer(t *testing.T, least time.Duration) time.Duration {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		c.mu.Lock()
		ch := c.changed
		var got time.Duration
		for _, tm := range c.timers {
			if tm.d >= least && tm.d > got {
				got = tm.d
			}
		}
		c.mu.Unlock()
		if got > 0 {
			return got
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no timer of at least %s was set", least)
		}
	}
}
