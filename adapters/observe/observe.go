// Package observe wraps use cases (commands.Handler) with what every one of
// them wants alike and none of them should write: a log line and metrics per
// command. The wrappers are applied where the application is wired, so a
// handler holds only its use case.
package observe

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsinbox/smsinbox/commands"
)

// Name is a command's name in logs and metrics: its type's name.
func Name[C any]() string { return reflect.TypeFor[C]().Name() }

// Logged logs each command h handles: its name, how long it took and its
// error. A command that fails is logged at Warn (most failures are the
// caller's: a 4xx), one that succeeds at Debug.
func Logged[C, R any](logger *slog.Logger, h commands.Handler[C, R]) commands.Handler[C, R] {
	return logged[C, R]{name: Name[C](), logger: logger, next: h}
}

type logged[C, R any] struct {
	name   string
	logger *slog.Logger
	next   commands.Handler[C, R]
}

func (l logged[C, R]) Handle(ctx context.Context, cmd C) (R, error) {
	start := time.Now()
	res, err := l.next.Handle(ctx, cmd)
	took := time.Since(start)
	if err != nil {
		l.logger.LogAttrs(ctx, slog.LevelWarn, "command failed",
			slog.String("command", l.name), slog.Duration("duration", took), slog.Any("error", err))
	} else {
		l.logger.LogAttrs(ctx, slog.LevelDebug, "command handled",
			slog.String("command", l.name), slog.Duration("duration", took))
	}
	return res, err
}

// Metrics are the commands' counters and timings in one registry.
type Metrics struct {
	handled *prometheus.CounterVec
	seconds *prometheus.HistogramVec
}

// NewMetrics registers the commands' metrics in reg:
// smsinbox_commands_total{command, outcome="ok"|"error"} and
// smsinbox_command_duration_seconds{command}.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsinbox_commands_total", Help: "Commands handled, by command and outcome (ok, error).",
		}, []string{"command", "outcome"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "smsinbox_command_duration_seconds", Help: "How long commands took, by command.",
			Buckets: prometheus.DefBuckets,
		}, []string{"command"}),
	}
	for _, c := range []prometheus.Collector{m.handled, m.seconds} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register the commands' metrics: %w", err)
		}
	}
	return m, nil
}

// Measured counts each command h handles, by outcome, and times it.
func Measured[C, R any](m *Metrics, h commands.Handler[C, R]) commands.Handler[C, R] {
	name := Name[C]()
	return measured[C, R]{
		ok: m.handled.WithLabelValues(name, "ok"), failed: m.handled.WithLabelValues(name, "error"),
		seconds: m.seconds.WithLabelValues(name), next: h,
	}
}

type measured[C, R any] struct {
	ok, failed prometheus.Counter
	seconds    prometheus.Observer
	next       commands.Handler[C, R]
}

func (m measured[C, R]) Handle(ctx context.Context, cmd C) (R, error) {
	start := time.Now()
	res, err := m.next.Handle(ctx, cmd)
	m.seconds.Observe(time.Since(start).Seconds())
	if err != nil {
		m.failed.Inc()
	} else {
		m.ok.Inc()
	}
	return res, err
}

// Observed is h logged and measured.
func Observed[C, R any](logger *slog.Logger, m *Metrics, h commands.Handler[C, R]) commands.Handler[C, R] {
	return Logged(logger, Measured(m, h))
}
