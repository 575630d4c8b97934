package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// TestAppendCommitsWhileThePoolIsTaken: a commit runs on the writer's own
// connection, so an append is durable even while every connection of the
// caller's pool is held (by projectors, readers, slow requests), and the
// appends waiting behind it do not wait for the pool as well.
func TestAppendCommitsWhileThePoolIsTaken(t *testing.T) {
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), pool, Config{})
	if err != nil {
		pool.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); pool.Close() })
	ctx := context.Background()
	var held []*pgxpool.Conn
	for range cfg.MaxConns {
		c, err := pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	release := func() {
		for _, c := range held {
			c.Release()
		}
		held = nil
	}
	t.Cleanup(release) // before the pool closes, also when the test fails
	done := make(chan error, 1)
	go func() {
		_, err := s.Append(ctx, "held-pool", eventstore.NoStream(), groupEvent())
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("append while the pool is taken: %v", err)
		}
	case <-time.After(10 * time.Second): // generous: the commit takes milliseconds
		t.Fatal("the append waited for a connection of the shared pool")
	}
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
