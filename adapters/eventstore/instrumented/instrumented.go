// Package instrumented decorates an eventstore.Store with Prometheus
// metrics of its appends, so that no adapter carries metrics code.
package instrumented

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Store is an eventstore.Store that counts and times appends.
type Store struct {
	eventstore.Store
	appends *prometheus.CounterVec
	events  prometheus.Counter
	seconds prometheus.Histogram
}

// New wraps s and registers its metrics with reg.
func New(s eventstore.Store, reg prometheus.Registerer) (*Store, error) {
	is := &Store{
		Store: s,
		appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsinbox_eventstore_appends_total", Help: "Appends to the event store by result (ok, conflict, error).",
		}, []string{"result"}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smsinbox_eventstore_appended_events_total", Help: "Events appended (retries that recorded nothing included).",
		}),
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "smsinbox_eventstore_append_seconds", Help: "Append latency, commit included.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}),
	}
	for _, c := range []prometheus.Collector{is.appends, is.events, is.seconds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return is, nil
}

// Append implements eventstore.Store.
func (s *Store) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	start := time.Now()
	res, err := s.Store.Append(ctx, stream, expected, events...)
	s.observe(start, len(events), err)
	return res, err
}

// AppendWatching implements eventstore.Watcher when the wrapped store
// does (eventstore.AppendWatching), measured as Append.
func (s *Store) AppendWatching(ctx context.Context, watch []eventstore.StreamID, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, []int64, error) {
	start := time.Now()
	res, watched, err := eventstore.AppendWatching(ctx, s.Store, watch, stream, expected, events...)
	s.observe(start, len(events), err)
	return res, watched, err
}

// observe counts and times one append that started at start.
func (s *Store) observe(start time.Time, events int, err error) {
	s.seconds.Observe(time.Since(start).Seconds())
	switch {
	case err == nil:
		s.appends.WithLabelValues("ok").Inc()
		s.events.Add(float64(events))
	case errors.Is(err, eventstore.ErrConcurrency):
		s.appends.WithLabelValues("conflict").Inc()
	default:
		s.appends.WithLabelValues("error").Inc()
	}
}
