package esdb

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Append records events at the end of a stream, all or none, if expected
// holds. See the package documentation for retries and refusals.
func (s *Store) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if len(events) == 0 {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w: no events", stream, eventstore.ErrInvalidEvent)
	}
	proposed := make([]esdb.EventData, len(events))
	for i, e := range events {
		p, err := toEventData(e)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: event %d: %w", stream, i, err)
		}
		proposed[i] = p
	}
	opts := esdb.AppendToStreamOptions{ExpectedRevision: expectedRevision(expected)}
	wr, err := call(ctx, s, func(ctx context.Context, c *esdb.Client) (*esdb.WriteResult, error) {
		return c.AppendToStream(ctx, string(stream), opts, proposed...)
	})
	if hasCode(err, esdb.ErrorCodeWrongExpectedVersion) {
		return eventstore.AppendResult{}, s.refused(ctx, stream, expected, events[0].ID, err)
	}
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	res := eventstore.AppendResult{Version: wr.NextExpectedVersion, Position: toPosition(wr.CommitPosition)}
	if wr.CommitPosition == 0 && wr.PreparePosition == 0 {
		// The server recognised a retry of a recorded append and answered
		// without a position: read the original one back.
		last := events[len(events)-1].ID
		rec, found, err := s.eventAt(ctx, stream, wr.NextExpectedVersion)
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: read back the position of a retried append: %w", stream, err)
		}
		if !found || rec.ID != last {
			return eventstore.AppendResult{}, fmt.Errorf("append %s: %w: the server took the append for a retry, but version %d does not hold event %s",
				stream, eventstore.ErrDuplicateEvent, wr.NextExpectedVersion, last)
		}
		res.Position = rec.Position
		s.logger.DebugContext(ctx, "esdb: append was a retry; nothing recorded", "stream", stream, "version", res.Version, "position", res.Position)
	}
	return res, nil
}

// refused explains a WrongExpectedVersion answer. The server gives it both
// for a failed condition and for an append that repeats only part of a
// recorded one; the client passes on neither the stream's revision nor which
// it was, so both are read from the stream.
func (s *Store) refused(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, first uuid.UUID, cause error) error {
	actual, err := s.lastVersion(ctx, stream)
	if err != nil {
		return fmt.Errorf("append %s: %w (reading the stream's version failed: %v)", stream, cause, err)
	}
	partial := fmt.Errorf("append %s: %w: the append repeats part of an append already recorded, and adds to it", stream, eventstore.ErrDuplicateEvent)
	if expected.Allows(actual) {
		// The condition holds, so the server refused a partial repeat.
		return partial
	}
	v, exact := expected.ExactVersion()
	next := int64(v) + 1
	if expected.IsNoStream() {
		next, exact = 0, true
	}
	if exact && actual >= next {
		rec, found, err := s.eventAt(ctx, stream, uint64(next))
		if err != nil {
			return fmt.Errorf("append %s: %w (reading version %d failed: %v)", stream, cause, next, err)
		}
		if found && rec.ID == first {
			return partial
		}
	}
	return &eventstore.ConcurrencyError{Stream: stream, Expected: expected, Actual: actual}
}

// lastVersion is a stream's last version, -1 when it has no event.
func (s *Store) lastVersion(ctx context.Context, stream eventstore.StreamID) (int64, error) {
	page, found, err := s.readStreamPage(ctx, stream, esdb.ReadStreamOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil || !found || len(page) == 0 {
		return -1, err
	}
	return int64(page[0].EventNumber), nil
}

// eventAt reads the event at a version of a stream.
func (s *Store) eventAt(ctx context.Context, stream eventstore.StreamID, version uint64) (eventstore.RecordedEvent, bool, error) {
	page, found, err := s.readStreamPage(ctx, stream, esdb.ReadStreamOptions{From: esdb.Revision(version)}, 1)
	if err != nil || !found || len(page) == 0 || page[0].EventNumber != version {
		return eventstore.RecordedEvent{}, false, err
	}
	rec, err := fromRecorded(page[0])
	return rec, err == nil, err
}
