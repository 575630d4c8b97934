package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// storeOnTakenPool opens a Store on a pool of two connections and takes
// both, as busy projectors, readers and slow requests would; release gives
// them back (it also runs when the test ends, before the pool closes).
func storeOnTakenPool(t *testing.T) (s *Store, release func()) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err = New(context.Background(), pool, Config{})
	if err != nil {
		pool.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); pool.Close() })
	var held []*pgxpool.Conn
	for range cfg.MaxConns {
		c, err := pool.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	release = func() {
		for _, c := range held {
			c.Release()
		}
		held = nil
	}
	t.Cleanup(release)
	return s, release
}

// within runs f and fails the test when it has not returned within a
// generous bound (it takes milliseconds when it need not wait for the
// taken pool).
func within(t *testing.T, what string, f func() error) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s waited for a connection of the shared pool", what)
	}
}

// TestAppendCommitsWhileThePoolIsTaken: a commit runs on the writer's own
// connection, so an append is durable even while every connection of the
// caller's pool is held, and the appends waiting behind it do not wait for
// the pool as well.
func TestAppendCommitsWhileThePoolIsTaken(t *testing.T) {
	s, release := storeOnTakenPool(t)
	ctx := context.Background()
	within(t, "the append", func() error {
		_, err := s.Append(ctx, "held-pool", eventstore.NoStream(), groupEvent())
		return err
	})
	release()
	got := 0
	for _, err := range s.ReadStream(ctx, "held-pool", 0) {
		if err != nil {
			t.Fatal(err)
		}
		got++
	}
	if got != 1 {
		t.Fatalf("read %d events, want the 1 appended", got)
	}
}

// TestReadStreamWhileThePoolIsTaken: a command's read of its stream runs on
// the stream readers' connections, so it does not queue behind the
// consumers that hold the caller's pool.
func TestReadStreamWhileThePoolIsTaken(t *testing.T) {
	s, _ := storeOnTakenPool(t)
	ctx := context.Background()
	within(t, "the append", func() error {
		_, err := s.Append(ctx, "held-pool", eventstore.NoStream(), groupEvent(), groupEvent())
		return err
	})
	within(t, "the read", func() error {
		got := 0
		for _, err := range s.ReadStream(ctx, "held-pool", 0) {
			if err != nil {
				return err
			}
			got++
		}
		if got != 2 {
			t.Errorf("read %d events, want the 2 appended", got)
		}
		return nil
	})
}
