package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// benchEvent is the size of a typical smsinbox event: a received message
// with its ids, numbers and a short body.
func benchEvent() eventstore.EventData {
	data, _ := json.Marshal(map[string]any{
		"message_id": uuid.NewString(), "message_sid": "SM" + strings.Repeat("0", 32),
		"from": "+15551234567", "to": "+15557654321", "body": "Hi, is the appointment still on for Tuesday at 3?",
	})
	return eventstore.EventData{
		ID: uuid.Must(uuid.NewV7()), Type: "MessageReceived", SchemaVersion: 1, Data: data,
		Metadata:   eventstore.Metadata{CorrelationID: "SM0123456789", Actor: "customer:+15551234567"},
		OccurredAt: time.Now(),
	}
}

// rowSize is the bytes one event puts in es_events besides fixed-width columns.
func rowSize(e eventstore.EventData, stream string) int {
	meta, _ := json.Marshal(e.Metadata)
	return len(e.Data) + len(meta) + len(e.Type) + len(stream) + 16
}

func benchPool(b *testing.B) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 40
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

// parallel runs fn b.N times over exactly c goroutines.
func parallel(b *testing.B, c int, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, c)
	b.ResetTimer()
	for g := 0; g < c; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				if err := fn(int(i)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkAppend measures appends of 1 and of 10 events at concurrency 1
// and 16, each writer on streams of its own.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 10} {
		for _, c := range []int{1, 16} {
			b.Run(fmt.Sprintf("events=%d/c=%d", size, c), func(b *testing.B) {
				pool := benchPool(b)
				s, err := New(context.Background(), pool, Config{})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				batches := make([][]eventstore.EventData, b.N)
				for i := range batches {
					batches[i] = make([]eventstore.EventData, size)
					for j := range batches[i] {
						batches[i][j] = benchEvent()
					}
				}
				b.ReportMetric(float64(rowSize(batches[0][0], "conversation-00000000-0000-0000-0000-000000000000-+15551234567")), "row-bytes")
				start := time.Now()
				parallel(b, c, func(i int) error {
					stream := eventstore.StreamID(fmt.Sprintf("conversation-%d", i%1000))
					_, err := s.Append(context.Background(), stream, eventstore.Any(), batches[i]...)
					return err
				})
				secs := time.Since(start).Seconds()
				b.ReportMetric(float64(b.N)/secs, "appends/s")
				b.ReportMetric(float64(b.N*size)/secs, "events/s")
			})
		}
	}
}

// BenchmarkRawInsert is the physical limit beside BenchmarkAppend: one-row
// INSERT transactions of the same size into a bare table of the same server.
func BenchmarkRawInsert(b *testing.B) {
	for _, c := range []int{1, 16} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			pool := benchPool(b)
			if _, err := pool.Exec(context.Background(), `CREATE TABLE raw_insert (id bigserial PRIMARY KEY, payload text NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			payload := strings.Repeat("x", rowSize(benchEvent(), "conversation-00000000-0000-0000-0000-000000000000-+15551234567"))
			start := time.Now()
			parallel(b, c, func(int) error {
				_, err := pool.Exec(context.Background(), `INSERT INTO raw_insert (payload) VALUES ($1)`, payload)
				return err
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "inserts/s")
		})
	}
}

// BenchmarkSubscribe measures a catch-up subscription reading a log of
// b.N events from the start.
func BenchmarkSubscribe(b *testing.B) {
	pool := benchPool(b)
	s, err := New(context.Background(), pool, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const per = 100
	for i := 0; i < b.N; i += per {
		n := min(per, b.N-i)
		evs := make([]eventstore.EventData, n)
		for j := range evs {
			evs[j] = benchEvent()
		}
		if _, err := s.Append(context.Background(), eventstore.StreamID(fmt.Sprintf("conversation-%d", i%977)), eventstore.Any(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	got := 0
	for _, err := range s.Subscribe(ctx, eventstore.Start, eventstore.Filter{}) {
		if err != nil {
			b.Fatal(err)
		}
		got++
		if got == b.N {
			break
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkVersusRaw compares one-event appends with the raw one-row INSERT
// transactions of BenchmarkRawInsert in alternating rounds (1 s of each, 6
// rounds), so that both meet the same moments of a machine whose fsync rate
// drifts; it reports each side's median rate and their ratio. Run it with
// -benchtime 1x: the rounds set its length.
func BenchmarkVersusRaw(b *testing.B) {
	const rounds = 6
	const round = time.Second
	for _, c := range []int{1, 16} {
		b.Run(fmt.Sprintf("c=%d", c), func(b *testing.B) {
			ctx := context.Background()
			rawPool := benchPool(b)
			if _, err := rawPool.Exec(ctx, `CREATE TABLE raw_insert (id bigserial PRIMARY KEY, payload text NOT NULL)`); err != nil {
				b.Fatal(err)
			}
			payload := strings.Repeat("x", rowSize(benchEvent(), "conversation-00000000-0000-0000-0000-000000000000-+15551234567"))
			s, err := New(ctx, benchPool(b), Config{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			// The events are made before each round, as the raw rows are: the
			// rounds time the store, not the making of IDs and documents.
			var streams, next atomic.Int64
			var events []eventstore.EventData
			raw := func() error {
				_, err := rawPool.Exec(ctx, `INSERT INTO raw_insert (payload) VALUES ($1)`, payload)
				return err
			}
			ours := func() error {
				stream := eventstore.StreamID(fmt.Sprintf("conversation-%d", streams.Add(1)%1000))
				e := benchEvent()
				if i := next.Add(1) - 1; i < int64(len(events)) {
					e = events[i]
				}
				_, err := s.Append(ctx, stream, eventstore.Any(), e)
				return err
			}
			var rawRates, ourRates []float64
			b.ResetTimer()
			for r := 0; r < rounds; r++ {
				rawRates = append(rawRates, rateFor(b, c, round, raw))
				b.StopTimer()
				events = make([]eventstore.EventData, 40000)
				for i := range events {
					events[i] = benchEvent()
				}
				next.Store(0)
				b.StartTimer()
				ourRates = append(ourRates, rateFor(b, c, round, ours))
			}
			b.StopTimer()
			rawMed, ourMed := median(rawRates), median(ourRates)
			b.ReportMetric(rawMed, "raw-inserts/s")
			b.ReportMetric(ourMed, "appends/s")
			b.ReportMetric(100*ourMed/rawMed, "%-of-raw")
			b.Logf("c=%d rounds raw %v appends %v", c, rounded(rawRates), rounded(ourRates))
		})
	}
}

// rateFor runs fn on c goroutines for d and answers calls per second.
func rateFor(b *testing.B, c int, d time.Duration, fn func() error) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, c)
	stop := time.Now().Add(d)
	start := time.Now()
	for g := 0; g < c; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if err := fn(); err != nil {
					errs <- err
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	return float64(n.Load()) / time.Since(start).Seconds()
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func rounded(v []float64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x + 0.5)
	}
	return out
}

// BenchmarkReadShortStream reads a stream of one event, as a command loads
// a new conversation or checks a remembered company for news: the common
// read is short, and what it allocates is paid at every webhook.
func BenchmarkReadShortStream(b *testing.B) {
	pool := benchPool(b)
	s, err := New(context.Background(), pool, Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	stream := eventstore.StreamID("conversation-short")
	if _, err := s.Append(context.Background(), stream, eventstore.Any(), benchEvent()); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, err := range s.ReadStream(context.Background(), stream, 0) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 1 {
			b.Fatalf("read %d events, want 1", n)
		}
	}
}

// BenchmarkAppendWatching is what watching one other stream adds to a
// one-event append (AppendWatching: one more statement in the commit's
// round trip, under the writers' lock), beside the same appends unwatched.
func BenchmarkAppendWatching(b *testing.B) {
	for _, c := range []int{1, 16} {
		for _, watch := range []bool{false, true} {
			b.Run(fmt.Sprintf("c=%d/watch=%t", c, watch), func(b *testing.B) {
				pool := benchPool(b)
				s, err := New(context.Background(), pool, Config{})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				watched := []eventstore.StreamID{"company-00000000-0000-0000-0000-000000000000"}
				start := time.Now()
				parallel(b, c, func(i int) error {
					stream := eventstore.StreamID(fmt.Sprintf("conversation-%d", i%1000))
					if !watch {
						_, err := s.Append(context.Background(), stream, eventstore.Any(), benchEvent())
						return err
					}
					_, _, err := s.AppendWatching(context.Background(), watched, stream, eventstore.Any(), benchEvent())
					return err
				})
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
			})
		}
	}
}
