// Package ratelimit holds token buckets kept in memory, one per key (a
// client's address, the start of a token): each key may spend up to Burst
// tokens at once, and gets one back every Every. The clock is given, so
// tests move time instead of waiting for it.
package ratelimit

import (
	"sync"
	"time"
)

// Buckets is a token bucket per key. A key's bucket exists only while it is
// not full: a full bucket is forgotten, so memory follows the keys that spent
// something lately, not every key ever seen. Safe for concurrent use.
type Buckets struct {
	burst float64
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]bucket
	// sweepAt is the size at which full buckets are swept out next.
	sweepAt int
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was counted
}

// minSweep is the fewest buckets kept before full ones are swept out.
const minSweep = 1024

// New returns buckets of burst tokens that get one token back every every,
// read on the clock now (time.Now when nil).
func New(burst int, every time.Duration, now func() time.Time) *Buckets {
	if now == nil {
		now = time.Now
	}
	return &Buckets{burst: float64(max(burst, 1)), every: max(every, time.Nanosecond), now: now,
		buckets: map[string]bucket{}, sweepAt: minSweep}
}

// level is the bucket of key as it is at t.
func (b *Buckets) level(key string, t time.Time) bucket {
	k, ok := b.buckets[key]
	if !ok {
		return bucket{tokens: b.burst, at: t}
	}
	if d := t.Sub(k.at); d > 0 {
		k.tokens = min(b.burst, k.tokens+float64(d)/float64(b.every))
		k.at = t
	}
	return k
}

// Wait is how long key must wait for a token: zero when it has one now.
func (b *Buckets) Wait(key string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := b.level(key, b.now())
	if k.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - k.tokens) * float64(b.every))
}

// Take spends one of key's tokens (none left: it stays empty).
func (b *Buckets) Take(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.now()
	k := b.level(key, t)
	k.tokens = max(0, k.tokens-1)
	b.buckets[key] = k
	if len(b.buckets) >= b.sweepAt {
		b.sweep(t)
	}
}

// sweep forgets the buckets that are full again at t. What stays decides
// when to sweep next, so that a map full of busy keys is not swept at every
// Take.
func (b *Buckets) sweep(t time.Time) {
	for key := range b.buckets {
		if b.level(key, t).tokens >= b.burst {
			delete(b.buckets, key)
		}
	}
	b.sweepAt = max(minSweep, 2*len(b.buckets))
}

// Len is how many keys have a bucket that is not known to be full.
func (b *Buckets) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buckets)
}
