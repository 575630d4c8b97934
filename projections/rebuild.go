package projections

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// rebuildBatch is how many events one rebuild transaction applies.
const rebuildBatch = 2000

// Rebuild empties a projector's tables and applies the whole log again. It
// holds the projector's lock throughout, so it refuses to run while a server
// runs that projector. Projectors only write tables: a rebuild sends nothing.
func Rebuild(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, p Projector, logger *slog.Logger) (applied int, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(p.Name())).Scan(&got); err != nil {
		return 0, err
	}
	if !got {
		return 0, fmt.Errorf("rebuild %s: a running server holds this projector; stop it first", p.Name())
	}
	defer func() {
		// Best effort: the lock is the session's, so closing the connection
		// releases it anyway.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey(p.Name()))
	}()

	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, t := range p.Tables() {
			if _, err := tx.Exec(ctx, `TRUNCATE `+pgx.Identifier{t}.Sanitize()); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (projector, position) VALUES ($1, 0)
			ON CONFLICT (projector) DO UPDATE SET position = 0, updated_at = now()`, p.Name())
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM projection_poison WHERE projector = $1`, p.Name())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("rebuild %s: empty its tables: %w", p.Name(), err)
	}

	var tx pgx.Tx
	pending := 0
	var last eventstore.Position
	flush := func() error {
		if tx == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projector = $1`, p.Name(), int64(last)); err != nil {
			return err
		}
		err := tx.Commit(ctx)
		tx, pending = nil, 0
		return err
	}
	defer func() {
		if tx != nil {
			tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	for e, err := range store.ReadAll(ctx, eventstore.Start, eventstore.Filter{}) {
		if err != nil {
			return applied, fmt.Errorf("rebuild %s: %w", p.Name(), err)
		}
		if tx == nil {
			if tx, err = pool.Begin(ctx); err != nil {
				return applied, err
			}
		}
		if err := p.Apply(ctx, tx, e); err != nil {
			return applied, fmt.Errorf("rebuild %s at %d (%s): %w", p.Name(), e.Position, e.Type, err)
		}
		last = e.Position
		applied++
		pending++
		if pending == rebuildBatch {
			if err := flush(); err != nil {
				return applied, fmt.Errorf("rebuild %s: %w", p.Name(), err)
			}
		}
	}
	if err := flush(); err != nil {
		return applied, fmt.Errorf("rebuild %s: %w", p.Name(), err)
	}
	logger.Info("projector rebuilt", "projector", p.Name(), "events", applied, "position", last)
	return applied, nil
}
