package dbtime_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/dbtime"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

func tracedPool(t *testing.T, tr *dbtime.Tracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// A unit of work's statements, batches and connection acquisitions add to
// its Timing; work under another context adds nothing to it.
func TestTimingSumsTheStatementsOfItsContext(t *testing.T) {
	pool := tracedPool(t, &dbtime.Tracer{Pool: "queries"})
	ctx, timing := dbtime.Start(context.Background())
	if _, err := pool.Exec(ctx, `SELECT pg_sleep(0.02)`); err != nil {
		t.Fatal(err)
	}
	b := &pgx.Batch{}
	b.Queue(`SELECT 1`)
	b.Queue(`SELECT 2`)
	if err := pool.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `SELECT 3`); err != nil { // not this unit's
		t.Fatal(err)
	}
	d, n := timing.Queries()
	if n != 2 || d < 20*time.Millisecond { // pg_sleep(0.02) alone takes 20 ms
		t.Fatalf("queries %d taking %s, want the statement and the batch, at least the 20 ms slept", n, d)
	}
	if _, n := timing.Acquire(); n != 2 {
		t.Fatalf("acquisitions %d, want 2", n)
	}
	st := timing.ServerTiming()
	for _, want := range []string{`db;dur=`, `db-acquire;dur=`, `db-acquire-queries;dur=`, `desc="2"`} {
		if !strings.Contains(st, want) {
			t.Fatalf("Server-Timing %q lacks %q", st, want)
		}
	}
}

// With a threshold, every statement at or over it is logged with its pool.
func TestTracerLogsSlowStatements(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	pool := tracedPool(t, &dbtime.Tracer{Pool: "primary", Slow: time.Nanosecond, Logger: logger})
	if _, err := pool.Exec(context.Background(), `SELECT 'tell me'`); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "slow database call") || !strings.Contains(got, "pool=primary") || !strings.Contains(got, "tell me") {
		t.Fatalf("log %q, want the slow statement with its pool", got)
	}
}
