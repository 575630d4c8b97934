package projections

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// benchLog is a generated log recorded in a fresh database, and read back.
type benchLog struct {
	pool   *pgxpool.Pool
	store  eventstore.Store
	events []eventstore.RecordedEvent
}

func newBenchLog(b *testing.B, customers, texts int) benchLog {
	b.Helper()
	pool, store := newStore(b)
	appendFixture(b, store, fixtureLog(1, customers, texts))
	return benchLog{pool: pool, store: store, events: readLog(b, store)}
}

// reset empties a projector's tables and moves its checkpoint back to the
// start, as a rebuild does.
func reset(b *testing.B, pool *pgxpool.Pool, p Projector) {
	b.Helper()
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		for _, t := range p.Tables() {
			if _, err := tx.Exec(ctx, `TRUNCATE `+pgx.Identifier{t}.Sanitize()); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO projection_checkpoints (projector, position) VALUES ($1, 0)
			ON CONFLICT (projector) DO UPDATE SET position = 0`, p.Name())
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkProjector is each projector's cost per event of the log as the
// live path applies it: messages of one event (a quiet server: every event
// is a transaction of its own) and of 256 (a busy one: the subscriber hands
// over what has piled up); each through the projector's one-event Apply
// (apply=one-by-one, the path before BatchProjector) and as the runner
// applies it now (apply=runner), side by side in one run so that a busy
// machine slows both alike. Each iteration projects the whole log
// (batch=1: its first 1,000 events) into emptied tables; ns/event is the
// figure.
func BenchmarkProjector(b *testing.B) {
	log := newBenchLog(b, 400, 8000)
	ctx := context.Background()
	for _, projector := range All() {
		for _, size := range []int{1, 256} {
			events := log.events
			if size == 1 {
				events = events[:min(len(events), 1000)]
			}
			for _, path := range []string{"one-by-one", "runner"} {
				p := projector
				if path == "one-by-one" {
					p = oneByOne{projector}
				}
				b.Run(fmt.Sprintf("%s/batch=%d/apply=%s", p.Name(), size, path), func(b *testing.B) {
					var took time.Duration
					for b.Loop() {
						b.StopTimer()
						reset(b, log.pool, p)
						b.StartTimer()
						start := time.Now()
						after := eventstore.Start
						for i := 0; i < len(events); i += size {
							chunk := events[i:min(i+size, len(events))]
							if _, err := applyPage(ctx, log.pool, alone(p), after, chunk); err != nil {
								b.Fatal(err)
							}
							after = chunk[len(chunk)-1].Position
						}
						took += time.Since(start)
					}
					n := float64(b.N * len(events))
					b.ReportMetric(float64(took.Nanoseconds())/n, "ns/event")
					b.ReportMetric(n/took.Seconds(), "events/s")
				})
			}
		}
	}
}

// BenchmarkRebuild is `smsinbox rebuild` without the process: every
// projector emptied and rebuilt from the whole log; events/s is the log's
// events over the whole rebuild's time, as the load tool reports it. The
// projectors' one-event Apply (apply=one-by-one) runs beside their
// set-based path (apply=set-based) in the same run; projector=NAME is one
// projector rebuilt alone (set-based), to show where a rebuild's time goes.
func BenchmarkRebuild(b *testing.B) {
	log := newBenchLog(b, 2000, 40000)
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	type variant struct {
		name string
		ps   []Projector
	}
	var variants []variant
	for _, path := range []string{"one-by-one", "set-based"} {
		ps := All()
		if path == "one-by-one" {
			for i, p := range ps {
				ps[i] = oneByOne{p}
			}
		}
		variants = append(variants, variant{"apply=" + path, ps})
	}
	for _, p := range All() {
		variants = append(variants, variant{"projector=" + p.Name(), []Projector{p}})
	}
	for _, v := range variants {
		ps := v.ps
		b.Run(v.name, func(b *testing.B) {
			var took time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := RebuildAll(ctx, log.pool, log.store, ps, logger); err != nil {
					b.Fatal(err)
				}
				took += time.Since(start)
			}
			b.ReportMetric(float64(b.N*len(log.events))/took.Seconds(), "events/s")
		})
	}
}
