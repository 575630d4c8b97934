package commands

import (
	"container/list"
	"context"
	"reflect"
	"sync"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// States is an event store that also remembers the states commands folded
// from its streams, so that a command's cost does not grow with its
// stream's length: Load starts from the state it remembers and reads only
// the events appended after that state's version (one indexed read that
// finds nothing, or the few events another process appended). The store
// stays the truth and the expected-version check stays what it was: a
// command decides on the remembered state plus every event the stream has
// now, which is exactly the whole stream folded, and appends only if no
// other event came in between (else it loads again). Nothing is ever
// answered from memory alone, so several processes, each with its own
// States, see one another's appends.
//
// Domain states are persistent values (their lists and maps are copied,
// never changed in place, by Evolve), so a remembered state is shared by
// the commands that start from it. A state is remembered per stream and
// state type: one state type has one Evolve. At most max streams are
// remembered, the least recently used forgotten first.
type States struct {
	eventstore.Store
	max   int
	mu    sync.Mutex
	known map[stateKey]*list.Element
	order *list.List // most recently used first; values are *knownState
}

type stateKey struct {
	stream eventstore.StreamID
	state  reflect.Type
}

type knownState struct {
	key      stateKey
	state    any
	version  int64
	position eventstore.Position
}

// DefaultStates is how many streams' states a server remembers.
const DefaultStates = 10000

// WithStates wraps store so that Load remembers states (at most max
// streams; DefaultStates when max <= 0).
func WithStates(store eventstore.Store, max int) *States {
	if max <= 0 {
		max = DefaultStates
	}
	return &States{Store: store, max: max, known: map[stateKey]*list.Element{}, order: list.New()}
}

func (s *States) get(key stateKey) (knownState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.known[key]
	if !ok {
		return knownState{}, false
	}
	s.order.MoveToFront(el)
	return *el.Value.(*knownState), true
}

// put remembers a state unless one of a later version is remembered (two
// commands on one stream at once: keep whichever read further).
func (s *States) put(k knownState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.known[k.key]; ok {
		if el.Value.(*knownState).version < k.version {
			el.Value = &k
		}
		s.order.MoveToFront(el)
		return
	}
	s.known[k.key] = s.order.PushFront(&k)
	for s.order.Len() > s.max {
		last := s.order.Back()
		s.order.Remove(last)
		delete(s.known, last.Value.(*knownState).key)
	}
}

// AppendWatching forwards to the wrapped store (eventstore.Watcher).
func (s *States) AppendWatching(ctx context.Context, watch []eventstore.StreamID, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, []int64, error) {
	return eventstore.AppendWatching(ctx, s.Store, watch, stream, expected, events...)
}

// Len says how many streams' states are remembered.
func (s *States) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
