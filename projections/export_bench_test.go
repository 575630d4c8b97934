package projections

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// BenchmarkExportRead reads every page of a company's export of n
// messages (one thread with a lead), the database's part of Download All
// and the decoding of its rows: read=scan is the path before record 0029
// (pgx scanning each row into an ExportRow with strings, pages of 1,000),
// read=raw ExportEach (binary rows decoded by hand, no copy), pages of
// 1,000 and 5,000, side by side in one run so that a busy machine slows
// all alike.
func BenchmarkExportRead(b *testing.B) {
	ctx := context.Background()
	pool := pgtest.NewPool(b)
	q := Queries{Pool: pool}
	const n = 200_000
	th := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO threads (id, company_id, customer_phone, last_activity_at) VALUES ($1, 'co', '+12025550187', now())`, th); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO leads (id, company_id, customer_phone, thread_id, first_name, last_name, email, source, created_at, updated_at)
		VALUES (gen_random_uuid(), 'co', '+12025550187', $1, 'Ann', 'Lee', 'ann@example.com', 'dashboard', now(), now())`, th); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
		SELECT gen_random_uuid(), $1, 'co', CASE WHEN i % 2 = 0 THEN 'outbound' ELSE 'inbound' END, '+12025550187', '+12025550123',
		       'Message ' || i || ', with "quotes" and a comma, about the appointment', 'received', 'sms',
		       timestamptz '2026-01-01' + i * interval '1 second', i
		FROM generate_series(1, $2::int) i`, th, n); err != nil {
		b.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `VACUUM ANALYZE messages`); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		read string
		page int
	}{{"scan", 1000}, {"raw", 1000}, {"raw", 5000}} {
		b.Run(fmt.Sprintf("read=%s/page=%d", c.read, c.page), func(b *testing.B) {
			var took time.Duration
			for b.Loop() {
				start := time.Now()
				var after ExportCursor
				var buf []ExportRow
				total := 0
				for {
					var got int
					var err error
					if c.read == "scan" {
						buf, err = scanExportPage(ctx, q, after, c.page, buf)
						got = len(buf)
						if got > 0 {
							after = buf[got-1].Cursor()
						}
					} else {
						got, after, err = q.ExportEach(ctx, "co", ExportScope{}, after, c.page, func(*ExportMessage) error { return nil })
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
	sql, args := exportQuery("co", ExportScope{}, after, limit)
	rows, err := q.Pool.Query(ctx, sql, args...)
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
