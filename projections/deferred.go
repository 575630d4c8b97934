package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// deferredTx is the transaction the projectors of a page share, with their
// Exec statements held back: queued in one batch, they go to the database
// together when the transaction next needs an answer (a query, a batch, a
// copy, a savepoint) or when the page ends and its checkpoints join them.
// A page of one or two texts (the common page under a steady trickle)
// then costs one round trip for every projector's writes, where each
// statement was one (profiled at concurrency 1: the projectors' statements
// one by one were a fifth of the server's CPU, most of it in writing to
// the socket).
//
// A held statement's error comes when the batch is sent, so it may be
// reported by another projector's query, or by the page's end, rather than
// by the Exec that made it. applyTogether does not need to know whose it
// was: any projector's failure there rolls the page back and applies it
// again with each projector alone (applyPage), in a transaction of its own
// whose statements run at once, and that names the projector and event.
// Exec answers an empty command tag: no projector reads what an Exec
// changed from its tag.
type deferredTx struct {
	pgx.Tx
	held pgx.Batch
}

func (d *deferredTx) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	d.held.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

// flush sends the held statements in one round trip.
func (d *deferredTx) flush(ctx context.Context) error {
	if d.held.Len() == 0 {
		return nil
	}
	b := d.held
	d.held = pgx.Batch{}
	if err := d.Tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("the page's statements: %w", err)
	}
	return nil
}

func (d *deferredTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := d.flush(ctx); err != nil {
		return nil, err
	}
	return d.Tx.Query(ctx, sql, args...)
}

func (d *deferredTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if err := d.flush(ctx); err != nil {
		return failedRow{err}
	}
	return d.Tx.QueryRow(ctx, sql, args...)
}

func (d *deferredTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	// The held statements go first, in the same round trip.
	held := d.held
	d.held = pgx.Batch{}
	if held.Len() == 0 {
		return d.Tx.SendBatch(ctx, b)
	}
	n := held.Len()
	held.QueuedQueries = append(held.QueuedQueries, b.QueuedQueries...)
	return &afterHeld{BatchResults: d.Tx.SendBatch(ctx, &held), held: n}
}

func (d *deferredTx) CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error) {
	if err := d.flush(ctx); err != nil {
		return 0, err
	}
	return d.Tx.CopyFrom(ctx, table, columns, src)
}

func (d *deferredTx) Begin(ctx context.Context) (pgx.Tx, error) {
	if err := d.flush(ctx); err != nil {
		return nil, err
	}
	return d.Tx.Begin(ctx)
}

func (d *deferredTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	if err := d.flush(ctx); err != nil {
		return nil, err
	}
	return d.Tx.Prepare(ctx, name, sql)
}

// afterHeld is a batch's results with the held statements sent before it:
// it reads theirs first (the first error among them is the batch's), so
// that the caller reads its own queries' results as if sent alone.
type afterHeld struct {
	pgx.BatchResults
	held int
	err  error
}

func (a *afterHeld) skipHeld() error {
	for ; a.held > 0 && a.err == nil; a.held-- {
		if _, err := a.BatchResults.Exec(); err != nil {
			a.err = fmt.Errorf("the page's statements: %w", err)
		}
	}
	return a.err
}

func (a *afterHeld) Exec() (pgconn.CommandTag, error) {
	if err := a.skipHeld(); err != nil {
		return pgconn.CommandTag{}, err
	}
	return a.BatchResults.Exec()
}

func (a *afterHeld) Query() (pgx.Rows, error) {
	if err := a.skipHeld(); err != nil {
		return nil, err
	}
	return a.BatchResults.Query()
}

func (a *afterHeld) QueryRow() pgx.Row {
	if err := a.skipHeld(); err != nil {
		return failedRow{err}
	}
	return a.BatchResults.QueryRow()
}

func (a *afterHeld) Close() error {
	err := a.skipHeld()
	if cerr := a.BatchResults.Close(); err == nil {
		err = cerr
	}
	return err
}

// failedRow is a row whose query could not be sent.
type failedRow struct{ err error }

func (r failedRow) Scan(...any) error { return r.err }
