// Package projections builds smsinbox's read models from the event log. Each
// projector owns some tables and applies events to them; the Runner feeds
// every projector the whole log through a Watermill router, from one reader
// of the log, a page at a time, and commits the page's changes to every read
// model and each projector's checkpoint in one transaction, so a crash
// neither loses nor applies twice any event. Reactors, which act beyond
// the read models, read the log on their own.
package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/adapters/transient"
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

// Selective is a Projector (a reactor, above all) that acts on a few event
// types only: Apply ignores every event whose type Handles does not name.
// Its reader delivers it no page that holds none of them, so that a page of
// the log with nothing for it costs it no transaction; its checkpoint passes
// such pages with its next page, or once its reader has been idle a moment
// (eventstream.Config.Interest).
type Selective interface {
	Handles(eventType string) bool
}

// RunnerConfig configures a Runner.
type RunnerConfig struct {
	Pool  *pgxpool.Pool
	Store eventstore.Store
	// Projectors build read models. They share one reader of the log
	// (topic ReadModelsTopic) and one transaction a page (applyPage).
	Projectors []Projector
	// Reactors act on events beyond the read models: they append events
	// (through commands, on connections of their own) and wait for a read
	// model to reach the event they act on, so they cannot share the
	// projectors' transaction. Each reads the log on its own and applies
	// it in transactions of its own, as a projector did before one reader.
	Reactors []Projector
	Logger   *slog.Logger
	Registry prometheus.Registerer
	// MaxRetries is how often a failing event is retried before it is set
	// aside in projection_poison (5).
	MaxRetries int
	// SkipIdle and SkipAge pace the checkpoint moves of a reader whose
	// members are all Selective past the pages it skipped
	// (eventstream.Config; 100 ms and 1 s).
	SkipIdle, SkipAge time.Duration
}

// Runner runs projectors.
type Runner struct {
	cfg RunnerConfig
	// readers are the subscriptions the Runner reads the log through: one
	// for every projector, one for each reactor.
	readers []reader
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
	if len(cfg.Projectors) > 0 {
		r.readers = append(r.readers, reader{topic: ReadModelsTopic, members: cfg.Projectors})
	}
	for _, p := range cfg.Reactors {
		r.readers = append(r.readers, reader{topic: p.Name(), members: []Projector{p}})
	}
	// A reader claims all its members' locks at once, and starts after the
	// lowest of their checkpoints.
	members := func(topic string) []string {
		for _, rd := range r.readers {
			if rd.topic == topic {
				return rd.names()
			}
		}
		return nil
	}
	interest := func(topic string) func(eventstore.RecordedEvent) bool {
		for _, rd := range r.readers {
			if rd.topic == topic {
				return rd.interest()
			}
		}
		return nil
	}
	sub, err := eventstream.New(eventstream.Config{Store: cfg.Store, Logger: cfg.Logger,
		Claim:    checkpoint.GroupClaimer(cfg.Pool, r.log, checkpoint.ClaimTiming{}, members),
		Interest: interest, SkipIdle: cfg.SkipIdle, SkipAge: cfg.SkipAge})
	if err != nil {
		return nil, err
	}
	r.sub = sub
	wlog := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, wlog)
	if err != nil {
		return nil, err
	}
	retry := middleware.Retry{
		MaxRetries: cfg.MaxRetries, InitialInterval: 50 * time.Millisecond, MaxInterval: 2 * time.Second,
		Multiplier: 2, Logger: wlog,
	}.Middleware
	router.AddMiddleware(middleware.Recoverer)
	for _, rd := range r.readers {
		// Retry wraps the handler; setAside wraps both, so that it sees
		// only what retrying could not mend.
		handle := r.setAside(retry(r.handler(rd)))
		router.AddConsumerHandler(rd.topic, rd.topic, sub, func(msg *message.Message) error {
			_, err := handle(msg)
			return err
		})
	}
	r.router = router
	return r, nil
}

// ErrStopped means the projectors stopped while they should have run on.
var ErrStopped = errors.New("the projectors stopped")

// Run runs the projectors until ctx ends. Should they stop before that (the
// router closed), it returns an error: the process must not run on without
// them.
func (r *Runner) Run(ctx context.Context) error {
	if err := r.ensureCheckpoints(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	go r.watchLag(ctx)
	// Ending the subscriptions closes the handlers' channels, which is what
	// lets the router stop at once rather than at its close timeout.
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			r.sub.Close()
		case <-stopped:
		}
	}()
	err := r.router.Run(ctx)
	close(stopped)
	r.sub.Close()
	if ctx.Err() == nil {
		return fmt.Errorf("%w: %v", ErrStopped, err)
	}
	return err
}

// Status reports what the subscription that feeds the projector or
// reactor name is doing in this process (for /readyz). The projectors
// share one: each is as claimed, and as stalled, as their reader.
func (r *Runner) Status(name string) eventstream.Status {
	for _, rd := range r.readers {
		if slices.Contains(rd.names(), name) {
			return r.sub.Status(rd.topic)
		}
	}
	return eventstream.Status{}
}

// Names lists the projectors' and the reactors' names.
func (r *Runner) Names() []string {
	var names []string
	for _, p := range r.consumers() {
		names = append(names, p.Name())
	}
	return names
}

func (r *Runner) consumers() []Projector {
	return append(append([]Projector{}, r.cfg.Projectors...), r.cfg.Reactors...)
}

func (r *Runner) ensureCheckpoints(ctx context.Context) error {
	for _, p := range r.consumers() {
		if err := checkpoint.Ensure(ctx, r.cfg.Pool, p.Name()); err != nil {
			return err
		}
	}
	return nil
}

// lockKey is the advisory lock that one process holds while it runs a projector.
func lockKey(projector string) int64 { return checkpoint.LockKey(projector) }

// handler applies a message's events to the reader's members, in one
// transaction with their checkpoints (applyPage).
func (r *Runner) handler(rd reader) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		events, err := eventstream.Events(msg)
		if err != nil {
			return nil, err
		}
		after, ok := eventstream.After(msg)
		if !ok {
			after = eventstore.Start
		}
		applied, err := applyPage(msg.Context(), r.cfg.Pool, rd, after, events)
		now := time.Now()
		for name, events := range applied {
			for _, e := range events {
				r.applied.WithLabelValues(name).Observe(now.Sub(e.OccurredAt).Seconds())
			}
		}
		return nil, err
	}
}

// notifyPayload says which reader (read-models, or a reactor's name)
// reached which position (for people reading logs; listeners only need the
// wake-up).
func notifyPayload(projector string, position eventstore.Position) string {
	return fmt.Sprintf("%s:%d", projector, position)
}

// setAside is the poison middleware: when a message still fails after its
// retries, the members that failed on it (failures) have kept their
// checkpoints while the others committed it. It applies the message's
// events again one at a time (each with its retries: the members past an
// event skip it) and sets aside, for each member that fails on an event
// alone, that event: recorded in projection_poison for that member, its
// checkpoint moved past it. So one bad event neither stops a projector nor
// costs it the events around it, and the other members are not touched:
// they have the event already. An operator fixes the cause and rebuilds
// the projector.
//
// A failure that a retry can mend (the database restarting, a connection
// lost: package transient) sets nothing aside: the message is nacked and
// comes again, with backoff, until the database is back, however long that
// takes. Only an event that fails while the database answers is set aside.
func (r *Runner) setAside(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		ctx := msg.Context()
		_, err := h(msg)
		if err == nil || ctx.Err() != nil || transient.Is(err) {
			return nil, err
		}
		events, derr := eventstream.Events(msg)
		if derr != nil {
			return nil, derr
		}
		for _, e := range events {
			if len(events) > 1 {
				single := eventstream.ToMessage(e)
				single.SetContext(ctx)
				_, err = h(single)
			}
			if err == nil {
				continue
			}
			var failed failures
			if ctx.Err() != nil || transient.Is(err) || !errors.As(err, &failed) {
				return nil, err // the database, not the event: the message comes again
			}
			for name, reason := range failed {
				if perr := r.poison(ctx, name, e, reason); perr != nil {
					return nil, perr
				}
			}
		}
		return nil, nil
	}
}

func (r *Runner) poison(ctx context.Context, projector string, e eventstore.RecordedEvent, reason error) error {
	r.log.Error("event set aside: the projector failed on it", "projector", projector, "position", e.Position, "type", e.Type, "err", reason)
	return pgx.BeginFunc(ctx, r.cfg.Pool, func(tx pgx.Tx) error {
		if err := checkpoint.SetAside(ctx, tx, projector, e, reason); err != nil {
			return err
		}
		if err := checkpoint.Pass(ctx, tx, projector, e.Position); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, notifyPayload(projector, e.Position))
		return err
	})
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

// ErrBehind means the read models did not reach a position in time.
var ErrBehind = errors.New("read models are behind")
