package projections

import (
	"context"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// BenchmarkRunner is the cost per event of the whole live path: a Runner
// with every read model's projector (All()) reading the log and applying
// it, up to each projector's checkpoint. Two shapes:
//
//   - arrival=one-by-one: the log's appends come one at a time and each
//     waits until every projector has applied it, as texts do on a quiet
//     server (concurrency 1: a page of the log is one append). The time
//     counts the append too (the same store before and after).
//   - arrival=backlog: the whole log is there when the Runner starts, as
//     after a restart or under load (pages of up to 256 events).
//   - arrival=one-by-one,reactors: one-by-one with the server's two
//     reactors beside the projectors (doing nothing when they act), each
//     with its reader of the log: what they cost the same host while
//     texts come one at a time.
//
// Each iteration uses a fresh database; ns/event is the figure (ns/op
// counts the setting up too: run it with -benchtime 1x).
func BenchmarkRunner(b *testing.B) {
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	noVoid := func(context.Context, company.MessagingNumberChanged, eventstore.RecordedEvent, phone.Number) error {
		return nil
	}
	noRelease := func(context.Context, company.UserRemoved, eventstore.RecordedEvent, phone.Number) error { return nil }
	for _, shape := range []struct {
		arrival  string
		reactors []Projector
	}{
		{"one-by-one", nil},
		{"backlog", nil},
		{"one-by-one,reactors", []Projector{ConsentNumberReactor{Void: noVoid}, UnassignRemovedReactor{Release: noRelease}}},
	} {
		arrival := strings.TrimSuffix(shape.arrival, ",reactors")
		b.Run("arrival="+shape.arrival, func(b *testing.B) {
			fixture := fixtureLog(1, 100, 1500)
			if arrival == "one-by-one" {
				fixture = fixture[:400]
			}
			var took, cpu time.Duration
			events := 0
			for b.Loop() {
				pool, store := newStore(b)
				waitFor := benchWaiter(b, pool)
				var head eventstore.Position
				if arrival == "backlog" {
					head = appendFixture(b, store, fixture)
				}
				r, err := NewRunner(RunnerConfig{Pool: pool, Store: store, Projectors: All(), Reactors: shape.reactors, Logger: logger})
				if err != nil {
					b.Fatal(err)
				}
				runCtx, stop := context.WithCancel(ctx)
				done := make(chan error, 1)
				start, cpu0 := time.Now(), processCPU()
				go func() { done <- r.Run(runCtx) }()
				if arrival == "backlog" {
					waitFor(head)
				} else {
					for i := range fixture {
						waitFor(appendFixture(b, store, fixture[i:i+1]))
					}
					head = appendFixture(b, store, nil)
				}
				took, cpu = took+time.Since(start), cpu+processCPU()-cpu0
				events += int(head)
				stop()
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(took.Nanoseconds())/float64(events), "ns/event")
			b.ReportMetric(float64(events)/took.Seconds(), "events/s")
			// The CPU this process (the Runner, the store, the appends) spent
			// per event: on a machine shared with other work the time per
			// event moves with the neighbours, the CPU much less.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(events), "cpu-ns/event")
		})
	}
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchWaiter returns a wait until every read model's checkpoint reaches
// a position, woken by their commits.
func benchWaiter(b *testing.B, pool *pgxpool.Pool) func(eventstore.Position) {
	ctx, cancel := context.WithCancel(context.Background())
	n := NewNotifier(pool, slog.New(slog.DiscardHandler))
	go func() { _ = n.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-n.Stopped() })
	progress := Progress{Pool: pool, Names: ReadModelNames(), Notifier: n}
	return func(pos eventstore.Position) {
		wctx, wcancel := context.WithTimeout(ctx, time.Minute)
		defer wcancel()
		if err := progress.WaitFor(wctx, pos); err != nil {
			b.Fatal(err)
		}
	}
}
