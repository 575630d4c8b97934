// Package projections builds smsinbox's read models from the event log. Each
// projector owns some tables and applies events to them; the Runner feeds
// every projector the whole log through a Watermill router, one event at a
// time, and commits each projector's checkpoint in the same transaction as its
// changes, so a crash neither loses nor applies twice any event.
package projections

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Projector builds one read model.
type Projector interface {
	// Name identifies the projector: its checkpoint, its lock, its topic.
	Name() string
	// Tables are the tables it owns, emptied by a rebuild.
	Tables() []string
	// Apply applies one event inside tx. Events it has no use for it
	// ignores. Every time it writes comes from the events, never the clock,
	// so that a rebuild answers exactly as before.
	Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Pool       *pgxpool.Pool
	Store      eventstore.Store
	Projectors []Projector
	Logger     *slog.Logger
	Registry   prometheus.Registerer
	// MaxRetries is how often a failing event is retried before it is set
	// aside in projection_poison (5).
	MaxRetries int
}

// Runner runs projectors.
type Runner struct {
	cfg     RunnerConfig
	router  *message.Router
	sub     *eventstream.Subscriber
	lag     *prometheus.GaugeVec
	applied *prometheus.HistogramVec
	log     *slog.Logger
}

// NewRunner wires the projectors into a Watermill router.
func NewRunner(cfg RunnerConfig) (*Runner, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 5
	}
	r := &Runner{cfg: cfg, log: cfg.Logger.With("component", "projections")}
	r.lag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "smsinbox_projection_lag_events",
		Help: "Events committed to the log that the projector has not applied yet.",
	}, []string{"projector"})
	r.applied = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "smsinbox_projection_lag_seconds",
		Help:    "Time from an event's occurrence to its projection commit.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 60},
	}, []string{"projector"})
	if cfg.Registry != nil {
		if err := cfg.Registry.Register(r.lag); err != nil {
			return nil, err
		}
		if err := cfg.Registry.Register(r.applied); err != nil {
			return nil, err
		}
	}
	sub, err := eventstream.New(eventstream.Config{Store: cfg.Store, Claim: r.claim, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	r.sub = sub
	wlog := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, wlog)
	if err != nil {
		return nil, err
	}
	poison, err := middleware.PoisonQueue(poisonPublisher{pool: cfg.Pool, log: r.log}, "projection_poison")
	if err != nil {
		return nil, err
	}
	router.AddMiddleware(
		middleware.Recoverer,
		poison,
		middleware.Retry{
			MaxRetries: cfg.MaxRetries, InitialInterval: 50 * time.Millisecond, MaxInterval: 2 * time.Second,
			Multiplier: 2, Logger: wlog,
		}.Middleware,
	)
	for _, p := range cfg.Projectors {
		router.AddConsumerHandler(p.Name(), p.Name(), sub, r.handler(p))
	}
	r.router = router
	return r, nil
}

// Run runs the projectors until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.ensureCheckpoints(ctx); err != nil {
		return err
	}
	go r.watchLag(ctx)
	err := r.router.Run(ctx)
	r.sub.Close()
	return err
}

// Running reports whether the router runs (for /readyz).
func (r *Runner) Running() bool { return r.router.IsRunning() }

// Names lists the projectors' names.
func (r *Runner) Names() []string {
	names := make([]string, len(r.cfg.Projectors))
	for i, p := range r.cfg.Projectors {
		names[i] = p.Name()
	}
	return names
}

func (r *Runner) ensureCheckpoints(ctx context.Context) error {
	for _, p := range r.cfg.Projectors {
		if _, err := r.cfg.Pool.Exec(ctx, `INSERT INTO projection_checkpoints (projector, position) VALUES ($1, 0) ON CONFLICT DO NOTHING`, p.Name()); err != nil {
			return fmt.Errorf("checkpoint of %s: %w", p.Name(), err)
		}
	}
	return nil
}

// lockKey is the advisory lock that one process holds while it runs a projector.
func lockKey(projector string) int64 {
	h := fnv.New64a()
	h.Write([]byte("smsinbox.projector." + projector))
	return int64(h.Sum64())
}

// claim waits for the projector's lock on a connection of its own, then
// reads its checkpoint. Losing the connection loses the lock: the claimed
// context ends and the router stops feeding that projector here.
func (r *Runner) claim(ctx context.Context, name string) (eventstore.Position, context.Context, func(), error) {
	for {
		conn, err := r.cfg.Pool.Acquire(ctx)
		if err != nil {
			return 0, nil, nil, err
		}
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, lockKey(name)).Scan(&got); err != nil {
			conn.Release()
			return 0, nil, nil, err
		}
		if !got {
			conn.Release()
			r.log.Info("another instance runs this projector; waiting", "projector", name)
			select {
			case <-time.After(2 * time.Second):
				continue
			case <-ctx.Done():
				return 0, nil, nil, ctx.Err()
			}
		}
		var cp int64
		if err := conn.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE projector = $1`, name).Scan(&cp); err != nil {
			conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey(name))
			conn.Release()
			return 0, nil, nil, fmt.Errorf("checkpoint of %s: %w", name, err)
		}
		claimed, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { // the lock lives as long as its connection answers
			defer close(done)
			t := time.NewTicker(5 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-claimed.Done():
					return
				case <-t.C:
					if err := conn.Ping(claimed); err != nil && claimed.Err() == nil {
						r.log.Error("lost the projector's lock", "projector", name, "err", err)
						cancel()
						return
					}
				}
			}
		}()
		release := func() {
			cancel()
			<-done
			uctx, ucancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ucancel()
			conn.Exec(uctx, `SELECT pg_advisory_unlock($1)`, lockKey(name))
			conn.Release()
		}
		return eventstore.Position(cp), claimed, release, nil
	}
}

// handler applies one event and moves the checkpoint in one transaction.
func (r *Runner) handler(p Projector) message.NoPublishHandlerFunc {
	name := p.Name()
	return func(msg *message.Message) error {
		e, err := eventstream.Event(msg)
		if err != nil {
			return err
		}
		ctx := msg.Context()
		applied, err := applyOne(ctx, r.cfg.Pool, p, e)
		if err != nil {
			return fmt.Errorf("%s at %d (%s): %w", name, e.Position, e.Type, err)
		}
		if applied {
			r.applied.WithLabelValues(name).Observe(time.Since(e.OccurredAt).Seconds())
		}
		return nil
	}
}

// applyOne applies e unless the checkpoint shows it applied already. Read
// models can be rebuilt from the log, so their commits need not wait for
// the disk: a crash loses the last few changes and their checkpoint
// together, and the projector applies them again.
func applyOne(ctx context.Context, pool *pgxpool.Pool, p Projector, e eventstore.RecordedEvent) (bool, error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return false, err
	}
	var cp int64
	if err := tx.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE projector = $1 FOR UPDATE`, p.Name()).Scan(&cp); err != nil {
		return false, fmt.Errorf("checkpoint: %w", err)
	}
	if eventstore.Position(cp) >= e.Position {
		return false, nil
	}
	if err := p.Apply(ctx, tx, e); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = $2, updated_at = now() WHERE projector = $1`, p.Name(), int64(e.Position)); err != nil {
		return false, fmt.Errorf("checkpoint: %w", err)
	}
	return true, tx.Commit(ctx)
}

func (r *Runner) watchLag(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		head, err := r.cfg.Store.Head(ctx)
		if err != nil {
			continue
		}
		rows, err := r.cfg.Pool.Query(ctx, `SELECT projector, position FROM projection_checkpoints`)
		if err != nil {
			continue
		}
		for rows.Next() {
			var name string
			var pos int64
			if rows.Scan(&name, &pos) == nil {
				r.lag.WithLabelValues(name).Set(float64(int64(head) - pos))
			}
		}
		rows.Close()
	}
}

// poisonPublisher sets aside an event that a projector failed on after its
// retries: it records it in projection_poison and moves the checkpoint past
// it, so that the projector goes on. An operator fixes the cause and
// rebuilds the projector.
type poisonPublisher struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

func (p poisonPublisher) Publish(_ string, msgs ...*message.Message) error {
	for _, msg := range msgs {
		e, err := eventstream.Event(msg)
		if err != nil {
			return err
		}
		projector := msg.Metadata.Get(middleware.PoisonedHandlerKey)
		reason := msg.Metadata.Get(middleware.ReasonForPoisonedKey)
		p.log.Error("event set aside: the projector failed on it", "projector", projector, "position", e.Position, "type", e.Type, "reason", reason)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO projection_poison (projector, position, event_id, type, reason)
				VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, projector, int64(e.Position), e.ID, e.Type, reason); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE projection_checkpoints SET position = greatest(position, $2), updated_at = now() WHERE projector = $1`, projector, int64(e.Position))
			return err
		})
		cancel()
		if err != nil {
			return fmt.Errorf("set aside event %d for %s: %w", e.Position, projector, err)
		}
	}
	return nil
}

func (poisonPublisher) Close() error { return nil }

// ErrBehind means the read models did not reach a position in time.
var ErrBehind = errors.New("read models are behind")
