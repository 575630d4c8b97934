package projections

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// picky is a Selective reactor of the tests: it records the events of type
// "Wanted" and ignores the others.
type picky struct{}

func (picky) Name() string                  { return "picky" }
func (picky) Tables() []string              { return nil }
func (picky) Handles(eventType string) bool { return eventType == "Wanted" }
func (picky) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if e.Type != "Wanted" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO recorded (event_id, position, runner) VALUES ($1, $2, 'picky')`, e.ID, int64(e.Position))
	return err
}

// countCheckpointWrites records every write of a checkpoint row in
// checkpoint_writes (one row per write: the consumer and where it moved to).
func countCheckpointWrites(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `
		CREATE TABLE checkpoint_writes (projector text NOT NULL, position bigint NOT NULL);
		CREATE FUNCTION note_checkpoint_write() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN INSERT INTO checkpoint_writes VALUES (NEW.projector, NEW.position); RETURN NEW; END $$;
		CREATE TRIGGER checkpoint_writes AFTER UPDATE ON projection_checkpoints
		FOR EACH ROW EXECUTE FUNCTION note_checkpoint_write()`); err != nil {
		t.Fatal(err)
	}
}

func startReactor(t *testing.T, pool *pgxpool.Pool, store eventstore.Store, p Projector, skipIdle time.Duration) *running {
	t.Helper()
	return startRunner(t, RunnerConfig{Pool: pool, Store: store, Reactors: []Projector{p}, SkipIdle: skipIdle, SkipAge: time.Hour})
}

// A Selective reactor opens no transaction, and writes no checkpoint, for
// the pages of the log that hold nothing it handles: over a backlog of
// several pages of other events and one it handles, at the end, its
// checkpoint is written once, by the page with that event, and passes the
// skipped pages with it (they are not taken for a lost commit). Stopped
// with a span skipped and not yet passed, it reads that span again after a
// restart, passes it once idle, and applies nothing twice.
func TestSelectiveReactorSkipsPagesWithNothingForIt(t *testing.T) {
	pool, store := setup(t)
	countCheckpointWrites(t, pool)
	appendN(t, store, 600, "Other") // more than two pages of the reader (256)
	wanted := appendN(t, store, 1, "Wanted")

	r := startReactor(t, pool, store, picky{}, time.Hour)
	waitForAll(t, pool, wanted, "picky")
	if n := count(t, pool, `SELECT count(*) FROM checkpoint_writes WHERE projector = 'picky'`); n != 1 {
		t.Fatalf("the checkpoint was written %d times for pages of nothing and one with work at the end; want once", n)
	}
	if n := count(t, pool, `SELECT count(*) FROM recorded WHERE runner = 'picky'`); n != 1 {
		t.Fatalf("applied %d wanted events, want 1", n)
	}

	// A span of nothing, skipped and never passed (idle is an hour away).
	other := appendN(t, store, 300, "Other")
	r.stop()
	if n := count(t, pool, `SELECT position FROM projection_checkpoints WHERE projector = 'picky'`); n != int(wanted) {
		t.Fatalf("checkpoint at %d after a span of nothing, want %d: it moved for nothing", n, wanted)
	}

	startReactor(t, pool, store, picky{}, time.Millisecond)
	waitForAll(t, pool, other, "picky") // passed once idle
	again := appendN(t, store, 1, "Wanted")
	waitForAll(t, pool, again, "picky")
	if n := count(t, pool, `SELECT count(*) FROM recorded WHERE runner = 'picky'`); n != 2 {
		t.Fatalf("applied %d wanted events, want 2", n)
	}
}
