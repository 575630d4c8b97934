package projections

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/google/uuid"
)

// ThreadDetail answers what Thread, Messages and Notes answer one by one,
// and not found for another company's thread or an unknown one.
func TestThreadDetailIsThreadMessagesAndNotes(t *testing.T) {
	pool, _ := setup(t)
	ctx := context.Background()
	q := Queries{Pool: pool}
	id := uuid.New()
	if _, err := pool.Exec(ctx, `INSERT INTO companies (id, name, messaging_number, time_zone, sms_enabled, country, created_at) VALUES ('co', 'Acme', '+12025550100', 'UTC', true, 'US', now())`); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{ // each of the thread ($1)
		`INSERT INTO threads (id, company_id, customer_phone, last_activity_at) VALUES ($1, 'co', '+12025550101', now())`,
		`INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
			VALUES (gen_random_uuid(), $1, 'co', 'inbound', '+12025550101', '+12025550100', 'first', 'received', 'sms', now() - interval '1 minute', 1),
			       (gen_random_uuid(), $1, 'co', 'outbound', '+12025550100', '+12025550101', 'second', 'sent', 'sms', now(), 2)`,
		`INSERT INTO notes (id, thread_id, company_id, author_id, body, created_at, position) VALUES (gen_random_uuid(), $1, 'co', 'u1', 'call back', now(), 3)`,
	} {
		if _, err := pool.Exec(ctx, sql, id); err != nil {
			t.Fatal(err)
		}
	}
	th, msgs, notes, err := q.ThreadDetail(ctx, "co", id)
	if err != nil {
		t.Fatal(err)
	}
	wantTh, err1 := q.Thread(ctx, "co", id)
	wantMsgs, err2 := q.Messages(ctx, "co", id)
	wantNotes, err3 := q.Notes(ctx, "co", id)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(th, wantTh) || !reflect.DeepEqual(msgs, wantMsgs) || !reflect.DeepEqual(notes, wantNotes) {
		t.Fatalf("ThreadDetail %+v %+v %+v, want %+v %+v %+v", th, msgs, notes, wantTh, wantMsgs, wantNotes)
	}
	if len(msgs) != 2 || len(notes) != 1 {
		t.Fatalf("%d messages and %d notes, want 2 and 1", len(msgs), len(notes))
	}
	for _, c := range []struct {
		company string
		id      uuid.UUID
	}{{"other", id}, {"co", uuid.New()}} {
		if _, _, _, err := q.ThreadDetail(ctx, c.company, c.id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("ThreadDetail(%s, %s): %v, want ErrNotFound", c.company, c.id, err)
		}
	}
}
