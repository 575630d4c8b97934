package memory

import (
	"context"
	"fmt"
	"iter"
	"slices"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ReadStream implements eventstore.Store.
func (s *Store) ReadStream(ctx context.Context, stream eventstore.StreamID, from uint64) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		next := from
		for {
			if err := ctx.Err(); err != nil {
				yield(eventstore.RecordedEvent{}, fmt.Errorf("read %s: %w", stream, err))
				return
			}
			page := s.streamPage(stream, next)
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < pageSize {
				return
			}
			next += uint64(len(page))
		}
	}
}

// streamPage copies up to pageSize events of stream from version from on.
func (s *Store) streamPage(stream eventstore.StreamID, from uint64) []eventstore.RecordedEvent {
	s.mu.RLock()
	defer s.mu.RUnlock()
	positions := s.streams[stream]
	if from >= uint64(len(positions)) {
		return nil
	}
	positions = positions[from:min(from+pageSize, uint64(len(positions)))]
	page := make([]eventstore.RecordedEvent, len(positions))
	for i, p := range positions {
		page[i] = clone(s.log[p-1])
	}
	return page
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, f eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		head, err := s.Head(ctx)
		if err != nil {
			yield(eventstore.RecordedEvent{}, fmt.Errorf("read the global log after %d: %w", after, err))
			return
		}
		for cp := after; cp < head; {
			if err := ctx.Err(); err != nil {
				yield(eventstore.RecordedEvent{}, fmt.Errorf("read the global log after %d: %w", cp, err))
				return
			}
			page, last, _ := s.logPage(cp, head, f)
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			cp = last
		}
	}
}

// logPage copies the events after position after, up to position upTo, that
// match f: at most pageSize of them. It answers the last position it looked
// at (the next page starts after it) and the channel that the next append
// closes, both as of this read.
func (s *Store) logPage(after, upTo eventstore.Position, f eventstore.Filter) (page []eventstore.RecordedEvent, last eventstore.Position, grown <-chan struct{}) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	last = min(upTo, eventstore.Position(len(s.log)))
	for p := after + 1; p <= last; p++ {
		e := s.log[p-1]
		if !f.Match(e.Stream, e.Type) {
			continue
		}
		page = append(page, clone(e))
		if len(page) == pageSize {
			return page, p, s.grown
		}
	}
	return page, max(last, after), s.grown
}

// clone copies an event for a reader, so that what it does with the data
// cannot change the log.
func clone(e eventstore.RecordedEvent) eventstore.RecordedEvent {
	e.Data = slices.Clone(e.Data)
	return e
}
