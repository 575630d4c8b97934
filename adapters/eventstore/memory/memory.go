// Package memory is an eventstore.Store held in the process's memory: the
// store of tests that exercise the domain and the use cases rather than a
// database. It keeps every promise of the port, and passes the same contract
// suite as the PostgreSQL and EventStoreDB adapters:
//
//   - one global log, its positions 1, 2, 3, … without gaps, in the order
//     appends took effect;
//   - each append all or none, under its expected version;
//   - a retry of an append whose event IDs are all recorded in that stream,
//     in that order, records nothing and answers the original result; an ID
//     recorded anywhere else refuses the append (eventstore.ErrDuplicateEvent);
//   - catch-up subscriptions that read after a position, then wait for the
//     next append, never skipping or repeating an event.
//
// Appends take one lock, so the log only ever grows by whole appends and a
// reader never sees one half written: there is no append "in flight" for a
// subscriber to pass over. Nothing is persisted; a Store is empty when made
// and forgotten when dropped. Events go in and come out as copies, so no
// caller can change what another reads.
package memory

import (
	"context"
	"sync"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// pageSize is how many events a read copies under the lock at a time: a
// reader never holds the lock while its consumer works.
const pageSize = 256

// Store is an eventstore.Store in memory. Its zero value is not usable; call New.
type Store struct {
	mu sync.RWMutex
	// log holds every event; the event at position p is log[p-1].
	log []eventstore.RecordedEvent
	// streams holds each stream's positions in version order.
	streams map[eventstore.StreamID][]eventstore.Position
	// ids finds an event's position by its ID.
	ids map[uuid.UUID]eventstore.Position
	// grown is closed, and replaced, by every append that records events:
	// a subscription that read up to the head waits on the channel it saw
	// in that same read, so no append can slip between the two.
	grown chan struct{}
}

var _ eventstore.Store = (*Store)(nil)

// New makes an empty Store.
func New() *Store {
	return &Store{
		streams: map[eventstore.StreamID][]eventstore.Position{},
		ids:     map[uuid.UUID]eventstore.Position{},
		grown:   make(chan struct{}),
	}
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return eventstore.Position(len(s.log)), nil
}

// Close implements eventstore.Store. A Store in memory holds no connection:
// there is nothing to release, and it stays readable and writable.
func (s *Store) Close() error { return nil }
