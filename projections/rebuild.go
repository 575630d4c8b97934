package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// rebuildPage is how many events of the log one rebuild transaction
// applies.
const rebuildPage = 40000

// Rebuild rebuilds one projector (RebuildAll).
func Rebuild(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, p Projector, logger *slog.Logger) (applied int, err error) {
	return RebuildAll(ctx, pool, store, []Projector{p}, logger)
}

// RebuildAll empties the projectors' tables and applies the whole log to
// them again, reading it once: page by page, each page applied to every
// projector (set-based where the projector can: BatchProjector) in one
// transaction that also moves their checkpoints, while the next page is
// read. It holds the projectors' locks throughout, so it refuses to run
// while a server runs any of them. Projectors only write tables: a rebuild
// sends nothing. It answers how many events of the log it applied.
func RebuildAll(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, ps []Projector, logger *slog.Logger) (applied int, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Release()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name()
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(p.Name())).Scan(&got); err != nil {
			return 0, err
		}
		if !got {
			return 0, fmt.Errorf("rebuild %s: a running server holds this projector; stop it first", p.Name())
		}
		defer func() {
			// Best effort: the lock is the session's, so closing the
			// connection releases it anyway.
			_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey(p.Name()))
		}()
	}

	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, p := range ps {
			for _, t := range p.Tables() {
				if _, err := tx.Exec(ctx, `TRUNCATE `+pgx.Identifier{t}.Sanitize()); err != nil {
					return err
				}
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (projector, position) SELECT unnest($1::text[]), 0
			ON CONFLICT (projector) DO UPDATE SET position = 0, updated_at = now()`, names)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM projection_poison WHERE projector = ANY ($1)`, names)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("rebuild %v: empty their tables: %w", names, err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages, readErr := readPages(ctx, store)
	var last eventstore.Position
	for page := range pages {
		if err := rebuildPageTx(ctx, pool, ps, names, page); err != nil {
			cancel()
			for range pages { // let the reader end
			}
			return applied, fmt.Errorf("rebuild %v: %w", names, err)
		}
		applied += len(page)
		last = page[len(page)-1].Position
	}
	if err := <-readErr; err != nil {
		return applied, fmt.Errorf("rebuild %v: %w", names, err)
	}
	logger.Info("projectors rebuilt", "projectors", names, "events", applied, "position", last)
	return applied, nil
}

// readPages reads the whole log into pages of rebuildPage events, one page
// ahead of their consumer; the error channel answers once pages is closed.
func readPages(ctx context.Context, store eventstore.Store) (<-chan []eventstore.RecordedEvent, <-chan error) {
	pages := make(chan []eventstore.RecordedEvent, 1)
	errc := make(chan error, 1)
	go func() {
		defer close(errc)
		defer close(pages)
		page := make([]eventstore.RecordedEvent, 0, rebuildPage)
		send := func() bool {
			select {
			case pages <- page:
				page = make([]eventstore.RecordedEvent, 0, rebuildPage)
				return true
			case <-ctx.Done():
				return false
			}
		}
		for e, err := range store.ReadAll(ctx, eventstore.Start, eventstore.Filter{}) {
			if err != nil {
				errc <- err
				return
			}
			page = append(page, e)
			if len(page) == rebuildPage && !send() {
				errc <- ctx.Err()
				return
			}
		}
		if len(page) > 0 && !send() {
			errc <- ctx.Err()
		}
	}()
	return pages, errc
}

// rebuildPageTx applies one page to every projector and moves their
// checkpoints, in one transaction. Like the projectors' own, it need not
// wait for the disk: a crash loses the page and its checkpoints together.
func rebuildPageTx(ctx context.Context, pool *pgxpool.Pool, ps []Projector, names []string, page []eventstore.RecordedEvent) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		for _, p := range ps {
			if err := apply(ctx, tx, p, page); err != nil {
				return fmt.Errorf("%s: %w", p.Name(), err)
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projector = ANY ($1)`,
			names, int64(page[len(page)-1].Position))
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(names) {
			return errors.New("a projector's checkpoint is missing")
		}
		return nil
	})
}
