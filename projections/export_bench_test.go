package projections

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// BenchmarkExportRead reads every page of a company's export of n
// messages, the database's part of Download All and the decoding of its
// rows: read=scan is the path before record 0029 (the thread and its lead
// joined to every message, pgx scanning each row into an ExportRow with
// strings, pages of 1,000), read=raw ExportEach (each thread's customer
// read once, binary rows decoded by hand; pages of 1,000 and 5,000), and
// read=fetch ExportFetch into one page reused, as Download All's fetcher
// reads; side by side in one run so that a busy machine slows all alike.
// The messages are spread over 10,000 threads, a third with a lead.
func BenchmarkExportRead(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.NewPool(b)
	q := Queries{Pool: pool}
	const n = 200_000
	const threads = 10_000
	if _, err := pool.Exec(ctx, `INSERT INTO threads (id, company_id, customer_phone, last_activity_at)
		SELECT gen_random_uuid(), 'co', '+1202' || lpad(k::text, 7, '0'), now() FROM generate_series(1, $1::int) k`, threads); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO leads (id, company_id, customer_phone, thread_id, first_name, last_name, email, source, created_at, updated_at)
		SELECT gen_random_uuid(), 'co', customer_phone, id, 'Ann', 'Lee', 'ann@example.com', 'dashboard', now(), now()
		FROM threads WHERE right(customer_phone, 1) IN ('1', '4', '7')`); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		WITH t AS (SELECT id, customer_phone, row_number() OVER (ORDER BY id) - 1 AS k FROM threads)
		INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
		SELECT gen_random_uuid(), t.id, 'co', CASE WHEN i % 2 = 0 THEN 'outbound' ELSE 'inbound' END, t.customer_phone, '+12025550123',
		       'Message ' || i || ', with "quotes" and a comma, about the appointment', 'received', 'sms',
		       timestamptz '2026-01-01' + i * interval '1 second', i
		FROM generate_series(1, $1::int) i JOIN t ON t.k = i % $2`, n, threads); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE messages`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		read string
		page int
	}{{"scan", 1000}, {"raw", 1000}, {"raw", 5000}, {"fetch", 5000}} {
		b.Run(fmt.Sprintf("read=%s/page=%d", c.read, c.page), func(b *testing.B) {
			var took time.Duration
			for b.Loop() {
				start := time.Now()
				var after ExportCursor
				var buf []ExportRow
				var customers ExportCustomers
				var rows ExportRows
				total := 0
				for {
					var got int
					var err error
					switch c.read {
					case "scan":
						buf, err = scanExportPage(ctx, q, after, c.page, buf)
						got = len(buf)
						if got > 0 {
							after = buf[got-1].Cursor()
						}
					case "fetch":
						err = q.ExportFetch(ctx, "co", ExportScope{}, after, c.page, &customers, &rows)
						if err == nil {
							err = rows.Each(func(*ExportMessage) error { return nil })
						}
						got, after = rows.Len(), rows.Last()
					default:
						got, after, err = q.ExportEach(ctx, "co", ExportScope{}, after, c.page, &customers, func(*ExportMessage) error { return nil })
					}
					if err != nil {
						b.Fatal(err)
					}
					total += got
					if got < c.page {
						break
					}
				}
				if total != n {
					b.Fatalf("%d rows, want %d", total, n)
				}
				took += time.Since(start)
			}
			b.ReportMetric(float64(b.N*n)/took.Seconds(), "rows/s")
		})
	}
}

// scanExportPage is Download All's page read as it was before record 0029,
// kept here as the benchmark's baseline: pgx scans each row into strings.
func scanExportPage(ctx context.Context, q Queries, after ExportCursor, limit int, buf []ExportRow) ([]ExportRow, error) {
	args := []any{"co", limit}
	where := `m.company_id = $1`
	if after != (ExportCursor{}) {
		args = append(args, after.CreatedAt, after.Position)
		where += ` AND (m.created_at, m.position) > ($3, $4)`
	}
	rows, err := q.Pool.Query(ctx, `SELECT m.id, m.thread_id, m.created_at, t.customer_phone, l.first_name || ' ' || l.last_name,
		m.from_number, m.to_number, m.direction, m.status, m.body, m.position
		FROM messages m JOIN threads t ON t.id = m.thread_id AND t.company_id = m.company_id
		LEFT JOIN leads l ON l.company_id = t.company_id AND l.customer_phone = t.customer_phone
		WHERE `+where+`
		ORDER BY m.created_at, m.position
		LIMIT $2`, args...)
	if err != nil {
		return nil, err
	}
	page := buf[:0]
	var r ExportRow
	_, err = pgx.ForEachRow(rows, []any{&r.ID, &r.ThreadID, &r.CreatedAt, &r.CustomerPhone, &r.CustomerName,
		&r.From, &r.To, &r.Direction, &r.Status, &r.Body, &r.Position}, func() error {
		page = append(page, r)
		r.CustomerName = nil
		return nil
	})
	return page, err
}
