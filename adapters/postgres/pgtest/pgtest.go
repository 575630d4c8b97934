// Package pgtest gives tests real PostgreSQL databases: each test its own,
// freshly migrated, dropped when the test ends.
//
// A package that uses it calls Main from its TestMain. The server is the one
// DATABASE_URL names (the test runner, cmd/testenv, sets it to the private
// cluster it starts for the whole run); else one on 127.0.0.1:5432; else a
// private cluster started for this package alone, when its first test asks
// for a database, and stopped after the package's tests.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/migrations"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
)

// Main runs the tests of a package with a PostgreSQL server.
func Main(m *testing.M) {
	os.Exit(Run(m))
}

// Run is Main without the exit: it answers the exit code, so that a
// TestMain can release what its package's tests shared before it exits.
//
// A private cluster is started only when a test first asks for a database
// (NewDatabase, NewPool): a run of the package's tests that need none (on a
// store in memory, say) needs no PostgreSQL at all.
func Run(m *testing.M) int {
	ctx := context.Background()
	if os.Getenv("DATABASE_URL") == "" && pgserver.Answers("127.0.0.1:5432") {
		_ = os.Setenv("DATABASE_URL", pgserver.DefaultLocalURL) // fails only for a malformed name
	}
	code := m.Run()
	templates.drop(ctx)
	private.stop(ctx)
	return code
}

// privateCluster is the cluster this test process starts for itself when
// no server was named or answered, on first use.
type privateCluster struct {
	once    sync.Once
	err     error
	dir     string
	cluster *pgserver.Cluster
}

var private privateCluster

// ensure makes DATABASE_URL name a server, starting the private cluster if
// it names none.
func (pc *privateCluster) ensure() error {
	pc.once.Do(func() {
		if os.Getenv("DATABASE_URL") != "" {
			return
		}
		// Not the caller's context: the cluster outlives the test that
		// happened to start it.
		ctx := context.Background()
		logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		pc.dir, pc.err = os.MkdirTemp("", "smsinbox-pgtest-")
		if pc.err != nil {
			return
		}
		if pc.err = os.Chmod(pc.dir, 0o755); pc.err != nil { // the cluster's owner must reach it
			return
		}
		port, err := pgserver.FreePort()
		if err != nil {
			pc.err = err
			return
		}
		if pc.cluster, pc.err = pgserver.Start(ctx, filepath.Join(pc.dir, "pg"), port, logger); pc.err != nil {
			pc.err = fmt.Errorf("no PostgreSQL server: %w", pc.err)
			return
		}
		_ = os.Setenv("DATABASE_URL", pc.cluster.URL("postgres"))
	})
	return pc.err
}

// stop stops the private cluster, if one was started, and removes it.
func (pc *privateCluster) stop(ctx context.Context) {
	if pc.cluster != nil {
		if err := pc.cluster.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	if pc.dir != "" {
		_ = os.RemoveAll(pc.dir)
	}
}

// template is one migrated database per test process that each test's
// database is copied from.
type template struct {
	once sync.Once
	name string
	err  error
}

var templates template

func (tp *template) get(ctx context.Context) (string, error) {
	tp.once.Do(func() {
		tp.name = "smsinbox_tpl_" + randomSuffix()
		tp.err = createMigrated(ctx, tp.name)
	})
	return tp.name, tp.err
}

func (tp *template) drop(ctx context.Context) {
	if tp.name == "" {
		return
	}
	if conn, err := adminConn(ctx); err == nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{tp.name}.Sanitize()+" WITH (FORCE)")
		conn.Close(ctx)
	}
}

func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func serverConfig() (*pgx.ConnConfig, error) {
	url := os.Getenv("DATABASE_URL")
	if url == "" {
		return nil, fmt.Errorf("pgtest: DATABASE_URL is unset; call pgtest.Main from TestMain")
	}
	return pgx.ParseConfig(url)
}

func adminConn(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := serverConfig()
	if err != nil {
		return nil, err
	}
	cfg.Database = "postgres"
	return pgx.ConnectConfig(ctx, cfg)
}

// URL is the address of database name on the test server.
func URL(name string) string {
	cfg, err := serverConfig()
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", cfg.User, cfg.Host, cfg.Port, name)
}

func createMigrated(ctx context.Context, name string) error {
	conn, err := adminConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create %s: %w", name, err)
	}
	pool, err := pgxpool.New(ctx, URL(name))
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrations.Apply(ctx, pool, slog.New(slog.DiscardHandler))
}

// NewDatabase creates a fresh, migrated database for t, dropped when t ends,
// and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	if err := private.ensure(); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tpl, err := templates.get(ctx)
	if err != nil {
		t.Fatalf("pgtest: template database: %v", err)
	}
	conn, err := adminConn(ctx)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	name := "smsinbox_test_" + randomSuffix()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{tpl}.Sanitize()); err != nil {
		t.Fatalf("pgtest: create %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := adminConn(ctx)
		if err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop %s: %v", name, err)
		}
	})
	return URL(name)
}

// NewTracedPool is NewPool with every connection's statements and batches
// reported to tracer (a pgx.QueryTracer; a pgx.BatchTracer too, if it is
// one), for tests that count round trips.
func NewTracedPool(t testing.TB, tracer pgx.QueryTracer) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(NewDatabase(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// NewPool opens a pool on a fresh database for t, closed when t ends.
func NewPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), NewDatabase(t))
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}
