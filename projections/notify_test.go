package projections

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// runNotifier runs a Notifier on pool until stop (or the test's end), and
// returns once it listens; stop returns what Run returned. Every
// notification's payload is recorded in notes.
func runNotifier(t *testing.T, pool *pgxpool.Pool) (n *Notifier, notes *payloads, stop func() error) {
	t.Helper()
	n = NewNotifier(pool, slog.New(slog.DiscardHandler))
	notes = &payloads{more: make(chan struct{})}
	n.received = notes.add
	// Run wakes every waiter once its LISTEN has taken effect.
	listening := n.Changed()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	stop = sync.OnceValue(func() error {
		cancel()
		return <-done
	})
	t.Cleanup(func() { _ = stop() })
	woken(t, listening, "listening")
	return n, notes, stop
}

// payloads records the notifications a Notifier received, in order.
type payloads struct {
	mu   sync.Mutex
	got  []string
	more chan struct{} // closed by the next add
}

func (p *payloads) add(payload string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, payload)
	close(p.more)
	p.more = make(chan struct{})
}

// until waits (at most 5 s) for a notification with payload and returns
// those that came before it.
func (p *payloads) until(t *testing.T, payload string) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		p.mu.Lock()
		more := p.more
		i := slices.Index(p.got, payload)
		before := slices.Clone(p.got[:max(i, 0)])
		p.mu.Unlock()
		if i >= 0 {
			return before
		}
		select {
		case <-more:
		case <-deadline:
			t.Fatalf("the notification %q never came", payload)
		}
	}
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

// A projector's commit wakes every waiter; so does the connection coming
// back after it was cut; Stopped closes once Run returns.
func TestNotifier(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	n, notes, stop := runNotifier(t, pool)

	// Several waiters of one notification.
	first, second := n.Changed(), n.Changed()
	runner := start(t, pool, store, "a")
	last := appendN(t, store, 3, "Good")
	woken(t, first, "a projector's commit")
	woken(t, second, "a projector's commit")
	waitFor(t, pool, last)
	runner.stop()

	// A notification in a transaction that rolls back wakes nobody: the
	// notification committed after it comes, and it never came before.
	// (Notifications arrive in commit order, so the projector's last ones
	// have come by then too.)
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, 'rolled back')`, NotifyChannel); err != nil {
		t.Fatal(err)
	}
	tx.Rollback(ctx)
	if _, err := pool.Exec(ctx, `SELECT pg_notify($1, 'committed')`, NotifyChannel); err != nil {
		t.Fatal(err)
	}
	if before := notes.until(t, "committed"); slices.Contains(before, "rolled back") {
		t.Fatalf("a rolled-back notification came: %q", before)
	}

	// The connection is cut: the notifier listens again and wakes everyone
	// (a commit may have come while it was down). Nothing else notifies
	// now, so only the new LISTEN wakes quiet.
	quiet := n.Changed()
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+NotifyChannel+`'`); err != nil {
		t.Fatal(err)
	}
	woken(t, quiet, "listening again")
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
	n, _, _ := runNotifier(t, pool)
	start(t, pool, store, "a")
	waiting := make(chan struct{}, 1)
	progress := Progress{Pool: pool, Names: []string{"recorder"}, Notifier: n, Poll: time.Hour,
		waiting: func() {
			select {
			case waiting <- struct{}{}:
			default:
			}
		}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waited := make(chan error, 1)
	go func() { waited <- progress.WaitFor(ctx, 5) }()
	<-waiting // WaitFor found the checkpoint short and waits
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
