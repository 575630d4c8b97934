package projections

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// roundTrips counts the statements and batches a pool sends: each is one
// round trip to the database.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if ctx.Value(inBatch{}) == nil {
		r.n.Add(1)
	}
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	r.n.Add(1)
	return context.WithValue(ctx, inBatch{}, true)
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

type inBatch struct{}

// A page applied together costs the same round trips however many
// projectors write: the transaction's start, the checkpoints' read, one
// batch of every projector's writes with the checkpoints' moves, the
// commit. (One each, the writes would be a round trip a statement.)
func TestPageWritesInOneRoundTrip(t *testing.T) {
	trips := &roundTrips{}
	pool := pgtest.NewTracedPool(t, trips)
	ctx := context.Background()
	rd := pageOfThree(t, pool)
	page := testEvents(2, "Good")

	trips.n.Store(0)
	applied, err := applyPage(ctx, pool, rd, 0, page)
	if err != nil {
		t.Fatal(err)
	}
	if got := trips.n.Load(); got != 4 {
		t.Errorf("a page of %d events for 3 projectors took %d round trips, want 4 (begin, checkpoints, writes, commit)", len(page), got)
	}
	for _, name := range []string{"a", "b", "c"} {
		if len(applied[name]) != len(page) {
			t.Errorf("%s applied %d events, want %d", name, len(applied[name]), len(page))
		}
		if n := count(t, pool, `SELECT count(*) FROM applied WHERE projector = $1`, name); n != len(page) {
			t.Errorf("%s wrote %d rows, want %d", name, n, len(page))
		}
	}
}

// A projector's statement that the database refuses fails at the page's
// end, not at its Exec; the page is then applied with each projector alone,
// so the others commit it and the failing one keeps its checkpoint and
// fails by name.
func TestPageHeldStatementFailureNamesItsProjector(t *testing.T) {
	pool := pgtest.NewPool(t)
	ctx := context.Background()
	rd := pageOfThree(t, pool)
	page := testEvents(3, "Good")
	// b's row for the second event is there already: its insert breaks the key.
	if _, err := pool.Exec(ctx, `INSERT INTO applied (projector, event_id, position, runner) VALUES ('b', $1, 2, 'earlier')`, page[1].ID); err != nil {
		t.Fatal(err)
	}
	applied, err := applyPage(ctx, pool, rd, 0, page)
	fails, ok := err.(failures)
	if !ok || len(fails) != 1 || fails["b"] == nil {
		t.Fatalf("applyPage: %v (%T), want b's failure alone", err, err)
	}
	for name, want := range map[string]int{"a": 3, "b": 0, "c": 3} {
		if n := count(t, pool, `SELECT count(*) FROM applied WHERE projector = $1 AND runner = 'r'`, name); n != want {
			t.Errorf("%s wrote %d rows, want %d", name, n, want)
		}
	}
	if len(applied["a"]) != 3 || len(applied["c"]) != 3 || len(applied["b"]) != 0 {
		t.Errorf("applied a %d, b %d, c %d events; want 3, 0, 3", len(applied["a"]), len(applied["b"]), len(applied["c"]))
	}
	if n := count(t, pool, `SELECT position FROM projection_checkpoints WHERE projector = 'b'`); n != 0 {
		t.Errorf("b's checkpoint moved to %d, want it kept at 0", n)
	}
}

// pageOfThree is a reader of three members (a, b, c) of runner "r",
// their checkpoints at the start and their table made.
func pageOfThree(t *testing.T, pool *pgxpool.Pool) reader {
	t.Helper()
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE applied (projector text NOT NULL, event_id uuid NOT NULL,
		position bigint NOT NULL, runner text NOT NULL, PRIMARY KEY (projector, event_id))`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO projection_checkpoints (projector, position) VALUES ('a', 0), ('b', 0), ('c', 0)`); err != nil {
		t.Fatal(err)
	}
	return reader{topic: "page", members: []Projector{member{name: "a", runner: "r"}, member{name: "b", runner: "r"}, member{name: "c", runner: "r"}}}
}

// testEvents are n events of typ at positions 1..n.
func testEvents(n int, typ string) []eventstore.RecordedEvent {
	events := make([]eventstore.RecordedEvent, n)
	for i := range events {
		events[i] = eventstore.RecordedEvent{EventData: eventstore.EventData{ID: uuid.New(), Type: typ}, Position: eventstore.Position(i + 1)}
	}
	return events
}
