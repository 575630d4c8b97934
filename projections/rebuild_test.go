package projections

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// failAt is a projector that fails on the event at one position (and
// applies one event at a time: it hides any ApplyBatch).
type failAt struct {
	Projector
	at eventstore.Position
}

var errInjected = errors.New("injected failure")

func (f failAt) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if e.Position == f.at {
		return errInjected
	}
	return f.Projector.Apply(ctx, tx, e)
}

// indexDefs lists the indexes of the tables, as pg_indexes states them.
func indexDefs(t *testing.T, pool *pgxpool.Pool, tables []string) string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT indexdef FROM pg_indexes WHERE tablename = ANY ($1) ORDER BY indexname`, tables)
	if err != nil {
		t.Fatal(err)
	}
	defs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(defs, "\n")
}

// A rebuild that fails part-way leaves the read models, the checkpoint
// and the indexes as they were before it; one that succeeds builds every
// index it dropped again.
func TestRebuildFailingPartWayChangesNothing(t *testing.T) {
	ctx := context.Background()
	pool, store := newStore(t)
	appendFixture(t, store, fixtureLog(5, 10, 300))
	events := readLog(t, store)
	ps := []Projector{Inbox{}}
	indexes := indexDefs(t, pool, Inbox{}.Tables())
	if strings.Count(indexes, "\n") < 4 {
		t.Fatalf("the inbox's tables have too few indexes for this test:\n%s", indexes)
	}

	// Before: the first half of the log, through the live path.
	project(t, pool, ps, events[:len(events)/2], func() int { return 64 })
	before := dumpReadModels(t, pool, ps)
	checkpoint := func() int64 {
		var cp int64
		if err := pool.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE projector = 'inbox'`).Scan(&cp); err != nil {
			t.Fatal(err)
		}
		return cp
	}
	cpBefore := checkpoint()

	failing := failAt{Projector: Inbox{}, at: events[len(events)*3/4].Position}
	if _, err := RebuildAll(ctx, pool, store, []Projector{failing}, slog.New(slog.DiscardHandler)); !errors.Is(err, errInjected) {
		t.Fatalf("the rebuild answered %v, want the injected failure", err)
	}
	if got := dumpReadModels(t, pool, ps); got != before {
		t.Fatalf("a failed rebuild changed the read models\n%s", firstDifference(before, got))
	}
	if cp := checkpoint(); cp != cpBefore {
		t.Fatalf("a failed rebuild moved the checkpoint from %d to %d", cpBefore, cp)
	}
	if got := indexDefs(t, pool, Inbox{}.Tables()); got != indexes {
		t.Fatalf("after a failed rebuild the indexes are\n%s\nwant\n%s", got, indexes)
	}

	if _, err := RebuildAll(ctx, pool, store, ps, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if cp := checkpoint(); cp != int64(events[len(events)-1].Position) {
		t.Fatalf("after the rebuild the checkpoint is %d, want %d", cp, events[len(events)-1].Position)
	}
	if got := indexDefs(t, pool, Inbox{}.Tables()); got != indexes {
		t.Fatalf("after a rebuild the indexes are\n%s\nwant\n%s", got, indexes)
	}
}
