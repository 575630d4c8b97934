package pgserver_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
)

// TestStartReplica starts a private primary and a streaming replica of it,
// and checks that the replica is a read-only standby that replays what the
// primary commits after the copy was made.
func TestStartReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two PostgreSQL servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Not t.TempDir: its parent is closed to the postgres user, who owns
	// the clusters when the tests run as root.
	dir, err := os.MkdirTemp("", "pgserver-replica-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) }) // after the clusters stop
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	primary := startCluster(ctx, t, func(port int) (*pgserver.Cluster, error) {
		return pgserver.Start(ctx, filepath.Join(dir, "primary"), port, log)
	})
	replica := startCluster(ctx, t, func(port int) (*pgserver.Cluster, error) {
		return pgserver.StartReplica(ctx, primary, filepath.Join(dir, "replica"), port, log)
	})

	p := connect(ctx, t, primary.URL("postgres"))
	if _, err := p.Exec(ctx, `CREATE TABLE copied (v text); INSERT INTO copied VALUES ('after the copy')`); err != nil {
		t.Fatal(err)
	}
	var lsn string
	if err := p.QueryRow(ctx, `SELECT pg_current_wal_lsn()::text`).Scan(&lsn); err != nil {
		t.Fatal(err)
	}

	r := connect(ctx, t, replica.URL("postgres"))
	var standby bool
	if err := r.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil || !standby {
		t.Fatalf("the replica is not in recovery (a standby): %v %v", standby, err)
	}
	// Wait until the replica has replayed the primary's WAL up to the
	// insert: the looks are paced, the wait ends on the condition.
	for {
		var replayed bool
		if err := r.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn`, lsn).Scan(&replayed); err != nil {
			t.Fatal(err)
		}
		if replayed {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("the replica never replayed the primary's insert")
		case <-time.After(10 * time.Millisecond):
		}
	}
	var v string
	if err := r.QueryRow(ctx, `SELECT v FROM copied`).Scan(&v); err != nil || v != "after the copy" {
		t.Fatalf("the replica reads %q, %v; want the primary's row", v, err)
	}
	if _, err := r.Exec(ctx, `INSERT INTO copied VALUES ('on the replica')`); err == nil {
		t.Fatal("the replica took a write")
	}
	// Nor can anyone LISTEN there (so waits on a replica poll).
	if _, err := r.Exec(ctx, `LISTEN anything`); err == nil {
		t.Fatal("the replica took a LISTEN")
	}
}

func startCluster(ctx context.Context, t *testing.T, start func(port int) (*pgserver.Cluster, error)) *pgserver.Cluster {
	t.Helper()
	port, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := start(port)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop(context.WithoutCancel(ctx)) })
	return c
}

func connect(ctx context.Context, t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.WithoutCancel(ctx)) })
	return conn
}
