package memory

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Append implements eventstore.Store. A retry is recognised before the
// expected version is checked, as the PostgreSQL store does: the retry of an
// append that expected no stream finds the stream it created, and must still
// answer the original result.
func (s *Store) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	stored := make([]eventstore.EventData, len(events))
	for i, e := range events {
		if err := validate(e); err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: event %d: %w", stream, i, err)
		}
		stored[i] = stable(e)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if res, retry, err := s.retried(stream, stored); retry || err != nil {
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
		}
		return res, nil
	}
	positions := s.streams[stream]
	current := int64(len(positions)) - 1
	if !expected.Allows(current) {
		return eventstore.AppendResult{}, &eventstore.ConcurrencyError{Stream: stream, Expected: expected, Actual: current}
	}
	for i, e := range stored {
		rec := eventstore.RecordedEvent{
			EventData: e,
			Stream:    stream,
			Version:   uint64(current + 1 + int64(i)),
			Position:  eventstore.Position(len(s.log) + 1),
		}
		s.log = append(s.log, rec)
		positions = append(positions, rec.Position)
		s.ids[e.ID] = rec.Position
	}
	s.streams[stream] = positions
	if len(stored) > 0 {
		close(s.grown)
		s.grown = make(chan struct{})
	}
	// An empty append answers as the PostgreSQL store's does: the stream's
	// version (0 for none) and the head.
	return eventstore.AppendResult{Version: uint64(max(int64(len(positions))-1, 0)), Position: eventstore.Position(len(s.log))}, nil
}

// retried tells whether events were recorded already. retry is true when
// every one of them is, in stream, one after the other in this order: the
// append was made before, and res is what it answered. An ID recorded in
// any other way, or twice in one append, is an error. The caller holds mu.
func (s *Store) retried(stream eventstore.StreamID, events []eventstore.EventData) (res eventstore.AppendResult, retry bool, err error) {
	seen := make(map[uuid.UUID]bool, len(events))
	recorded := 0
	for _, e := range events {
		if seen[e.ID] {
			return res, false, fmt.Errorf("%w: event id %s twice in one append", eventstore.ErrDuplicateEvent, e.ID)
		}
		seen[e.ID] = true
		if _, ok := s.ids[e.ID]; ok {
			recorded++
		}
	}
	if recorded == 0 {
		return res, false, nil
	}
	var prev *eventstore.RecordedEvent
	for _, e := range events {
		p, ok := s.ids[e.ID]
		if !ok {
			return res, false, fmt.Errorf("%w: an append repeats only part of a recorded one", eventstore.ErrDuplicateEvent)
		}
		rec := &s.log[p-1]
		if rec.Stream != stream || (prev != nil && rec.Version != prev.Version+1) {
			return res, false, fmt.Errorf("%w: an event id of this append is recorded elsewhere", eventstore.ErrDuplicateEvent)
		}
		prev = rec
	}
	return eventstore.AppendResult{Version: prev.Version, Position: prev.Position}, true, nil
}

func validate(e eventstore.EventData) error {
	switch {
	case e.ID == uuid.Nil:
		return fmt.Errorf("%w: no id", eventstore.ErrInvalidEvent)
	case e.Type == "":
		return fmt.Errorf("%w: no type", eventstore.ErrInvalidEvent)
	case !json.Valid(e.Data):
		return fmt.Errorf("%w: data of %s is not JSON", eventstore.ErrInvalidEvent, e.Type)
	}
	return nil
}

// stable is the event as the store keeps it: its data copied, so the caller
// may reuse its buffer, and its time as a database keeps one (UTC, to the
// microsecond), so a test on this store sees what it would on PostgreSQL.
func stable(e eventstore.EventData) eventstore.EventData {
	e.Data = slices.Clone(e.Data)
	e.OccurredAt = e.OccurredAt.Truncate(time.Microsecond).UTC()
	return e
}

// AppendWatching implements eventstore.Watcher: the versions are read
// right after the append, under the store's lock.
func (s *Store) AppendWatching(ctx context.Context, watch []eventstore.StreamID, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, []int64, error) {
	res, err := s.Append(ctx, stream, expected, events...)
	if err != nil {
		return res, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	watched := make([]int64, len(watch))
	for i, w := range watch {
		watched[i] = int64(len(s.streams[w])) - 1
	}
	return res, watched, nil
}
