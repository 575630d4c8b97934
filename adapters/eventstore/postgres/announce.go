package postgres

import (
	"context"
	"time"
)

// announce tells other processes that events were appended: NOTIFY
// es_appended, after the commit, in a transaction of its own, at most once
// per AnnounceInterval. A NOTIFY inside every append would cost each append
// its share of the notification queue and of every listener's wake-up (about
// a sixth of a lone append's time, measured); here a burst of appends shares
// one, and the first append after a quiet spell is announced at once.
// Should an announcement fail or never come (a crash right after a commit),
// other processes' subscriptions find the events at their next poll: late by
// at most PollInterval, never lost, because they read by position.
//
// The announcement names this store (its payload is the store's id): the
// store's own listener hears it too, and ignores it (listenOnce), since
// the commit woke this process's subscriptions already; before, each
// commit woke them twice, the second time for an empty read each.
func (s *Store) announce(ctx context.Context) {
	for {
		select {
		case <-s.committed:
		case <-ctx.Done():
			return
		}
		if _, err := s.pool.Exec(ctx, `SELECT pg_notify('es_appended', $1)`, s.id); err != nil && ctx.Err() == nil {
			s.log.Warn("announcing appends failed; other processes find them at their next poll", "err", err)
		}
		select {
		case <-time.After(s.cfg.AnnounceInterval):
		case <-ctx.Done():
			return
		}
	}
}
