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
// context ends and the consumer stops here (another process takes over).
//
// The lock's connection is opened beside the pool (with its settings), not
// taken from it: a held lock would otherwise keep a pool slot for the
// consumer's whole life, and as many consumers as the pool has slots
// (pgxpool's default is 4 on small machines) would leave none for their own
// reads and transactions, and stall for ever.
func Claimer(pool *pgxpool.Pool, logger *slog.Logger) eventstream.Claim {
	return func(ctx context.Context, name string) (eventstore.Position, context.Context, func(), error) {
		for {
			conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
			if err != nil {
				return 0, nil, nil, err
			}
			var got bool
			if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, LockKey(name)).Scan(&got); err != nil {
				conn.Close(context.WithoutCancel(ctx))
				return 0, nil, nil, err
			}
			if !got {
				conn.Close(context.WithoutCancel(ctx))
				logger.Info("another instance runs this consumer of the log; waiting", "consumer", name)
				select {
				case <-time.After(2 * time.Second):
					continue
				case <-ctx.Done():
					return 0, nil, nil, ctx.Err()
				}
			}
			var cp int64
			if err := conn.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE projector = $1`, name).Scan(&cp); err != nil {
				conn.Close(context.WithoutCancel(ctx)) // closing the session releases its lock
				return 0, nil, nil, fmt.Errorf("checkpoint of %s: %w", name, err)
			}
			claimed, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { // the lock lives as long as its connection answers
				defer close(done)
				t := time.NewTicker(5 * time.Second)
				defer t.Stop()
				for {
					select {
					case <-claimed.Done():
						return
					case <-t.C:
						if err := conn.Ping(claimed); err != nil && claimed.Err() == nil {
							logger.Error("lost the lock of a consumer of the log", "consumer", name, "err", err)
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
				conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, LockKey(name))
				conn.Close(uctx)
			}
			return eventstore.Position(cp), claimed, release, nil
		}
	}
}
