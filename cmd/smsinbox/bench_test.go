package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// benchServer is a whole smsinbox in process: real PostgreSQL, projectors
// running, HTTP on loopback.
type benchServer struct {
	URL       string
	Pool      *pgxpool.Pool
	CompanyID string
	Token     string
	client    *http.Client
	app       *app.App
}

const benchNumber = "+12025550123"

func newBenchServer(b *testing.B) *benchServer {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg, err := pgxpool.ParseConfig(pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 40
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	store, err := postgres.New(ctx, pool, postgres.Config{})
	if err != nil {
		b.Fatal(err)
	}
	a, err := app.New(app.Config{Pool: pool, Store: store, Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = a.Run(ctx); close(done) }()
	srv := httptest.NewServer(a.Handler)
	b.Cleanup(func() { srv.Close(); cancel(); <-done; store.Close(); pool.Close() })

	company, err := commands.NewCreateCompanyHandler(store, time.Now, commands.RandomIDs).Handle(ctx,
		commands.CreateCompany{Name: "Bench", MessagingNumber: phone.MustParse(benchNumber, "US")})
	if err != nil {
		b.Fatal(err)
	}
	user, err := commands.NewAddUserHandler(store, time.Now, commands.RandomIDs).Handle(ctx,
		commands.AddUser{CompanyID: company.Company.ID, Name: "Ann", Role: "agent"})
	if err != nil {
		b.Fatal(err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	return &benchServer{URL: srv.URL, Pool: pool, CompanyID: company.Company.ID, Token: user.Token, client: &http.Client{Transport: tr}, app: a}
}

// webhook posts one signed inbound text and returns the position it answered.
func (s *benchServer) webhook(b *testing.B, sid, from, body string) int64 {
	params := url.Values{"MessageSid": {sid}, "AccountSid": {"AC" + strings.Repeat("0", 32)}, "From": {from},
		"To": {benchNumber}, "Body": {body}, "NumMedia": {"0"}, "NumSegments": {"1"}}
	target := s.URL + twilio.InboundPath
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set(twilio.SignatureHeader, twilio.Sign(app.SandboxToken, target, params))
	resp, err := s.client.Do(req)
	if err != nil {
		b.Error(err)
		return 0
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("webhook answered %s", resp.Status)
		return 0
	}
	p, _ := strconv.ParseInt(resp.Header.Get("X-Event-Position"), 10, 64)
	return p
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkWebhookAck: signed inbound webhooks at concurrency 16, each from
// one of 1,000 customers; acks/s and ack latency.
func BenchmarkWebhookAck(b *testing.B) {
	s := newBenchServer(b)
	var next atomic.Int64
	lat := make([][]time.Duration, 16)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(b.N) {
					return
				}
				t0 := time.Now()
				s.webhook(b, fmt.Sprintf("SM%032d", i), fmt.Sprintf("+1202556%04d", i%1000), "Is Tuesday at 3 still ok?")
				lat[g] = append(lat[g], time.Since(t0))
			}
		}(g)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "acks/s")
	b.ReportMetric(float64(percentile(all, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(all, 0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkProjectionLag: texts at a steady 1,000 per second for 5 s; the
// lag is from a webhook's ack to the moment every projector has applied
// the position it answered.
func BenchmarkProjectionLag(b *testing.B) {
	s := newBenchServer(b)
	const rate, seconds = 1000, 5
	total := rate * seconds
	type ack struct {
		pos int64
		at  time.Time
	}
	acks := make(chan ack, total)
	var seenMu sync.Mutex
	var seen []ack // checkpoint positions in the order they were observed
	// The watcher reads the lowest checkpoint at each consumer's move (a
	// projector's commit, the sender's checkpoint write) until it has seen
	// target, once target is known.
	var target atomic.Int64
	targetSet := make(chan struct{})
	watcherDone := make(chan struct{})
	go func() {
		defer close(watcherDone)
		wake := (<-chan struct{})(targetSet) // nil once the target is known
		for {
			committed, checkpointed := s.app.Notifier.Changed(), s.app.Sender.Checkpointed()
			var p int64
			_ = s.Pool.QueryRow(context.Background(), `SELECT min(position) FROM projection_checkpoints`).Scan(&p)
			seenMu.Lock()
			if len(seen) == 0 || seen[len(seen)-1].pos < p {
				seen = append(seen, ack{p, time.Now()})
			}
			seenMu.Unlock()
			select {
			case <-targetSet:
				if p >= target.Load() {
					return
				}
				wake = nil
			default:
			}
			select {
			case <-committed:
			case <-checkpointed:
			case <-wake:
			}
		}
	}()
	b.ResetTimer()
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / rate)
	for i := 0; i < total; i++ {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			pos := s.webhook(b, fmt.Sprintf("SM%032d", i), fmt.Sprintf("+1202557%04d", i%1000), "Steady text")
			acks <- ack{pos, time.Now()}
		}(i)
	}
	tick.Stop()
	wg.Wait()
	close(acks)
	var head int64
	_ = s.Pool.QueryRow(context.Background(), `SELECT max(position) FROM es_events`).Scan(&head)
	target.Store(head)
	close(targetSet)
	select {
	case <-watcherDone:
	case <-time.After(30 * time.Second):
		b.Fatalf("the consumers did not reach %d", head)
	}
	b.StopTimer()
	var lags []time.Duration
	for a := range acks {
		i, _ := slices.BinarySearchFunc(seen, a.pos, func(x ack, p int64) int { return int(x.pos - p) })
		if i == len(seen) {
			b.Fatalf("position %d never projected", a.pos)
		}
		lag := seen[i].at.Sub(a.at)
		if lag < 0 {
			lag = 0 // projected before the ack reached the client
		}
		lags = append(lags, lag)
	}
	b.ReportMetric(float64(len(lags))/seconds, "msgs/s")
	b.ReportMetric(float64(percentile(lags, 0.50).Microseconds())/1000, "lag-p50-ms")
	b.ReportMetric(float64(percentile(lags, 0.99).Microseconds())/1000, "lag-p99-ms")
}

// BenchmarkListThreads: GET /api/threads over 100,000 threads (first pages
// and pages deep into the list).
func BenchmarkListThreads(b *testing.B) {
	s := newBenchServer(b)
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([][]any, 100000)
	for i := range rows {
		rows[i] = []any{uuid.New(), s.CompanyID, fmt.Sprintf("+1202558%04d%d", i%10000, i/10000), i%3 == 0, i%10 == 0,
			base.Add(time.Duration(i) * time.Minute), "preview of the last message"}
	}
	if _, err := s.Pool.CopyFrom(ctx, pgx.Identifier{"threads"},
		[]string{"id", "company_id", "customer_phone", "unread", "archived", "last_activity_at", "last_message_preview"},
		pgx.CopyFromRows(rows)); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `ANALYZE threads`); err != nil {
		b.Fatal(err)
	}
	// Cursors deep into the inbox, to page from.
	var cursors []string
	next := ""
	for len(cursors) < 50 {
		body := s.get(b, "/api/threads?limit=200&cursor="+next)
		i := strings.Index(body, `"next_cursor":"`)
		if i < 0 {
			break
		}
		next = body[i+len(`"next_cursor":"`):]
		next = next[:strings.IndexByte(next, '"')]
		cursors = append(cursors, next)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		path := "/api/threads"
		if i%2 == 1 {
			path += "?cursor=" + cursors[i%len(cursors)]
		}
		t0 := time.Now()
		s.get(b, path)
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

func (s *benchServer) get(b *testing.B, path string) string {
	req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := s.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET %s: %s %s", path, resp.Status, sb.String())
	}
	return sb.String()
}

// BenchmarkExportAll: GET /api/messages/export.csv over N messages of one
// thread with a lead, copied straight into the read model. It reports rows/s and the
// peak heap in use while the export streams (sampled every 5 ms; the
// server and the client share the process), which must not grow with N.
func BenchmarkExportAll(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) { benchExportAll(b, n) })
	}
}

func benchExportAll(b *testing.B, n int) {
	s := newBenchServer(b)
	ctx := context.Background()
	threadID := uuid.New()
	customer := "+12025550187"
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := s.Pool.Exec(ctx, `INSERT INTO threads (id, company_id, customer_phone, last_activity_at)
		VALUES ($1, $2, $3, $4)`, threadID, s.CompanyID, customer, base); err != nil {
		b.Fatal(err)
	}
	// A lead, so that every row carries the customer's name.
	if _, err := s.Pool.Exec(ctx, `INSERT INTO leads (id, company_id, customer_phone, thread_id, first_name, last_name, email, source, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'Ann', 'Lee', 'ann@example.com', 'dashboard', $5, $5)`, uuid.New(), s.CompanyID, customer, threadID, base); err != nil {
		b.Fatal(err)
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == n {
			return nil, nil
		}
		i++
		dir, from, to, status := "inbound", customer, benchNumber, "received"
		if i%2 == 0 {
			dir, from, to, status = "outbound", benchNumber, customer, "delivered"
		}
		return []any{uuid.New(), threadID, s.CompanyID, dir, from, to,
			fmt.Sprintf("Message %d, with \"quotes\" and a comma, about the appointment", i), status, "dashboard",
			base.Add(time.Duration(i) * time.Second), int64(i)}, nil
	})
	if _, err := s.Pool.CopyFrom(ctx, pgx.Identifier{"messages"},
		[]string{"id", "thread_id", "company_id", "direction", "from_number", "to_number", "body", "status", "app", "created_at", "position"},
		src); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `ANALYZE messages`); err != nil {
		b.Fatal(err)
	}

	var peak atomic.Uint64
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	baseline := ms.HeapInuse
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak.Load() {
					peak.Store(m.HeapInuse)
				}
			}
		}
	}()
	var bytes int64
	b.ResetTimer()
	t0 := time.Now()
	for range b.N {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/messages/export.csv", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token)
		resp, err := s.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		lines, size, err := countLines(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || lines != n+1 {
			b.Fatalf("export: %s, %d lines (want %d), %v", resp.Status, lines, n+1, err)
		}
		bytes = size
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	close(stop)
	<-sampled
	b.ReportMetric(float64(n)*float64(b.N)/elapsed.Seconds(), "rows/s")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(baseline)/(1<<20), "baseline-heap-MB")
	b.ReportMetric(float64(bytes)/(1<<20), "csv-MB")
}

// countLines reads r to its end and counts its CRLF-ended lines (message
// bodies here hold no line break).
func countLines(r io.Reader) (lines int, size int64, err error) {
	buf := make([]byte, 64<<10)
	for {
		k, rerr := r.Read(buf)
		size += int64(k)
		for _, c := range buf[:k] {
			if c == '\n' {
				lines++
			}
		}
		if rerr == io.EOF {
			return lines, size, nil
		}
		if rerr != nil {
			return lines, size, rerr
		}
	}
}
