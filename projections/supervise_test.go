package projections

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// eventually waits for cond, looking every few milliseconds, and fails the
// test when it has not held within a generous bound (a wait for a signal,
// not a measure of speed). The sleep is the poll's pace, not a wait for time
// to pass: what is awaited (a claim held in PostgreSQL's locks, a runner's
// status, a count of failures) sends no signal; checkpoints do, and are
// awaited with waitFor.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never happened: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dropConnections ends every other session on the test's database, as a
// restart of PostgreSQL does: the projectors' locks, their pooled
// connections and the store's listener all go.
func dropConnections(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ended %d sessions", n)
}

// A projector whose every connection is cut comes back by itself and goes
// on from its checkpoint, and Run does not return meanwhile. (Before the
// subscription was supervised, the lost lock ended the stream for good: the
// router closed and the events after the cut were never applied.)
func TestProjectorComesBackAfterItsConnectionsDrop(t *testing.T) {
	pool, store := setup(t)
	run := start(t, pool, store, "a")
	first := appendN(t, store, 30, "Good")
	waitFor(t, pool, first)

	dropConnections(t, pool)
	pool.Reset() // the test's own idle connections died too
	// The lock died with its session: wait until a new session holds it.
	eventually(t, "the projector is claimed again", func() bool {
		st, err := checkpoint.Standings(context.Background(), pool, []string{"recorder"})
		return err == nil && st["recorder"].Held
	})

	second := appendN(t, store, 30, "Good")
	waitFor(t, pool, second)
	if n := count(t, pool, `SELECT count(*) FROM recorded`); n != 60 {
		t.Fatalf("recorded %d events, want 60", n)
	}
	select {
	case err := <-run.done:
		t.Fatalf("the runner returned while it should run on: %v", err)
	default:
	}
}

// flaky fails every event with a transient error (the database shutting
// down) until healed: the outage of a database, seen by a projector.
type flaky struct {
	healed   *atomic.Bool
	failures *atomic.Int64
}

func (flaky) Name() string     { return "recorder" }
func (flaky) Tables() []string { return []string{"recorded"} }
func (f flaky) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if !f.healed.Load() {
		f.failures.Add(1)
		return &pgconn.PgError{Severity: "FATAL", Code: "57P01", Message: "terminating connection due to administrator command"}
	}
	return recorder{runner: "flaky"}.Apply(ctx, tx, e)
}

// An event that fails only because the database does is retried until the
// database is back, however many retries that takes, and is never set
// aside; meanwhile the projector's status says it is stalled, and once the
// event goes through it is not. (Before, a failure that outlived five quick
// retries set a good event aside for ever.)
func TestTransientFailureIsRetriedNotSetAside(t *testing.T) {
	pool, store := setup(t)
	f := flaky{healed: new(atomic.Bool), failures: new(atomic.Int64)}
	r, err := NewRunner(RunnerConfig{Pool: pool, Store: store, Projectors: []Projector{f},
		Logger: slog.New(slog.DiscardHandler), MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	last := appendN(t, store, 5, "Good")
	eventually(t, "the projector stalls on the outage", func() bool { return r.Status("recorder").Stalled })
	eventually(t, "many more failures than the retries allow", func() bool { return f.failures.Load() > 12 })
	if n := count(t, pool, `SELECT count(*) FROM projection_poison`); n != 0 {
		t.Fatalf("%d events set aside during an outage", n)
	}

	f.healed.Store(true)
	waitFor(t, pool, last)
	if n := count(t, pool, `SELECT count(*) FROM recorded`); n != 5 {
		t.Fatalf("recorded %d events, want 5", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM projection_poison`); n != 0 {
		t.Fatalf("%d events set aside", n)
	}
	eventually(t, "the projector is no longer stalled", func() bool {
		st := r.Status("recorder")
		return st.Claimed && !st.Stalled
	})
}

// A crash can lose a projector's last commits (they do not wait for the
// disk) while its reader, in memory, has gone past them. The next batch
// must not be applied over the hole: the projector refuses it until its
// claim, which the crash ended too, is taken again and the log is read from
// the checkpoint the crash left. (Before, the batch was applied, the
// checkpoint jumped over the lost events and they never reached the read
// model.)
func TestLostCommitIsReadAgainNotSkipped(t *testing.T) {
	pool, store := setup(t)
	r, err := NewRunner(RunnerConfig{Pool: pool, Store: store, Projectors: []Projector{recorder{runner: "r"}},
		Logger: slog.New(slog.DiscardHandler), MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	first := appendN(t, store, 1, "Good")
	second := appendN(t, store, 1, "Good")
	waitFor(t, pool, second)

	// The crash: the second event's commit is lost, and the checkpoint
	// stands at the first again.
	_, err = pool.Exec(context.Background(), `WITH lost AS (DELETE FROM recorded WHERE position = $1)
		UPDATE projection_checkpoints SET position = $2 WHERE projector = 'recorder'`, int64(second), int64(first))
	if err != nil {
		t.Fatal(err)
	}
	third := appendN(t, store, 1, "Good")
	eventually(t, "the third event is applied or refused", func() bool {
		var cp int64
		err := pool.QueryRow(context.Background(), `SELECT position FROM projection_checkpoints WHERE projector = 'recorder'`).Scan(&cp)
		return err == nil && (eventstore.Position(cp) >= third || r.Status("recorder").Nacks > 0)
	})
	// The crash ended every session, the claim's among them.
	dropConnections(t, pool)
	pool.Reset()

	waitFor(t, pool, third)
	if n := count(t, pool, `SELECT count(*) FROM recorded`); n != 3 {
		t.Fatalf("recorded %d events, want 3: the lost one was skipped", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM projection_poison`); n != 0 {
		t.Fatalf("%d events set aside", n)
	}
}
