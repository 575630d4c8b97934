// Package checkpoint keeps the place of each consumer of the event log (the
// projectors, the outbound sender) in projection_checkpoints, and makes each
// consumer run in one process at a time: the process that holds its
// session-level advisory lock, on a connection of its own.
package checkpoint

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// LockKey is the advisory lock that one process holds while it runs the
// consumer name (and that a rebuild of a projector takes).
func LockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("smsinbox.projector." + name))
	return int64(h.Sum64())
}

// Ensure creates the consumer's checkpoint row at the start of the log if it
// has none.
func Ensure(ctx context.Context, pool *pgxpool.Pool, name string) error {
	if _, err := pool.Exec(ctx, `INSERT INTO projection_checkpoints (projector, position) VALUES ($1, 0) ON CONFLICT DO NOTHING`, name); err != nil {
		return fmt.Errorf("checkpoint of %s: %w", name, err)
	}
	return nil
}

// Claimer returns the eventstream.Claim of consumers whose checkpoints live in
// pool: it waits for the consumer's lock on a connection of its own, then
// reads its checkpoint. Losing the connection loses the lock: the claimed
// context ends, and the subscription claims the consumer again once it can
// (here or in another process).
//
// The lock's connection is opened beside the pool (with its settings), not
// taken from it: a held lock would otherwise keep a pool slot for the
// consumer's whole life, and as many consumers as the pool has slots would
// leave none for their own reads and transactions, and stall for ever.
func Claimer(pool *pgxpool.Pool, logger *slog.Logger) eventstream.Claim {
	return ClaimerWith(pool, logger, ClaimTiming{})
}

// ClaimTiming sets how often a claim looks again: Standby, for the lock
// another process holds (1 s); Ping, whether a held lock's connection still
// answers (1 s).
type ClaimTiming struct {
	Standby, Ping time.Duration
}

// ClaimerWith is Claimer with other timings.
func ClaimerWith(pool *pgxpool.Pool, logger *slog.Logger, timing ClaimTiming) eventstream.Claim {
	return GroupClaimer(pool, logger, timing, nil)
}

// GroupClaimer returns the eventstream.Claim of topics that may name a
// group of consumers sharing one reader of the log: members(topic) lists
// the group's consumers (nil members, or a nil answer: the topic is one
// consumer). The claim holds every member's own lock, all of them or none
// (so a rebuild of one member, or an older server that runs members one by
// one, still finds each held), on one connection of its own, and resumes
// after the lowest of their checkpoints: a member that is behind the
// others (a new one, one rebuilt) catches up while the others skip what
// they hold already.
func GroupClaimer(pool *pgxpool.Pool, logger *slog.Logger, timing ClaimTiming, members func(topic string) []string) eventstream.Claim {
	return func(ctx context.Context, topic string) (eventstore.Position, context.Context, func(), error) {
		names := []string{topic}
		if members != nil {
			if m := members(topic); m != nil {
				names = m
			}
		}
		var cp *int64
		claimed, release, err := hold(ctx, pool, logger, timing, topic, names, func(ctx context.Context, conn *pgx.Conn) error {
			var n int
			err := conn.QueryRow(ctx, `SELECT min(position), count(*) FROM projection_checkpoints WHERE projector = ANY ($1)`, names).Scan(&cp, &n)
			if err == nil && n < len(names) {
				err = fmt.Errorf("%d of %d have no checkpoint row", len(names)-n, len(names))
			}
			if err != nil {
				return fmt.Errorf("checkpoint of %s: %w", topic, err)
			}
			return nil
		})
		if err != nil {
			return 0, nil, nil, err
		}
		return eventstore.Position(*cp), claimed, release, nil
	}
}

// Lock is a claim on work that keeps no checkpoint (the due-scheduler): it
// waits until this process holds name's lock, on a connection of its own,
// and returns a context that ends when the lock is lost, and the release.
type Lock func(ctx context.Context, name string) (claimed context.Context, release func(), err error)

// LockerWith returns the Lock of work in pool's database, with ClaimerWith's
// timings: one process at a time holds it; the others stand by.
func LockerWith(pool *pgxpool.Pool, logger *slog.Logger, timing ClaimTiming) Lock {
	return func(ctx context.Context, name string) (context.Context, func(), error) {
		return hold(ctx, pool, logger, timing, name, []string{name}, nil)
	}
}

// tryLocks takes the session-level advisory locks of keys, all of them or
// none: it takes each that is free and, when one was not, gives back those
// it took.
func tryLocks(ctx context.Context, conn *pgx.Conn, keys []int64) (bool, error) {
	var got []int64
	if err := conn.QueryRow(ctx, `SELECT coalesce(array_agg(k), '{}') FROM unnest($1::bigint[]) AS k WHERE pg_try_advisory_lock(k)`, keys).Scan(&got); err != nil {
		return false, err
	}
	if len(got) == len(keys) {
		return true, nil
	}
	if len(got) > 0 {
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(k) FROM unnest($1::bigint[]) AS k`, got); err != nil {
			return false, err
		}
	}
	return false, nil
}

// hold waits for the advisory locks of names (all or none) on a
// connection opened beside pool, runs locked (when not nil) on that
// connection once it holds them, and keeps them for as long as the
// connection answers its pings. what names the claim in logs.
func hold(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger, timing ClaimTiming, what string, names []string,
	locked func(context.Context, *pgx.Conn) error) (context.Context, func(), error) {
	if timing.Standby <= 0 {
		timing.Standby = time.Second
	}
	if timing.Ping <= 0 {
		timing.Ping = time.Second
	}
	keys := make([]int64, len(names))
	for i, n := range names {
		keys[i] = LockKey(n)
	}
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return nil, nil, err
	}
	closeConn := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		conn.Close(cctx) // closing the session releases its locks
	}
	// A standby says so once, not at every look.
	for said := false; ; said = true {
		got, err := tryLocks(ctx, conn, keys)
		if err != nil {
			closeConn()
			return nil, nil, err
		}
		if got {
			break
		}
		if !said {
			logger.Info("another instance runs this consumer of the log; standing by", "consumer", what)
		}
		select {
		case <-time.After(timing.Standby):
		case <-ctx.Done():
			closeConn()
			return nil, nil, ctx.Err()
		}
	}
	if locked != nil {
		if err := locked(ctx, conn); err != nil {
			closeConn()
			return nil, nil, err
		}
	}
	claimed, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { // the locks live as long as their connection answers
		defer close(done)
		t := time.NewTicker(timing.Ping)
		defer t.Stop()
		for {
			select {
			case <-claimed.Done():
				return
			case <-t.C:
				if err := conn.Ping(claimed); err != nil && claimed.Err() == nil {
					logger.Warn("lost the lock of a consumer of the log; it will be claimed again", "consumer", what, "err", err)
					cancel()
					return
				}
			}
		}
	}()
	release := func() {
		cancel()
		<-done
		uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ucancel()
		_, _ = conn.Exec(uctx, `SELECT pg_advisory_unlock(k) FROM unnest($1::bigint[]) AS k`, keys)
		conn.Close(uctx)
	}
	return claimed, release, nil
}

// Standing is where a consumer stands in the database, whichever process
// runs it.
type Standing struct {
	// Held: a live session holds the consumer's lock (this process or
	// another).
	Held bool
	// Position is its checkpoint; UpdatedAt when it last moved.
	Position  eventstore.Position
	UpdatedAt time.Time
}

// Standings reads the standing of the consumers names: their checkpoints,
// and whether a session holds each one's lock (pg_locks: an advisory lock
// on a bigint key shows its high half as classid, its low half as objid).
// Advisory locks belong to a database and pg_locks shows every database's:
// only this database's count, or another smsinbox on the same server would
// make this one's consumers look held.
func Standings(ctx context.Context, pool *pgxpool.Pool, names []string) (map[string]Standing, error) {
	keys := make([]int64, len(names))
	for i, n := range names {
		keys[i] = LockKey(n)
	}
	rows, err := pool.Query(ctx, `
		SELECT n.name, c.position, c.updated_at,
		       EXISTS (SELECT 1 FROM pg_locks l
		               WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		                 AND ((l.classid::bigint << 32) | l.objid::bigint) = n.key)
		FROM unnest($1::text[], $2::bigint[]) AS n(name, key)
		LEFT JOIN projection_checkpoints c ON c.projector = n.name`, names, keys)
	if err != nil {
		return nil, fmt.Errorf("consumers' standing: %w", err)
	}
	out := make(map[string]Standing, len(names))
	for rows.Next() {
		var name string
		var pos *int64
		var at *time.Time
		var held bool
		if err := rows.Scan(&name, &pos, &at, &held); err != nil {
			rows.Close()
			return nil, fmt.Errorf("consumers' standing: %w", err)
		}
		st := Standing{Held: held}
		if pos != nil {
			st.Position = eventstore.Position(*pos)
		}
		if at != nil {
			st.UpdatedAt = *at
		}
		out[name] = st
	}
	return out, rows.Err()
}
