package checkpoint

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Readiness, one row a case: a consumer claimed here, stalled here, held by
// another live session and keeping up, held but not moving, and held by
// nobody (in this database).
func TestReadiness(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for _, name := range []string{"here", "stalled", "elsewhere", "stuck", "orphan"} {
		if err := Ensure(ctx, pool, name); err != nil {
			t.Fatal(err)
		}
	}
	// "elsewhere" is at the head; "stuck" is behind and last moved long ago.
	if _, err := pool.Exec(ctx, `UPDATE projection_checkpoints SET position = 10 WHERE projector = 'elsewhere'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE projection_checkpoints SET position = 4, updated_at = $1 WHERE projector = 'stuck'`, now.Add(-2*StaleAfter)); err != nil {
		t.Fatal(err)
	}
	// A session holding the locks: this process's for "here" and "stalled",
	// another's for "elsewhere" and "stuck" (the lock is the same either way).
	other, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	for _, name := range []string{"here", "stalled", "elsewhere", "stuck"} {
		if _, err := other.Exec(ctx, `SELECT pg_advisory_lock($1)`, LockKey(name)); err != nil {
			t.Fatal(err)
		}
	}
	// Another database on the same server (another smsinbox) holds the lock
	// of "orphan": that does not hold this database's "orphan".
	neighbour, err := pgx.Connect(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer neighbour.Close(ctx)
	if _, err := neighbour.Exec(ctx, `SELECT pg_advisory_lock($1)`, LockKey("orphan")); err != nil {
		t.Fatal(err)
	}

	r := Readiness{Pool: pool, Now: func() time.Time { return now },
		Head: func(context.Context) (eventstore.Position, error) { return 10, nil }}
	status := func(st eventstream.Status) func() eventstream.Status { return func() eventstream.Status { return st } }
	for _, c := range []struct {
		consumer Local
		notReady string // "" when ready; else what the reason names
	}{
		{Local{"here", status(eventstream.Status{Claimed: true})}, ""},
		{Local{"stalled", status(eventstream.Status{Claimed: true, Nacks: 3, Stalled: true})}, "failed 3 times in a row"},
		{Local{"elsewhere", status(eventstream.Status{})}, ""},
		{Local{"stuck", status(eventstream.Status{})}, "has not moved"},
		{Local{"orphan", status(eventstream.Status{})}, "no live session holds it"},
	} {
		err := r.Check(ctx, c.consumer)
		switch {
		case c.notReady == "" && err != nil:
			t.Errorf("%s: not ready: %v", c.consumer.Name, err)
		case c.notReady != "" && (err == nil || !strings.Contains(err.Error(), c.notReady)):
			t.Errorf("%s: err = %v, want one saying %q", c.consumer.Name, err, c.notReady)
		}
	}
	// Once the session is gone, its consumers are held by nobody, even one
	// this process still believes it holds (its connection just died).
	// Closing the connection does not wait for the server to end the
	// session; pg_terminate_backend with a timeout does.
	var ended bool
	if err := pool.QueryRow(ctx, `SELECT pg_terminate_backend($1, 60000)`, other.PgConn().PID()).Scan(&ended); err != nil || !ended {
		t.Fatalf("end the other session: %v (ended %v)", err, ended)
	}
	for _, c := range []Local{{"elsewhere", status(eventstream.Status{})}, {"here", status(eventstream.Status{Claimed: true})}} {
		if err := r.Check(ctx, c); err == nil || !strings.Contains(err.Error(), "no live session") {
			t.Fatalf("%s after its session ended: %v", c.Name, err)
		}
	}
}
