package projections

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// ExportPage pages by (created_at, position): pages of any size, read one
// after the other from each page's last row, give every message once, in
// order, even where a page ends inside a run of equal times; a thread's
// export leaves its hidden messages out, Download All keeps them, and no
// page reaches another company.
func TestExportPage(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	q := Queries{Pool: pool}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	th, other := uuid.New(), uuid.New()
	for _, r := range []struct {
		id      uuid.UUID
		company string
	}{{th, "co"}, {other, "co-2"}} {
		if _, err := pool.Exec(ctx, `INSERT INTO threads (id, company_id, customer_phone, last_activity_at) VALUES ($1, $2, '+12025550187', $3)`,
			r.id, r.company, t0); err != nil {
			t.Fatal(err)
		}
	}
	type msg struct {
		at     int // seconds after t0
		pos    int64
		hidden bool
	}
	// Inserted out of order; runs of equal times at 1 s and 3 s.
	msgs := []msg{{3, 40, false}, {1, 12, false}, {1, 10, true}, {0, 5, false}, {3, 31, false}, {1, 11, false}, {2, 20, false}, {3, 30, true}}
	ids := map[int64]uuid.UUID{}
	for _, m := range msgs {
		ids[m.pos] = uuid.New()
		if _, err := pool.Exec(ctx, `INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, hidden, created_at, position)
			VALUES ($1, $2, 'co', 'inbound', '+12025550187', '+12025550123', 'x', 'received', 'sms', $3, $4, $5)`,
			ids[m.pos], th, m.hidden, t0.Add(time.Duration(m.at)*time.Second), m.pos); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
		VALUES ($1, $2, 'co-2', 'inbound', '+12025550187', '+12025550130', 'other', 'received', 'sms', $3, 1)`, uuid.New(), other, t0); err != nil {
		t.Fatal(err)
	}
	all := []int64{5, 10, 11, 12, 20, 30, 31, 40}
	shown := []int64{5, 11, 12, 20, 31, 40}
	for _, c := range []struct {
		name  string
		scope ExportScope
		want  []int64
	}{{"Download All", ExportScope{}, all}, {"Download Message", ExportScope{ThreadID: &th}, shown}} {
		for _, size := range []int{1, 2, 3, 100} {
			var got []int64
			var after ExportCursor
			var page []ExportRow
			for pages := 0; ; pages++ {
				if pages > len(msgs)+1 {
					t.Fatalf("%s, pages of %d: does not end: %v", c.name, size, got)
				}
				var err error
				page, err = q.ExportPage(ctx, "co", c.scope, after, size, page)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range page {
					if r.ID != ids[r.Position] || r.ThreadID != th {
						t.Fatalf("%s: row %+v is not message %d of the thread", c.name, r, r.Position)
					}
					got = append(got, r.Position)
				}
				if len(page) < size {
					break
				}
				after = page[len(page)-1].Cursor()
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("%s, pages of %d: positions %v, want %v", c.name, size, got, c.want)
			}
		}
	}
}

// An export's customers carry over from page to page: each row has its
// thread's phone, and its lead's name or none, however the pages fall,
// including after a thread's customer was learnt on an earlier page; and
// whether Download All read every thread's customer first or, in a
// company with more threads than it remembers, each page read those it met.
func TestExportEachCustomers(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	q := Queries{Pool: pool}
	t0 := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	named, anon := uuid.New(), uuid.New()
	for _, th := range []struct {
		id    uuid.UUID
		phone string
	}{{named, "+12025550101"}, {anon, "+12025550102"}} {
		if _, err := pool.Exec(ctx, `INSERT INTO threads (id, company_id, customer_phone, last_activity_at) VALUES ($1, 'co', $2, $3)`,
			th.id, th.phone, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `INSERT INTO leads (id, company_id, customer_phone, thread_id, first_name, last_name, email, source, created_at, updated_at)
		VALUES ($1, 'co', '+12025550101', $2, 'Ann', 'Lee', 'ann@example.com', 'dashboard', $3, $3)`, uuid.New(), named, t0); err != nil {
		t.Fatal(err)
	}
	order := []uuid.UUID{named, anon, named, anon, anon, named}
	for i, th := range order {
		if _, err := pool.Exec(ctx, `INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
			VALUES ($1, $2, 'co', 'inbound', '+12025550101', '+12025550123', 'x', 'received', 'sms', $3, $4)`,
			uuid.New(), th, t0.Add(time.Duration(i)*time.Second), i+1); err != nil {
			t.Fatal(err)
		}
	}
	want := map[uuid.UUID]string{named: "+12025550101 Ann Lee", anon: "+12025550102 "}
	for _, c := range []struct{ size, remember int }{{1, 0}, {2, 0}, {4, 0}, {10, 0}, {1, 1}, {4, 1}, {10, 1}} {
		size := c.size
		customers := ExportCustomers{max: c.remember}
		var after ExportCursor
		var got []uuid.UUID
		for pages := 0; pages <= len(order); pages++ {
			n, last, err := q.ExportEach(ctx, "co", ExportScope{}, after, size, &customers, func(m *ExportMessage) error {
				if cell := string(m.CustomerPhone) + " " + string(m.CustomerName); cell != want[m.ThreadID] {
					t.Errorf("pages of %d: message %d of thread %s has customer %q, want %q", size, m.Position, m.ThreadID, cell, want[m.ThreadID])
				}
				got = append(got, m.ThreadID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n < size {
				break
			}
			after = last
		}
		if !slices.Equal(got, order) {
			t.Fatalf("pages of %d: threads %v, want %v", size, got, order)
		}
	}
}
