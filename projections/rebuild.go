package projections

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// rebuildPage is how many events of the log a rebuild hands its
// projectors at a time.
const rebuildPage = 40000

// Rebuild rebuilds one projector (RebuildAll).
func Rebuild(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, p Projector, logger *slog.Logger) (applied int, err error) {
	return RebuildAll(ctx, pool, store, []Projector{p}, logger)
}

// rebuildWorkers is how many transactions, each on a connection of its
// own, a rebuild runs at once: enough to keep the database's cores busy
// while one waits on the client, few enough to stay clear of the
// server's connection limit.
const rebuildWorkers = 3

// RebuildAll rebuilds projectors from the whole log, reading it once:
// page by page, each page handed to every projector. The projectors are
// shared among rebuildWorkers transactions that run at once, each on a
// connection of its own (outside pool, whose size is the caller's). A
// transaction empties its projectors' tables, drops their indexes but
// those that enforce a key (an upsert names those), applies every page to
// each of its projectors (a rebuilder folds the log in memory from the
// events decoded once for all and writes it with COPY, at the end for
// rows that change; others apply set-based where they can:
// BatchProjector), builds the dropped indexes again (one sorted build
// each, rather than an insert into each for every row) and moves the
// checkpoints to the log's end. A crash or an error part-way rolls a
// transaction back whole: its projectors' read models and checkpoints stay
// as they were before the rebuild, and readers of their tables wait for
// the rebuild's end rather than see half of one. It holds the projectors'
// locks throughout, so it refuses to run while a server runs any of them.
// Projectors only write tables: a rebuild sends nothing. It answers how
// many events of the log it applied.
func RebuildAll(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, ps []Projector, logger *slog.Logger) (applied int, err error) {
	return rebuildAll(ctx, pool, store, ps, logger, rebuildPage)
}

// rebuildAll is RebuildAll in pages of pageSize events.
func rebuildAll(ctx context.Context, pool *pgxpool.Pool, store eventstore.Store, ps []Projector, logger *slog.Logger, pageSize int) (applied int, err error) {
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

	workers := min(len(ps), rebuildWorkers)
	groups := make([][]Projector, workers)
	for i, p := range ps {
		groups[i%workers] = append(groups[i%workers], p)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	feeds := make([]chan logPage, workers)
	done := make(chan struct{}, workers)
	for i, group := range groups {
		feeds[i] = make(chan logPage, 1)
		go func() {
			defer func() { done <- struct{}{} }()
			if err := rebuildGroup(ctx, pool.Config().ConnConfig, group, feeds[i]); err != nil {
				cancel(err) // the others roll back too
			}
		}()
	}
	applied, last, err := feed(ctx, store, feeds, pageSize, readsDecoded(ps))
	if err != nil {
		cancel(err)
	}
	for _, f := range feeds {
		close(f)
	}
	for range groups {
		<-done
	}
	if err := context.Cause(ctx); err != nil {
		return applied, fmt.Errorf("rebuild %v: %w", names, err)
	}
	logger.Info("projectors rebuilt", "projectors", names, "events", applied, "position", last)
	return applied, nil
}

// feed reads the whole log into pages of size events, decodes each page's
// events once for every projector that reads them decoded (decode), and
// hands each page to every feed; it answers how many events it read and
// the last one's position. Reading and decoding overlap: the reader hands
// its pages to the decoder one at a time. A slow transaction holds the
// reader back (each feed holds one page), so the log itself takes a few
// pages of memory however long it is. What the folds keep is another
// matter: they hold the rows they will write at the end (a message's ids
// and status, not its text), so a rebuild's memory grows with the read
// models it writes, some hundreds of bytes a message.
func feed(ctx context.Context, store eventstore.Store, feeds []chan logPage, size int, decode bool) (n int, last eventstore.Position, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	raw := make(chan []eventstore.RecordedEvent, 1)
	var decodeErr error
	decoderDone := make(chan struct{})
	go func() {
		defer close(decoderDone)
		for events := range raw {
			page := logPage{events: events}
			if decode {
				page.decoded = decodePage(events)
			}
			for _, f := range feeds {
				select {
				case f <- page:
				case <-ctx.Done():
					decodeErr = context.Cause(ctx)
					return
				}
			}
		}
	}()
	err = read(ctx, store, size, func(page []eventstore.RecordedEvent) error {
		select {
		case raw <- page:
		case <-decoderDone:
			return decodeErr
		}
		n += len(page)
		last = page[len(page)-1].Position
		return nil
	})
	close(raw)
	<-decoderDone
	if err == nil {
		err = decodeErr
	}
	return n, last, err
}

// logPages is a store that reads its whole log in pages for a rebuild at
// less cost than ReadAll, each event with its position, type and data
// alone (all a projector's Apply reads): the PostgreSQL store.
type logPages interface {
	ReadLogPages(ctx context.Context, after eventstore.Position, size int) iter.Seq2[[]eventstore.RecordedEvent, error]
}

// read reads the whole log and hands it to send in pages of size events.
func read(ctx context.Context, store eventstore.Store, size int, send func([]eventstore.RecordedEvent) error) error {
	if lp, ok := store.(logPages); ok {
		for page, err := range lp.ReadLogPages(ctx, eventstore.Start, size) {
			if err != nil {
				return err
			}
			if err := send(page); err != nil {
				return err
			}
		}
		return nil
	}
	page := make([]eventstore.RecordedEvent, 0, size)
	for e, err := range store.ReadAll(ctx, eventstore.Start, eventstore.Filter{}) {
		if err != nil {
			return err
		}
		page = append(page, e)
		if len(page) == size {
			if err := send(page); err != nil {
				return err
			}
			page = make([]eventstore.RecordedEvent, 0, size)
		}
	}
	if len(page) > 0 {
		return send(page)
	}
	return nil
}

// rebuildGroup rebuilds ps from the pages in one transaction, on a
// connection of its own. It goes on to its index builds and commit only when
// the pages end with ctx alive (the whole log read, the other transactions
// well at that point); a group that fails after that cannot undo one that
// has committed, so a rebuild that reports an error may leave some read
// models rebuilt and others as they were, each of them whole. Like the
// projectors' own transactions it need not wait for the disk: a crash loses
// the uncommitted groups whole.
func rebuildGroup(ctx context.Context, cfg *pgx.ConnConfig, ps []Projector, pages <-chan logPage) error {
	conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	names := make([]string, len(ps))
	var tables []string
	for i, p := range ps {
		names[i] = p.Name()
		tables = append(tables, p.Tables()...)
	}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`SET LOCAL synchronous_commit = off`)
		// For the indexes built at the end: sorting in memory.
		b.Queue(`SET LOCAL maintenance_work_mem = '256MB'`)
		for _, t := range tables {
			b.Queue(`TRUNCATE ` + pgx.Identifier{t}.Sanitize())
		}
		b.Queue(`INSERT INTO projection_checkpoints (projector, position) SELECT unnest($1::text[]), 0
			ON CONFLICT (projector) DO UPDATE SET position = 0, updated_at = now()`, names)
		b.Queue(`DELETE FROM projection_poison WHERE projector = ANY ($1)`, names)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("empty their tables: %w", err)
		}
		indexes, err := dropIndexes(ctx, tx, tables)
		if err != nil {
			return err
		}
		appliers := make([]pageApplier, len(ps))
		for i, p := range ps {
			appliers[i] = pageApplierOf(p)
		}
		last := eventstore.Start
		for page := range pages {
			for i, p := range ps {
				if err := appliers[i].applyPage(ctx, tx, page); err != nil {
					return fmt.Errorf("%s: %w", p.Name(), err)
				}
			}
			last = page.events[len(page.events)-1].Position
		}
		if err := context.Cause(ctx); err != nil {
			return err
		}
		for i, p := range ps {
			if err := appliers[i].finish(ctx, tx); err != nil {
				return fmt.Errorf("%s: %w", p.Name(), err)
			}
		}
		for _, def := range indexes {
			if _, err := tx.Exec(ctx, def); err != nil {
				return fmt.Errorf("build an index again: %w", err)
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projector = ANY ($1)`,
			names, int64(last))
		if err != nil {
			return err
		}
		if int(tag.RowsAffected()) != len(names) {
			return errors.New("a projector's checkpoint is missing")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%v: %w", names, err)
	}
	return nil
}

// dropIndexes drops the tables' indexes that enforce no key (the primary
// key and unique ones stay: upserts name them) and answers the statements
// that create them again.
func dropIndexes(ctx context.Context, tx pgx.Tx, tables []string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i WHERE i.indrelid = ANY ($1::text[]::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary
		ORDER BY 1`, tables)
	if err != nil {
		return nil, fmt.Errorf("list the indexes: %w", err)
	}
	names, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var nd [2]string
		err := row.Scan(&nd[0], &nd[1])
		return nd, err
	})
	if err != nil {
		return nil, fmt.Errorf("list the indexes: %w", err)
	}
	defs := make([]string, len(names))
	for i, nd := range names {
		// regclass's text is quoted where it must be.
		if _, err := tx.Exec(ctx, `DROP INDEX `+nd[0]); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", nd[0], err)
		}
		defs[i] = nd[1]
	}
	return defs, nil
}
