package projections

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// member is a test projector of its own name that shares the applied
// table with the others: it records each event it applies, and fails on
// events of the type it refuses (or panics on them). The table's key refuses a second apply of
// an event by one projector (which would then fail).
type member struct {
	name, runner, refuses, panics string
	// gate, when set, is called before each event is applied.
	gate func(e eventstore.RecordedEvent)
}

func (m member) Name() string     { return m.name }
func (m member) Tables() []string { return nil }
func (m member) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if m.gate != nil {
		m.gate(e)
	}
	if e.Type == m.refuses {
		return errors.New(m.name + " cannot apply a " + e.Type + " event")
	}
	if e.Type == m.panics {
		panic(m.name + " panics on a " + e.Type + " event")
	}
	_, err := tx.Exec(ctx, `INSERT INTO applied (projector, event_id, position, runner) VALUES ($1, $2, $3, $4)`,
		m.name, e.ID, int64(e.Position), m.runner)
	return err
}

func setupMembers(t *testing.T) (*pgxpool.Pool, eventstore.Store) {
	t.Helper()
	pool, store := setup(t)
	if _, err := pool.Exec(context.Background(), `CREATE TABLE applied (projector text NOT NULL, event_id uuid NOT NULL,
		position bigint NOT NULL, runner text NOT NULL, PRIMARY KEY (projector, event_id))`); err != nil {
		t.Fatal(err)
	}
	return pool, store
}

func startMembers(t *testing.T, pool *pgxpool.Pool, store eventstore.Store, ps ...Projector) *running {
	t.Helper()
	return startRunner(t, RunnerConfig{Pool: pool, Store: store, Projectors: ps})
}

// startRunner runs a Runner of cfg (logging nothing, two retries unless
// cfg says) until the test ends.
func startRunner(t *testing.T, cfg RunnerConfig) *running {
	t.Helper()
	cfg.Logger = slog.New(slog.DiscardHandler)
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 2
	}
	r, err := NewRunner(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &running{cancel: cancel, done: make(chan error, 1)}
	go func() { run.done <- r.Run(ctx) }()
	t.Cleanup(run.stop)
	return run
}

// waitForAll waits until every named projector's checkpoint reaches pos,
// woken by the projectors' commits (a Notifier of its own; no poll), for
// at most 20 s.
func waitForAll(t *testing.T, pool *pgxpool.Pool, pos eventstore.Position, names ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// A commit before its LISTEN is not missed: the notifier wakes every
	// waiter once it listens.
	n := NewNotifier(pool, slog.New(slog.DiscardHandler))
	run, stop := context.WithCancel(ctx)
	defer func() { stop(); <-n.Stopped() }()
	go func() { _ = n.Run(run) }()
	if err := (Progress{Pool: pool, Names: names, Notifier: n, Poll: time.Hour}).WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
}

// The projectors of one Runner share one reader and one transaction a
// page, yet a projector that fails (or panics) on an event sets aside only
// its own copy of that event: the others apply it, and every event around
// it, and so does the failing one.
func TestPoisonEventSetsAsideOnlyItsProjector(t *testing.T) {
	pool, store := setupMembers(t)
	appendN(t, store, 20, "Good")
	bad := appendN(t, store, 1, "Bad")
	last := appendN(t, store, 20, "Good")
	startMembers(t, pool, store, member{name: "a", runner: "r"}, member{name: "b", runner: "r", refuses: "Bad"},
		member{name: "c", runner: "r"}, member{name: "d", runner: "r", panics: "Bad"})
	waitForAll(t, pool, last, "a", "b", "c", "d")
	for name, want := range map[string]int{"a": 41, "b": 40, "c": 41, "d": 40} {
		if n := count(t, pool, `SELECT count(*) FROM applied WHERE projector = $1`, name); n != want {
			t.Errorf("%s applied %d events, want %d", name, n, want)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM projection_poison`); n != 2 {
		t.Errorf("%d events set aside, want 2", n)
	}
	for _, name := range []string{"b", "d"} {
		if n := count(t, pool, `SELECT count(*) FROM projection_poison WHERE projector = $1 AND position = $2 AND type = 'Bad'`, name, int64(bad)); n != 1 {
			t.Errorf("%s's bad event was not set aside", name)
		}
	}
}

// A projector behind the others (new, or rebuilt from scratch) catches up
// from its own checkpoint through the shared reader, while the others
// skip what they hold: every projector applies every event once.
func TestProjectorBehindTheOthersCatchesUp(t *testing.T) {
	pool, store := setupMembers(t)
	first := appendN(t, store, 300, "Good")
	a := startMembers(t, pool, store, member{name: "a", runner: "first"})
	waitForAll(t, pool, first, "a")
	a.stop()

	second := appendN(t, store, 50, "Good")
	startMembers(t, pool, store, member{name: "a", runner: "second"}, member{name: "b", runner: "second"})
	waitForAll(t, pool, second, "a", "b")
	for name, want := range map[string]int{"a": 350, "b": 350} {
		if n := count(t, pool, `SELECT count(*) FROM applied WHERE projector = $1`, name); n != want {
			t.Errorf("%s applied %d events, want %d", name, n, want)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM applied WHERE projector = 'a' AND runner = 'second'`); n != 50 {
		t.Errorf("a applied %d events after its restart, want the 50 new ones", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM projection_poison`); n != 0 {
		t.Errorf("%d events set aside", n)
	}
}

// A runner stopped in the middle of a page (its projectors half-way
// through it, in the shared transaction) leaves none of the page behind,
// and the next runner applies it whole: every projector applies every
// event exactly once, and their checkpoints move together.
func TestStopMidPageAppliesExactlyOnce(t *testing.T) {
	pool, store := setupMembers(t)
	last := appendN(t, store, 200, "Good")
	// The first runner's second projector stops at the 100th event,
	// inside a page: its first projector has written the page already.
	reached := make(chan struct{})
	var once sync.Once
	held := make(chan struct{})
	r := startMembers(t, pool, store, member{name: "a", runner: "first"},
		member{name: "b", runner: "first", gate: func(e eventstore.RecordedEvent) {
			if e.Position >= 100 {
				once.Do(func() { close(reached) })
				<-held
			}
		}})
	<-reached
	// The kill: the runner is told to stop (so that it claims nothing
	// again) and every session of it ends, its transaction with them;
	// then the held projector may go on, into a closed connection.
	r.cancel()
	dropConnections(t, pool)
	pool.Reset()
	close(held)
	r.stop()
	// The page in hand was not committed, for either projector.
	before := count(t, pool, `SELECT count(*) FROM applied WHERE projector = 'a'`)
	if before >= 200 || before != count(t, pool, `SELECT count(*) FROM applied WHERE projector = 'b'`) {
		t.Fatalf("after the kill a holds %d events and b %d: the page went half in", before,
			count(t, pool, `SELECT count(*) FROM applied WHERE projector = 'b'`))
	}
	startMembers(t, pool, store, member{name: "a", runner: "second"}, member{name: "b", runner: "second"})
	waitForAll(t, pool, last, "a", "b")
	for _, name := range []string{"a", "b"} {
		if n := count(t, pool, `SELECT count(*) FROM applied WHERE projector = $1`, name); n != 200 {
			t.Errorf("%s applied %d events, want 200", name, n)
		}
	}
	if n := count(t, pool, `SELECT count(*) FROM projection_poison`); n != 0 {
		t.Errorf("%d events set aside", n)
	}
}

// The shared reader holds every projector's lock, all or none: a second
// runner stands by while the first runs, and a rebuild of one projector
// is refused while either holds them.
func TestReaderHoldsEveryProjectorsLock(t *testing.T) {
	pool, store := setupMembers(t)
	startMembers(t, pool, store, member{name: "a", runner: "first"}, member{name: "b", runner: "first"})
	waitForAll(t, pool, appendN(t, store, 1, "Good"), "a", "b")
	st, err := checkpoint.Standings(context.Background(), pool, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	if !st["a"].Held || !st["b"].Held {
		t.Fatalf("standings %+v: the reader must hold each projector's lock", st)
	}
	startMembers(t, pool, store, member{name: "a", runner: "second"}, member{name: "b", runner: "second"})
	waitForAll(t, pool, appendN(t, store, 50, "Good"), "a", "b")
	if n := count(t, pool, `SELECT count(*) FROM applied WHERE runner <> 'first'`); n != 0 {
		t.Fatalf("the second runner applied %d events while the first held the projectors", n)
	}
	if _, err := Rebuild(context.Background(), pool, store, member{name: "b", runner: "rebuild"}, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a rebuild of b ran while a runner held it")
	}
}
