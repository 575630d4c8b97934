package projections

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// NotifyChannel is the PostgreSQL channel on which every transaction that
// moves a checkpoint notifies (pg_notify, delivered when it commits): the
// projectors' page, a reactor's batch, a set-aside. Its payload
// ("read-models:position" for the projectors' page, "name:position" else) is
// for people reading logs; listeners only need the wake-up.
const NotifyChannel = "smsinbox_projections"

// Notifier wakes, in this process, whoever waits for the read models to move
// on: one connection LISTENs on NotifyChannel for the whole process, and each
// notification wakes every waiter at once. Waiters take Changed's channel
// before they read the read models, then wait for it to close, so a commit
// that lands during their read is never missed.
//
// Whatever the projectors' process (this one or another server), their
// commits reach every listener of the database. While the connection is down
// nothing wakes; once it is back every waiter is woken (a commit may have
// come meanwhile).
type Notifier struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	log     *slog.Logger

	mu      sync.Mutex
	changed chan struct{}

	stopped  chan struct{}
	stopOnce sync.Once

	// received, when set (by this package's tests), is told each
	// notification's payload once its waiters are woken: a test learns that
	// a notification it sent has come, and what came before it.
	received func(payload string)
}

// NewNotifier makes a Notifier that listens on a connection of its own,
// opened beside pool with its settings (a pool slot held for ever would be
// one fewer for queries).
func NewNotifier(pool *pgxpool.Pool, logger *slog.Logger) *Notifier {
	if logger == nil {
		logger = slog.Default()
	}
	cfg := pool.Config().ConnConfig
	return &Notifier{
		connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) },
		log:     logger.With("component", "notifier"),
		changed: make(chan struct{}),
		stopped: make(chan struct{}),
	}
}

// Changed returns a channel that the next notification closes. A nil
// Notifier returns nil (a channel that never closes).
func (n *Notifier) Changed() <-chan struct{} {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.changed
}

// Stopped is closed once Run has returned: nothing wakes waiters any more,
// so long waits (the live streams) end rather than go stale. A nil Notifier
// returns nil.
func (n *Notifier) Stopped() <-chan struct{} {
	if n == nil {
		return nil
	}
	return n.stopped
}

func (n *Notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.changed)
	n.changed = make(chan struct{})
}

// Reconnection backoff of Run.
const (
	notifyMinBackoff = 100 * time.Millisecond
	notifyMaxBackoff = 5 * time.Second
)

// Run listens until ctx ends, reconnecting when the connection fails. It
// returns nil once ctx has ended, and closes Stopped.
func (n *Notifier) Run(ctx context.Context) error {
	defer n.stopOnce.Do(func() { close(n.stopped) })
	backoff := notifyMinBackoff
	for {
		began := time.Now()
		err := n.listen(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(began) > notifyMaxBackoff {
			backoff = notifyMinBackoff // it had been up a while: a new failure
		}
		n.log.WarnContext(ctx, "listening for read-model changes failed; waiters are woken again once it is back",
			"err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, notifyMaxBackoff)
	}
}

// listen holds one LISTEN connection until it fails or ctx ends.
func (n *Notifier) listen(ctx context.Context) error {
	conn, err := n.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, `LISTEN `+NotifyChannel); err != nil {
		return err
	}
	// A commit made before LISTEN took effect notified nobody here: every
	// waiter looks again.
	n.broadcast()
	for {
		note, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		n.broadcast()
		if n.received != nil {
			n.received(note.Payload)
		}
	}
}
