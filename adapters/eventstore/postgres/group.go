package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

type appendRequest struct {
	ctx      context.Context
	stream   eventstore.StreamID
	expected eventstore.ExpectedVersion
	args     appendArgs
	// watch are the streams whose versions the caller wants with the
	// commit (AppendWatching), none for a plain Append.
	watch  []string
	result chan appendOutcome
}

type appendOutcome struct {
	res eventstore.AppendResult
	// watched are the versions of the request's watch, nil when the commit
	// could not tell them.
	watched []int64
	err     error
}

// Append implements eventstore.Store. Appends are committed in groups, one
// group at a time per store (EventStoreDB's single writer): the append joins
// the queue, and if no group is committing, its own caller becomes the
// writer and commits the waiting appends, group after group, until its own
// is answered; otherwise it waits for its answer or its turn. A lone caller
// thus commits its own append without handing it to another goroutine (two
// thread wake-ups fewer on every append), and concurrent callers share
// transactions.
func (s *Store) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	out, err := s.append(ctx, nil, stream, expected, events)
	return out.res, err
}

// AppendWatching implements eventstore.Watcher: the lean path reads the
// watched streams' versions in its commit's round trip, holding the
// writers' lock, so they are the versions at the commit point. A group
// that es_append_batch commits answers none.
func (s *Store) AppendWatching(ctx context.Context, watch []eventstore.StreamID, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, []int64, error) {
	w := make([]string, len(watch))
	for i, id := range watch {
		w[i] = string(id)
	}
	out, err := s.append(ctx, w, stream, expected, events)
	return out.res, out.watched, err
}

func (s *Store) append(ctx context.Context, watch []string, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events []eventstore.EventData) (appendOutcome, error) {
	args, err := encodeEvents(events)
	if err != nil {
		return appendOutcome{}, fmt.Errorf("append %s: %w", stream, err)
	}
	if s.runCtx.Err() != nil {
		return appendOutcome{}, fmt.Errorf("append %s: event store closed", stream)
	}
	req := &appendRequest{ctx: ctx, stream: stream, expected: expected, args: args, watch: watch, result: make(chan appendOutcome, 1)}
	select {
	case s.queue <- req:
	case <-ctx.Done():
		return appendOutcome{}, fmt.Errorf("append %s: %w", stream, ctx.Err())
	}
	// Once queued, the append is always answered, even when ctx ends
	// meanwhile: the caller must learn whether its events were committed.
	// Every queued append's caller is either committing or waiting here to
	// take over when committing is released, so the queue never stalls.
	for {
		freed := s.freed.Wait() // before trying, so a release is not missed
		if s.committing.TryLock() {
			s.commitQueued(req)
			s.committing.Unlock()
			s.freed.Broadcast()
		}
		select {
		case out := <-req.result:
			if out.err != nil {
				return appendOutcome{}, fmt.Errorf("append %s: %w", stream, out.err)
			}
			return out, nil
		case <-freed:
		}
	}
}

// commitQueued commits the queued appends, up to MaxBatch a group, until
// mine is answered or the queue is empty; then a caller still waiting takes
// over (woken by freed), so that no caller serves the others for ever. The
// caller holds committing.
func (s *Store) commitQueued(mine *appendRequest) {
	batch := make([]*appendRequest, 0, s.cfg.MaxBatch)
	for len(mine.result) == 0 {
		batch = batch[:0]
	gather:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break gather
			}
		}
		if len(batch) == 0 {
			return
		}
		if want := min(s.prev, s.cfg.MaxBatch); len(batch) < want {
			batch = s.gatherMore(batch, want)
		}
		s.prev = len(batch)
		live := batch[:0]
		for _, r := range batch {
			if err := r.ctx.Err(); err != nil {
				r.result <- appendOutcome{err: err}
				continue
			}
			live = append(live, r)
		}
		if len(live) == 0 {
			continue
		}
		s.commit(s.runCtx, live)
		s.wake.Broadcast()
		select {
		case s.committed <- struct{}{}:
		default: // an announcement is due already
		}
	}
}

// gatherMore waits up to GatherWait for the group to reach want appends.
func (s *Store) gatherMore(batch []*appendRequest, want int) []*appendRequest {
	timer := time.NewTimer(s.cfg.GatherWait)
	defer timer.Stop()
	for len(batch) < want {
		select {
		case r := <-s.queue:
			batch = append(batch, r)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

func (s *Store) commit(ctx context.Context, reqs []*appendRequest) {
	// A commit is not cut short by one caller's context: it serves many.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	// The lean path first; a group it cannot take or does not append goes
	// to es_append_batch, which tells a retry from a clash or a conflict.
	if outs, ok := s.appendLean(ctx, reqs); ok {
		for i, r := range reqs {
			r.result <- outs[i]
		}
		return
	}
	outcomes, err := s.appendBatch(ctx, s.writer, reqs)
	if err != nil && len(reqs) > 1 {
		// The group's transaction failed as a whole: commit each append on
		// its own so that one bad append does not fail the others.
		s.log.Warn("group commit failed; committing its appends one by one", "appends", len(reqs), "err", err)
		for _, r := range reqs {
			out, err := s.appendBatch(ctx, s.writer, []*appendRequest{r})
			if err != nil {
				r.result <- appendOutcome{err: err}
				continue
			}
			r.result <- out[0]
		}
		return
	}
	for i, r := range reqs {
		if err != nil {
			r.result <- appendOutcome{err: err}
			continue
		}
		r.result <- outcomes[i]
	}
}
