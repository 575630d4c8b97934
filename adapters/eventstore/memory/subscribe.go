package memory

import (
	"context"
	"iter"
	"math"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Subscribe implements eventstore.Store: it reads the log after its
// checkpoint a page at a time until it is caught up, then waits for the next
// append (or for ctx to end).
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position, f eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		cp := after
		for {
			if err := ctx.Err(); err != nil {
				yield(eventstore.RecordedEvent{}, err)
				return
			}
			page, last, grown := s.logPage(cp, math.MaxUint64, f)
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			caughtUp := len(page) < pageSize
			cp = last
			if !caughtUp {
				continue
			}
			select {
			case <-grown:
			case <-ctx.Done():
				yield(eventstore.RecordedEvent{}, ctx.Err())
				return
			}
		}
	}
}
