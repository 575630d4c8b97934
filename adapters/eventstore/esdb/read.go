package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// readStreamPage reads up to count events of a stream; found is false when
// the stream has no event.
func (s *Store) readStreamPage(ctx context.Context, stream eventstore.StreamID, opts esdb.ReadStreamOptions, count uint64) (page []*esdb.RecordedEvent, found bool, err error) {
	page, err = call(ctx, s, func(ctx context.Context, c *esdb.Client) ([]*esdb.RecordedEvent, error) {
		rs, err := c.ReadStream(ctx, string(stream), opts, count)
		if err != nil {
			return nil, err
		}
		return drain(rs, count)
	})
	if hasCode(err, esdb.ErrorCodeResourceNotFound) {
		return nil, false, nil
	}
	return page, err == nil, err
}

// readAllPage reads up to count events of $all, system events included.
func (s *Store) readAllPage(ctx context.Context, opts esdb.ReadAllOptions, count uint64) ([]*esdb.RecordedEvent, error) {
	return call(ctx, s, func(ctx context.Context, c *esdb.Client) ([]*esdb.RecordedEvent, error) {
		rs, err := c.ReadAll(ctx, opts, count)
		if err != nil {
			return nil, err
		}
		return drain(rs, count)
	})
}

func drain(rs *esdb.ReadStream, count uint64) ([]*esdb.RecordedEvent, error) {
	defer rs.Close()
	page := make([]*esdb.RecordedEvent, 0, count)
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return page, nil
		}
		if err != nil {
			return nil, err
		}
		if ev.Event != nil {
			page = append(page, ev.Event)
		}
	}
}

// ReadStream yields a stream's events in version order from version from,
// a page at a time.
func (s *Store) ReadStream(ctx context.Context, stream eventstore.StreamID, from uint64) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		next := from
		for {
			page, found, err := s.readStreamPage(ctx, stream, esdb.ReadStreamOptions{From: esdb.Revision(next)}, pageSize)
			if err != nil {
				yield(eventstore.RecordedEvent{}, fmt.Errorf("read %s from version %d: %w", stream, next, err))
				return
			}
			if !found {
				return
			}
			for _, r := range page {
				rec, err := fromRecorded(r)
				if err != nil {
					yield(eventstore.RecordedEvent{}, fmt.Errorf("read %s: %w", stream, err))
					return
				}
				if !yield(rec, nil) {
					return
				}
				next = r.EventNumber + 1
			}
			if len(page) < pageSize {
				return
			}
		}
	}
}

// ReadAll yields the events of $all after position after that match filter,
// up to the head at the time of the call, a page at a time. System events
// are skipped; the filter is applied here, as the v4 client has no filtered
// read.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		fail := func(err error) { yield(eventstore.RecordedEvent{}, fmt.Errorf("read all after %d: %w", after, err)) }
		head, found, err := s.lastPosition(ctx, false)
		if err != nil {
			fail(err)
			return
		}
		if !found || head <= after {
			return
		}
		cur := newCursor(after)
		for {
			page, err := s.readAllPage(ctx, esdb.ReadAllOptions{From: cur.from()}, pageSize)
			if err != nil {
				fail(err)
				return
			}
			progressed := false
			for _, r := range page {
				fresh, err := cur.advance(r)
				if err != nil {
					fail(err)
					return
				}
				if !fresh {
					continue // a read from a position includes the event at it
				}
				if toPosition(r.Position.Commit) > head {
					return
				}
				progressed = true
				if isSystem(r) || !filter.Match(eventstore.StreamID(r.StreamID), r.EventType) {
					continue
				}
				rec, err := fromRecorded(r)
				if err != nil {
					fail(err)
					return
				}
				if !yield(rec, nil) {
					return
				}
			}
			if len(page) < pageSize {
				return
			}
			if !progressed {
				fail(fmt.Errorf("$all did not advance past %+v", cur.last))
				return
			}
		}
	}
}

// cursor is the place reached in $all: where to resume (after it) and what
// was already handed on, so that nothing is repeated.
type cursor struct {
	last    esdb.Position
	started bool
}

func newCursor(after eventstore.Position) *cursor {
	if after == eventstore.Start {
		return &cursor{}
	}
	return &cursor{last: fromPosition(after).(esdb.Position), started: true}
}

// from is where a read or subscription resumes.
func (c *cursor) from() esdb.AllPosition {
	if !c.started {
		return esdb.Start{}
	}
	return c.last
}

// advance moves past an event; fresh is false for an event already passed.
// Two events at one commit position (events of an explicit transaction
// written by an old client) would share one Position: that is refused
// rather than risk skipping one of them.
func (c *cursor) advance(r *esdb.RecordedEvent) (fresh bool, err error) {
	p := r.Position
	if c.started {
		if p.Commit < c.last.Commit || (p.Commit == c.last.Commit && p.Prepare <= c.last.Prepare) {
			return false, nil
		}
		if p.Commit == c.last.Commit {
			return false, fmt.Errorf("event %s (%s@%d) shares commit position %d with the event before it: the adapter cannot order them", r.EventID, r.StreamID, r.EventNumber, p.Commit)
		}
	}
	c.last, c.started = p, true
	return true, nil
}

// Head is the position of the last event that is not a system event, Start
// when there is none.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	pos, _, err := s.lastPosition(ctx, true)
	if err != nil {
		return eventstore.Start, fmt.Errorf("head: %w", err)
	}
	return pos, nil
}

// lastPosition reads $all backwards for the position of its last event (the
// last one that is not a system event when skipSystem).
func (s *Store) lastPosition(ctx context.Context, skipSystem bool) (eventstore.Position, bool, error) {
	var from esdb.AllPosition = esdb.End{}
	count := uint64(1)
	if skipSystem {
		count = 32
	}
	for {
		page, err := s.readAllPage(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: from}, count)
		if err != nil {
			return eventstore.Start, false, err
		}
		for _, r := range page {
			if !skipSystem || !isSystem(r) {
				return toPosition(r.Position.Commit), true, nil
			}
		}
		if uint64(len(page)) < count {
			return eventstore.Start, false, nil
		}
		from = page[len(page)-1].Position // backwards reads exclude the event at from
	}
}

// Subscription retry pacing after a drop.
const (
	firstRetry = 100 * time.Millisecond
	maxRetry   = 5 * time.Second
)

// Subscribe yields the events after position after that match filter: those
// recorded, then new ones as they are committed, until ctx ends (it then
// yields ctx's error) or the loop stops. When the subscription drops, it
// subscribes again after the last event the server sent, so that nothing is
// skipped or repeated.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position, filter eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		subCtx, cancel := s.withLife(ctx)
		defer cancel()
		cur := newCursor(after)
		retry := firstRetry
		for {
			if err := ctx.Err(); err != nil {
				yield(eventstore.RecordedEvent{}, err)
				return
			}
			opts := esdb.SubscribeToAllOptions{From: cur.from(), Filter: serverFilter(filter)}
			sub, err := call(subCtx, s, func(_ context.Context, c *esdb.Client) (*esdb.Subscription, error) {
				// The subscription outlives this call: it gets subCtx.
				return c.SubscribeToAll(subCtx, opts)
			})
			if err == nil {
				var stop bool
				stop, err = s.deliver(ctx, sub, filter, cur, &retry, yield)
				_ = sub.Close()
				if stop {
					return
				}
			}
			switch {
			case ctx.Err() != nil:
				yield(eventstore.RecordedEvent{}, ctx.Err())
				return
			case errors.Is(err, ErrClosed) || s.isClosed():
				yield(eventstore.RecordedEvent{}, fmt.Errorf("subscribe: %w", ErrClosed))
				return
			case permanent(err):
				yield(eventstore.RecordedEvent{}, fmt.Errorf("subscribe: %w", err))
				return
			}
			s.logger.WarnContext(ctx, "esdb: subscription dropped; subscribing again", "after_commit", cur.last.Commit, "retry_in", retry, "err", err)
			select {
			case <-ctx.Done():
				yield(eventstore.RecordedEvent{}, ctx.Err())
				return
			case <-time.After(retry):
			}
			retry = min(2*retry, maxRetry)
		}
	}
}

// deliver passes a subscription's events on until it drops (stop false, err
// why) or the iteration must end (stop true).
func (s *Store) deliver(ctx context.Context, sub *esdb.Subscription, filter eventstore.Filter, cur *cursor, retry *time.Duration,
	yield func(eventstore.RecordedEvent, error) bool) (stop bool, err error) {
	for {
		msg := sub.Recv()
		switch {
		case msg.SubscriptionDropped != nil:
			return false, msg.SubscriptionDropped.Error
		case msg.EventAppeared != nil:
			*retry = firstRetry
			r := msg.EventAppeared.Event
			if r == nil {
				continue
			}
			fresh, err := cur.advance(r)
			if err != nil {
				yield(eventstore.RecordedEvent{}, fmt.Errorf("subscribe: %w", err))
				return true, nil
			}
			if !fresh {
				continue // already delivered: never repeat
			}
			if isSystem(r) || !filter.Match(eventstore.StreamID(r.StreamID), r.EventType) {
				continue
			}
			rec, err := fromRecorded(r)
			if err != nil {
				yield(eventstore.RecordedEvent{}, fmt.Errorf("subscribe: %w", err))
				return true, nil
			}
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			if !yield(rec, nil) {
				return true, nil
			}
		default:
			// Checkpoints, caught up, fell behind: nothing to deliver. The
			// subscription resumes after the last event, not a checkpoint.
		}
	}
}

// permanent reports failures that subscribing again cannot cure.
func permanent(err error) bool {
	for _, code := range []esdb.ErrorCode{esdb.ErrorCodeUnauthenticated, esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnsupportedFeature} {
		if hasCode(err, code) {
			return true
		}
	}
	switch status.Code(err) {
	case codes.Unauthenticated, codes.PermissionDenied, codes.Unimplemented, codes.InvalidArgument:
		return true
	}
	return false
}
