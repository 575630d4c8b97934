package projections

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// runNotifier runs a Notifier on pool until stop (or the test's end); stop
// returns what Run returned.
func runNotifier(t *testing.T, pool *pgxpool.Pool) (n *Notifier, stop func() error) {
	t.Helper()
	n = NewNotifier(pool, slog.New(slog.DiscardHandler))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })
	return n, stop
}

// woken waits (at most 5 s) for ch to close.
func woken(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not wake the waiters", what)
	}
}

// listening waits until the notifier's connection LISTENs.
func listening(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if count(t, pool, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN `+NotifyChannel+`'`) == 1 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the notifier does not listen")
}

// A projector's commit wakes every waiter; so does the connection coming
// back after it was cut; Stopped closes once Run returns.
func TestNotifier(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	n, stop := runNotifier(t, pool)
	listening(t, pool)

	// Several waiters of one notification.
	first, second := n.Changed(), n.Changed()
	runner := start(t, pool, store, "a")
	last := appendN(t, store, 3, "Good")
	woken(t, first, "a projector's commit")
	woken(t, second, "a projector's commit")
	waitFor(t, pool, last)
	runner.stop()
	time.Sleep(100 * time.Millisecond) // the last commit's notification has come

	// A notification in a transaction that rolls back wakes nobody.
	quiet := n.Changed()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, 'x')`, NotifyChannel); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	select {
	case <-quiet:
		t.Fatal("a rolled-back notification woke the waiters")
	case <-time.After(200 * time.Millisecond):
	}

	// The connection is cut: the notifier listens again and wakes everyone
	// (a commit may have come while it was down).
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+NotifyChannel+`'`); err != nil {
		t.Fatal(err)
	}
	woken(t, quiet, "listening again")
	listening(t, pool)
	after := n.Changed()
	if _, err := pool.Exec(ctx, `SELECT pg_notify($1, 'x')`, NotifyChannel); err != nil {
		t.Fatal(err)
	}
	woken(t, after, "a notification after the reconnection")

	select {
	case <-n.Stopped():
		t.Fatal("Stopped closed while Run runs")
	default:
	}
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	woken(t, n.Stopped(), "Run's end")
}

// With a Notifier, WaitFor returns as soon as the projectors commit, not at
// its next poll.
func TestWaitForWakesOnCommit(t *testing.T) {
	pool, store := setup(t)
	n, _ := runNotifier(t, pool)
	listening(t, pool)
	start(t, pool, store, "a")
	progress := Progress{Pool: pool, Names: []string{"recorder"}, Notifier: n, Poll: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- progress.WaitFor(ctx, 5) }()
	time.Sleep(50 * time.Millisecond) // WaitFor is waiting
	appendN(t, store, 5, "Good")
	if err := <-waited; err != nil {
		t.Fatalf("WaitFor: %v", err)
	}
}

// A nil Notifier never wakes anyone and never stops (Progress without one
// polls).
func TestNilNotifier(t *testing.T) {
	var n *Notifier
	if n.Changed() != nil || n.Stopped() != nil {
		t.Fatal("a nil Notifier's channels are not nil")
	}
}
