package postgres

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Subscribe implements eventstore.Store: it reads the log after its
// checkpoint until it is caught up, then waits for the next commit.
func (s *Store) Subscribe(ctx context.Context, after eventstore.Position, f eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		cp := after
		poll := time.NewTimer(s.cfg.PollInterval)
		defer poll.Stop()
		for {
			woken := s.wake.Wait()
			consumerDone := false
			each := func(e eventstore.RecordedEvent, err error) bool {
				if err != nil {
					if ctx.Err() != nil {
						return false
					}
					// A failed read is reported and retried from the same checkpoint.
					s.log.Warn("subscription read failed; retrying", "after", cp, "err", err)
					return false
				}
				if !yield(e, nil) {
					consumerDone = true
					return false
				}
				return true
			}
			// The first page is read once for every subscription this
			// wake-up woke at the same place (sharedReads); a full one is
			// followed by the rest of the log, read alone.
			after := cp
			first, err := s.shared.page(ctx, woken, after, f, func() ([]eventstore.RecordedEvent, error) { return s.readPage(s.runCtx, after, f) })
			if err != nil {
				each(eventstore.RecordedEvent{}, fmt.Errorf("read the global log after %d: %w", cp, err))
			}
			for _, e := range first {
				if !each(e, nil) {
					break
				}
				cp = e.Position
			}
			if err == nil && !consumerDone && len(first) == s.cfg.PageSize {
				cp = s.readAfter(ctx, cp, f, each)
			}
			if consumerDone {
				return
			}
			if ctx.Err() != nil {
				yield(eventstore.RecordedEvent{}, ctx.Err())
				return
			}
			poll.Reset(s.cfg.PollInterval)
			if s.idle != nil {
				s.idle(cp)
			}
			select {
			case <-woken:
			case <-poll.C:
			case <-ctx.Done():
				yield(eventstore.RecordedEvent{}, ctx.Err())
				return
			}
		}
	}
}

// listen wakes subscriptions when another process appends: its store
// announces (NOTIFY es_appended) after its commits. While the connection is
// down the subscriptions fall back to polling.
func (s *Store) listen(ctx context.Context) {
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("listening for appends failed; subscriptions poll until it is back", "err", err)
		s.wake.Broadcast()
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return
		}
	}
}

func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN es_appended`); err != nil {
		return err
	}
	// Anything committed before LISTEN took effect is found by this read.
	s.wake.Broadcast()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		// This store's own announcement (announce): its commit woke the
		// subscriptions here already. Any other payload (another store's
		// id; an empty one from an older server) wakes them.
		if n.Payload == s.id {
			continue
		}
		s.wake.Broadcast()
	}
}
