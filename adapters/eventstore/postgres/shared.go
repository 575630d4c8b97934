package postgres

import (
	"context"
	"strings"
	"sync"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// sharedReads lets the subscriptions of one process that a commit woke
// together read the log once: every consumer of the process (the
// projectors' reader, each reactor's, the sender's) stands at the head
// when a commit wakes them all, and each read the same page on its own, a
// query apiece for the same rows.
//
// A read is shared only between subscriptions woken by the same wake-up
// (the signal's channel they took before reading) from the same checkpoint
// with the same filter, and only while it is under way. That keeps
// Subscribe's promise: a read started after a wake-up's channel was made
// sees every commit that came before it; a commit after it closes that
// channel, and every subscription that took it reads again, whether it
// read alone or shared. An answered read is forgotten at once: a
// subscription that reads again on the same wake-up (its poll interval
// passed, another process may have appended without a NOTIFY reaching
// this one; or the read failed) must ask the database, not the answer it
// had.
type sharedReads struct {
	mu    sync.Mutex
	reads map[readKey]*sharedRead
}

type readKey struct {
	woken  <-chan struct{}
	after  eventstore.Position
	filter string
}

// sharedRead is one page read for every subscription of its key.
type sharedRead struct {
	callers int // how many asked for it (under sharedReads.mu)
	done    chan struct{}
	events  []eventstore.RecordedEvent
	err     error
}

func filterKey(f eventstore.Filter) string {
	return strings.Join(f.StreamPrefixes, "\x00") + "\x01" + strings.Join(f.EventTypes, "\x00")
}

// page answers the page of the log after position after that matches f, as
// read once for every caller that holds the same wake-up and comes while
// the read is under way: the first caller runs read, the others wait for
// its answer. read must not depend on the caller's context (one caller's
// end must not fail the others' read).
func (r *sharedReads) page(ctx context.Context, woken <-chan struct{}, after eventstore.Position, f eventstore.Filter,
	read func() ([]eventstore.RecordedEvent, error)) ([]eventstore.RecordedEvent, error) {
	key := readKey{woken: woken, after: after, filter: filterKey(f)}
	r.mu.Lock()
	if r.reads == nil {
		r.reads = map[readKey]*sharedRead{}
	}
	sr, joined := r.reads[key]
	if !joined {
		sr = &sharedRead{done: make(chan struct{})}
		r.reads[key] = sr
	}
	sr.callers++
	r.mu.Unlock()
	if !joined {
		go func() {
			events, err := read()
			r.mu.Lock()
			delete(r.reads, key) // answered: whoever comes next reads again
			r.mu.Unlock()
			sr.events, sr.err = events, err
			close(sr.done)
		}()
	}
	select {
	case <-sr.done:
		return sr.events, sr.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
