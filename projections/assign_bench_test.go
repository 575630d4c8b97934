package projections

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// The thread list with the assignee filter on a large read model: 100,000
// threads across 100 companies (1,000 each), each company with 7 agents
// holding 70 % of its threads and 30 % unassigned, 10 % archived, every
// customer with a consent and half with a lead (the list reads both).
// Messages are not seeded: the list never reads them.
//
//	go run ./cmd/testenv go test -run '^$' -bench BenchmarkAssignedThreads -benchtime 2000x ./projections/
//
// Each sub-benchmark reports the query's p50 and p99 (ms) beside ns/op.
const (
	benchCompanies = 100
	benchThreads   = 100_000
	benchAgents    = 7
)

func seedAssignedThreads(b *testing.B) *pgxpool.Pool {
	b.Helper()
	pool := pgtest.NewPool(b)
	ctx := context.Background()
	stmts := []string{
		`INSERT INTO companies (id, name, messaging_number, time_zone, sms_enabled, country, created_at)
		 SELECT 'co-' || c, 'Company ' || c, '+1202555' || lpad(c::text, 4, '0'), 'UTC', true, 'US', now()
		 FROM generate_series(0, ` + fmt.Sprint(benchCompanies-1) + `) c`,
		`INSERT INTO users (id, company_id, name, role, token_hash, created_at)
		 SELECT 'user-' || c || '-' || u, 'co-' || c, 'Agent ' || u, 'agent', md5(c || '-' || u), now()
		 FROM generate_series(0, ` + fmt.Sprint(benchCompanies-1) + `) c, generate_series(0, ` + fmt.Sprint(benchAgents-1) + `) u`,
		// Thread i: company i % 100; assignee by (i / 100) % 10: 0–2 none,
		// 3–9 agents 0–6; one in ten archived (by a hash); activity spread
		// over a year.
		`INSERT INTO threads (id, company_id, customer_phone, unread, archived, last_activity_at, last_customer_reply_at, last_message_preview, assignee_id)
		 SELECT md5('t' || i)::uuid, 'co-' || (i % 100), '+1312' || lpad(i::text, 7, '0'), i % 3 = 0,
		        get_byte(decode(md5('a' || i), 'hex'), 0) % 10 = 0,
		        timestamptz '2026-01-01' + (i * 7919 % 31536000) * interval '1 second',
		        timestamptz '2026-01-01' + (i * 7919 % 31536000) * interval '1 second',
		        'Is Tuesday free? ' || i,
		        CASE WHEN (i / 100) % 10 < 3 THEN NULL ELSE 'user-' || (i % 100) || '-' || ((i / 100) % 10 - 3) END
		 FROM generate_series(0, ` + fmt.Sprint(benchThreads-1) + `) i`,
		`INSERT INTO consents (company_id, customer_phone, messaging_number, status, updated_at)
		 SELECT t.company_id, t.customer_phone, co.messaging_number, 'yes', now()
		 FROM threads t JOIN companies co ON co.id = t.company_id`,
		`INSERT INTO leads (id, company_id, customer_phone, thread_id, first_name, last_name, email, source, created_at, updated_at)
		 SELECT md5('l' || t.id)::uuid, t.company_id, t.customer_phone, t.id, 'Ada', 'Lovelace', 'ada@example.com', 'form', now(), now()
		 FROM threads t WHERE get_byte(decode(md5(t.id::text), 'hex'), 0) % 2 = 0`,
		`ANALYZE`,
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s); err != nil {
			b.Fatalf("seed: %v\n%s", err, s)
		}
	}
	return pool
}

func BenchmarkAssignedThreads(b *testing.B) {
	pool := seedAssignedThreads(b)
	q := Queries{Pool: pool}
	ctx := context.Background()
	const company = "co-42"
	// A cursor in the middle of the company's inbox: the next page's query.
	mid, _, err := q.AssignedThreads(ctx, company, false, AnyAssignee, 200, nil)
	if err != nil || len(mid) < 200 {
		b.Fatalf("first 200: %d, %v", len(mid), err)
	}
	after := &Cursor{At: mid[199].LastActivityAt, ID: mid[199].ID}

	cases := []struct {
		name   string
		filter AssigneeFilter
		after  *Cursor
	}{
		{"all", AnyAssignee, nil},
		{"unassigned", AssigneeFilter{Unassigned: true}, nil},
		{"user", AssigneeFilter{UserID: "user-42-3"}, nil},
		{"user-next-page", AssigneeFilter{UserID: "user-42-3"}, after},
		{"unassigned-next-page", AssigneeFilter{Unassigned: true}, after},
		{"user-archived", AssigneeFilter{UserID: "user-42-3"}, nil},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			archived := strings.HasSuffix(c.name, "archived")
			threads, _, err := q.AssignedThreads(ctx, company, archived, c.filter, 50, c.after)
			if err != nil || len(threads) == 0 {
				b.Fatalf("%d threads, %v", len(threads), err)
			}
			plan, buffers := explainThreads(b, pool, company, archived, c.filter, c.after)
			b.Logf("plan: %s", plan)
			times := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				if _, _, err := q.AssignedThreads(ctx, company, archived, c.filter, 50, c.after); err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(times)
			pct := func(p float64) float64 {
				return float64(times[min(len(times)-1, int(float64(len(times))*p))]) / float64(time.Millisecond)
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			// What the query touches, whatever the machine's load.
			b.ReportMetric(float64(buffers), "buffers/op")
		})
	}
}

// explainThreads runs the list's query under EXPLAIN (ANALYZE, BUFFERS):
// the index it walks, and how many shared buffers it touched.
func explainThreads(b *testing.B, pool *pgxpool.Pool, company string, archived bool, f AssigneeFilter, after *Cursor) (string, int) {
	b.Helper()
	sql, args := threadListQuery(company, archived, f, 51, after)
	rows, err := pool.Query(context.Background(), "EXPLAIN (ANALYZE, BUFFERS) "+sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	buffers := -1
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			b.Fatal(err)
		}
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "->  Index Scan") && strings.Contains(l, " on threads ") {
			lines = append(lines, l[:strings.Index(l, " on threads ")])
		}
		if rest, ok := strings.CutPrefix(l, "Buffers: shared "); ok && buffers < 0 {
			buffers = 0 // the plan's top line: the whole query's
			for _, part := range strings.Fields(rest) {
				var n int
				if _, err := fmt.Sscanf(part[strings.Index(part, "=")+1:], "%d", &n); err == nil {
					buffers += n
				}
			}
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return strings.Join(lines, " | "), buffers
}
