package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// recorder is a test projector: it records which runner applied each event
// and fails on events of type "Bad".
type recorder struct{ runner string }

func (recorder) Name() string     { return "recorder" }
func (recorder) Tables() []string { return []string{"recorded"} }
func (r recorder) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if e.Type == "Bad" {
		return errors.New("cannot apply a Bad event")
	}
	_, err := tx.Exec(ctx, `INSERT INTO recorded (event_id, position, runner) VALUES ($1, $2, $3)`, e.ID, int64(e.Position), r.runner)
	return err
}

func setup(t *testing.T) (*pgxpool.Pool, *postgres.Store) {
	t.Helper()
	pool := pgtest.NewPool(t)
	if _, err := pool.Exec(context.Background(), `CREATE TABLE recorded (event_id uuid PRIMARY KEY, position bigint NOT NULL, runner text NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	store, err := postgres.New(context.Background(), pool, postgres.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return pool, store
}

func appendN(t *testing.T, store eventstore.Store, n int, typ string) eventstore.Position {
	t.Helper()
	var last eventstore.Position
	for i := 0; i < n; i++ {
		data, _ := json.Marshal(map[string]int{"i": i})
		res, err := store.Append(context.Background(), eventstore.StreamID(fmt.Sprintf("s-%d", i%13)), eventstore.Any(),
			eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: data, OccurredAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		last = res.Position
	}
	return last
}

type running struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

func start(t *testing.T, pool *pgxpool.Pool, store eventstore.Store, name string) *running {
	t.Helper()
	return startMembers(t, pool, store, recorder{runner: name})
}

func (r *running) stop() {
	r.once.Do(func() {
		r.cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			panic("the runner did not stop within 20 s")
		}
	})
}

// waitFor waits until the recorder's checkpoint reaches pos (waitForAll).
func waitFor(t *testing.T, pool *pgxpool.Pool, pos eventstore.Position) {
	t.Helper()
	waitForAll(t, pool, pos, "recorder")
}

func count(t *testing.T, pool *pgxpool.Pool, q string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Stopping and starting the runner while events stream in applies every
// event exactly once (the recorded table's key refuses a second apply, which
// would fail the projector).
func TestExactlyOnceAcrossRestarts(t *testing.T) {
	pool, store := setup(t)
	var last eventstore.Position
	for i := 0; i < 4; i++ {
		name := fmt.Sprintf("run-%d", i)
		r := start(t, pool, store, name)
		last = appendN(t, store, 375, "Good")
		// Stop it as soon as it has applied something: most of the 375
		// events are still to come, so the stop lands mid-stream.
		eventually(t, name+" applies an event", func() bool {
			return count(t, pool, `SELECT count(*) FROM recorded WHERE runner = $1`, name) > 0
		})
		r.stop()
	}
	start(t, pool, store, "final")
	waitFor(t, pool, last)
	if n := count(t, pool, `SELECT count(*) FROM recorded`); n != 1500 {
		t.Fatalf("recorded %d events, want 1500", n)
	}
	if n := count(t, pool, `SELECT count(DISTINCT runner) FROM recorded`); n < 4 {
		t.Fatalf("only %d runners applied events, want each of the four stopped ones", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM projection_poison`); n != 0 {
		t.Fatalf("%d events set aside", n)
	}
}

// A bad event is set aside after its retries; the events around it, even in
// the same message, are applied.
func TestPoisonEventIsSetAside(t *testing.T) {
	pool, store := setup(t)
	appendN(t, store, 20, "Good")
	bad := appendN(t, store, 1, "Bad")
	last := appendN(t, store, 20, "Good")
	start(t, pool, store, "a")
	waitFor(t, pool, last)
	if n := count(t, pool, `SELECT count(*) FROM recorded`); n != 40 {
		t.Fatalf("recorded %d good events, want 40", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM projection_poison WHERE projector = 'recorder' AND position = $1 AND type = 'Bad'`, int64(bad)); n != 1 {
		t.Fatalf("the bad event was not set aside")
	}
}

// Two runners on one database: only one applies; when it stops, the other
// takes over.
func TestOneInstancePerProjector(t *testing.T) {
	pool, store := setup(t)
	a := start(t, pool, store, "a")
	// a takes the lock first: it applies an event while it runs alone.
	waitFor(t, pool, appendN(t, store, 1, "Good"))
	start(t, pool, store, "b")
	first := appendN(t, store, 199, "Good")
	waitFor(t, pool, first)
	if n := count(t, pool, `SELECT count(*) FROM recorded WHERE runner <> 'a'`); n != 0 {
		t.Fatalf("runner b applied %d events while a held the projector", n)
	}
	a.stop()
	second := appendN(t, store, 50, "Good")
	waitFor(t, pool, second)
	if n := count(t, pool, `SELECT count(*) FROM recorded WHERE runner = 'b'`); n != 50 {
		t.Fatalf("after a stopped, b applied %d of 50 events", n)
	}
}

// Rebuild replays the log into emptied tables and refuses while a runner
// holds the projector.
func TestRebuild(t *testing.T) {
	pool, store := setup(t)
	last := appendN(t, store, 300, "Good")
	r := start(t, pool, store, "a")
	waitFor(t, pool, last)
	if _, err := Rebuild(context.Background(), pool, store, recorder{runner: "rebuild"}, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatalf("rebuild ran while a runner held the projector")
	}
	r.stop()
	n, err := Rebuild(context.Background(), pool, store, recorder{runner: "rebuild"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if n != 300 || count(t, pool, `SELECT count(*) FROM recorded WHERE runner = 'rebuild'`) != 300 {
		t.Fatalf("rebuild applied %d events", n)
	}
	if cp := count(t, pool, `SELECT position FROM projection_checkpoints WHERE projector = 'recorder'`); cp != int(last) {
		t.Fatalf("checkpoint after rebuild = %d, want %d", cp, last)
	}
}
