package projections

// Benchmarks of the search read model at the size the team inbox is built
// for: 1,000,000 texts in 100,000 threads across 100 companies (10,000 texts
// and 1,000 customers each), copied straight into the read models, then
//
//	go run ./cmd/testenv go test -run '^$' -bench SearchReadModel -benchtime 400x -timeout 30m ./projections/
//
// search/* runs Queries.Search (the statement GET /api/search runs) for a
// common word, a rarer one, a customer's first name and 4 digits of one of
// the company's phone numbers, each time for another company, and reports
// p50 and p99. projector/* applies new texts to the inbox and the search
// projectors over the same tables, 100 per transaction, and reports each
// one's time per event.

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/search"
)

// benchTexts are the texts generated (benchCompanies and benchThreads are
// the thread list benchmark's).
const benchTexts = 1_000_000

// benchWords are the texts' words: the earlier, the more often drawn
// ("appointment", the word searched, is in about one text in five).
var benchWords = strings.Fields(`you the to your we is for a at and appointment on be can please our thanks
	will tomorrow today booking confirm time reply call us this of with are have see morning afternoon
	reschedule cancel monday tuesday wednesday thursday friday saturday office clinic visit check payment
	invoice receipt reminder arrive minutes late early parking address form insurance card doctor dentist
	cleaning filling crown whitening xray prescription pharmacy refill question answer help support team
	weekend holiday closed open hours week month year new patient family child adult review rating
	feedback survey link website portal password login email phone number message text sorry delay`)

var benchFirst = strings.Fields(`Ada Alan Grace Linus Ken Dennis Barbara Edsger Donald Margaret John Frances
	Radia Tim Vint Bjarne Guido James Larry Sergey Susan Sophie Hedy Katherine Dorothy Mary Annie Joan Evelyn Jean`)

var benchLast = strings.Fields(`Lovelace Turing Hopper Torvalds Thompson Ritchie Liskov Dijkstra Knuth Hamilton
	McCarthy Allen Perlman Lee Cerf Stroustrup Rossum Gosling Page Brin Wojcicki Wilson Lamarr Johnson Vaughan Easley`)

var (
	benchOnce sync.Once
	benchPool *pgxpool.Pool
	benchErr  error
)

// benchDatabase fills one database per test process (the sub-benchmarks
// share it): indexes are dropped while rows are copied in and built again
// afterwards, as a bulk load would.
func benchDatabase(b *testing.B) *pgxpool.Pool {
	b.Helper()
	benchOnce.Do(func() {
		url := pgtest.NewDatabase(b)
		benchPool, benchErr = pgxpool.New(context.Background(), url)
		if benchErr != nil {
			return
		}
		start := time.Now()
		if benchErr = fillBenchDatabase(context.Background(), benchPool); benchErr != nil {
			return
		}
		b.Logf("generated %d texts in %d threads of %d companies in %s", benchTexts, benchThreads, benchCompanies, time.Since(start).Round(time.Second))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPool
}

func fillBenchDatabase(ctx context.Context, pool *pgxpool.Pool) error {
	tables := []string{"search_messages", "search_threads", "messages", "threads"}
	rows, err := pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE tablename = ANY($1) AND indexname NOT IN (SELECT conname FROM pg_constraint)`, tables)
	if err != nil {
		return err
	}
	type index struct{ Name, Def string }
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		return err
	}
	for _, ix := range indexes {
		if _, err := pool.Exec(ctx, `DROP INDEX `+pgx.Identifier{ix.Name}.Sanitize()); err != nil {
			return err
		}
	}
	steps := []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO search_threads (thread_id, company_id, customer_phone, customer_name, last_activity_at, last_text)
		 SELECT md5('t' || i)::uuid, 'company-' || (i % 100),
		        '+1' || (2012000000 + abs(hashint8(i)) % 7987999999)::text,
		        ($1::text[])[1 + abs(hashint4(i)) % cardinality($1::text[])] || ' ' ||
		        ($2::text[])[1 + abs(hashint4(i + 7)) % cardinality($2::text[])],
		        timestamptz '2026-01-01' + (900000 + i) * interval '30 seconds', 'the last text'
		   FROM generate_series(0, 99999) i`, []any{benchFirst, benchLast}},
		// The subquery names j, so it is drawn again for every text.
		{`INSERT INTO search_messages (message_id, company_id, thread_id, body, created_at)
		 SELECT md5('m' || j)::uuid, 'company-' || (j % 100000 % 100), md5('t' || (j % 100000))::uuid,
		        (SELECT string_agg(($1::text[])[1 + floor(cardinality($1::text[]) * random() ^ 2)::int], ' ')
		           FROM generate_series(1, 6 + j % 12) w WHERE w > -j),
		        timestamptz '2026-01-01' + j * interval '30 seconds'
		   FROM generate_series(0, 999999) j`, []any{benchWords}},
		{`INSERT INTO threads (id, company_id, customer_phone, last_activity_at, last_message_preview)
		 SELECT thread_id, company_id, customer_phone, last_activity_at, last_text FROM search_threads`, nil},
		{`INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
		 SELECT m.message_id, m.thread_id, m.company_id, 'inbound', t.customer_phone, '+12025550123', m.body, 'received', 'sms', m.created_at,
		        row_number() OVER ()
		   FROM search_messages m JOIN search_threads t USING (thread_id)`, nil},
	}
	for i, s := range steps {
		if _, err := pool.Exec(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("step %d: %w", i, err)
		}
	}
	for _, ix := range indexes {
		if _, err := pool.Exec(ctx, ix.Def); err != nil {
			return err
		}
	}
	_, err = pool.Exec(ctx, `VACUUM ANALYZE search_messages, search_threads, messages, threads`)
	return err
}

func BenchmarkSearchReadModel(b *testing.B) {
	pool := benchDatabase(b)
	b.Run("search", func(b *testing.B) { benchSearch(b, pool) })
	b.Run("projector", func(b *testing.B) { benchProjectors(b, pool) })
}

func benchSearch(b *testing.B, pool *pgxpool.Pool) {
	ctx := context.Background()
	q := Queries{Pool: pool}
	// phones[c] are numbers of company c.
	phones := make([][]string, benchCompanies)
	rows, _ := pool.Query(ctx, `SELECT company_id, customer_phone FROM search_threads ORDER BY thread_id LIMIT 10000`)
	type customer struct{ Company, Phone string }
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[customer])
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range all {
		var n int
		if _, err := fmt.Sscanf(c.Company, "company-%d", &n); err != nil {
			b.Fatal(err)
		}
		phones[n] = append(phones[n], c.Phone)
	}
	for _, kind := range []struct {
		name string
		text func(i int) string
	}{
		{"word-common", func(int) string { return "appointment" }},
		{"word-rare", func(int) string { return "delay" }},
		{"two-words", func(int) string { return "reschedule tuesday" }},
		{"name", func(i int) string { return benchFirst[i%len(benchFirst)] }},
		{"phone-4-digits", func(i int) string {
			ps := phones[i%benchCompanies]
			p := ps[(i/benchCompanies)%len(ps)]
			return p[len(p)-6 : len(p)-2]
		}},
	} {
		b.Run(kind.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			found := 0
			for i := 0; b.Loop(); i++ {
				query, err := search.Parse(kind.text(i))
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				res, _, err := q.Search(ctx, fmt.Sprintf("company-%d", i%benchCompanies), query, 20, nil)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				found += len(res)
			}
			b.ReportMetric(loadAverage(), "load1")
			b.ReportMetric(ms(percentileOf(lat, 0.50)), "p50-ms")
			b.ReportMetric(ms(percentileOf(lat, 0.99)), "p99-ms")
			b.ReportMetric(float64(found)/float64(len(lat)), "results/op")
		})
	}
}

func benchProjectors(b *testing.B, pool *pgxpool.Pool) {
	ctx := context.Background()
	for _, p := range []Projector{Inbox{}, Search{}} {
		b.Run(p.Name(), func(b *testing.B) {
			const batch = 100
			rng := rand.New(rand.NewPCG(1, uint64(len(p.Name()))))
			targets := benchTargets(b, pool)
			events := make([]eventstore.RecordedEvent, batch)
			var elapsed time.Duration
			applied := 0
			for b.Loop() {
				for i := range events {
					events[i] = benchText(b, rng, targets)
				}
				t0 := time.Now()
				err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					for _, e := range events {
						if err := p.Apply(ctx, tx, e); err != nil {
							return err
						}
					}
					return nil
				})
				elapsed += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				applied += batch
			}
			b.ReportMetric(loadAverage(), "load1")
			b.ReportMetric(float64(elapsed.Microseconds())/float64(applied), "µs/event")
		})
	}
}

// benchTarget is a generated thread.
type benchTarget struct {
	ThreadID  uuid.UUID
	CompanyID string
	Phone     string
}

func benchTargets(b *testing.B, pool *pgxpool.Pool) []benchTarget {
	rows, _ := pool.Query(context.Background(), `SELECT thread_id, company_id, customer_phone FROM search_threads ORDER BY thread_id LIMIT 10000`)
	targets, err := pgx.CollectRows(rows, pgx.RowToStructByPos[benchTarget])
	if err != nil {
		b.Fatal(err)
	}
	return targets
}

// benchText is a MessageReceived in one of the generated threads.
func benchText(b *testing.B, rng *rand.Rand, targets []benchTarget) eventstore.RecordedEvent {
	t := targets[rng.IntN(len(targets))]
	words := make([]string, 6+rng.IntN(12))
	for w := range words {
		words[w] = benchWords[rng.IntN(len(benchWords))]
	}
	e := conversation.MessageReceived{
		MessageID:       uuid.New(),
		Thread:          conversation.Thread{ThreadID: t.ThreadID, CompanyID: t.CompanyID, CustomerPhone: phone.Number(t.Phone)},
		MessagingNumber: "+12025550123", MessageSID: "SM" + strings.ReplaceAll(uuid.NewString(), "-", ""),
		Body: strings.Join(words, " "), App: "sms", ReceivedAt: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(1e9))),
	}
	data, err := json.Marshal(e)
	if err != nil {
		b.Fatal(err)
	}
	return eventstore.RecordedEvent{EventData: eventstore.EventData{Type: conversation.TypeMessageReceived, Data: data}, Position: eventstore.Position(1e9 + rng.IntN(1e9))}
}

func percentileOf(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// loadAverage is the machine's one-minute load average, reported beside
// the figures: on a shared machine they say little without it.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	var load float64
	if _, err := fmt.Sscan(string(b), &load); err != nil {
		return -1
	}
	return load
}
