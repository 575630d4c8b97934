package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
)

// Leads projects each customer's lead into the leads table. The thread's
// customer_name and lead_id are joined from it by the thread queries.
type Leads struct{}

func (Leads) Name() string     { return "leads" }
func (Leads) Tables() []string { return []string{"leads"} }

func (Leads) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if e.Type != lead.TypeLeadCreated && e.Type != lead.TypeLeadUpdated {
		return nil
	}
	ev, err := lead.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	d, _ := lead.DetailsOf(ev)
	_, err = tx.Exec(ctx, `
INSERT INTO leads (id, company_id, customer_phone, thread_id, first_name, last_name, email, source, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
ON CONFLICT (id) DO UPDATE SET
    first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email,
    source = excluded.source, updated_at = excluded.updated_at`,
		d.LeadID, d.CompanyID, string(d.CustomerPhone), d.ThreadID, d.FirstName, d.LastName, d.Email, d.Source, d.At)
	if err != nil {
		return fmt.Errorf("leads %s: %w", e.Type, err)
	}
	return nil
}

// LeadView is a lead as the leads read model holds it.
type LeadView struct {
	ID        uuid.UUID `json:"id"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Email     string    `json:"email"`
	Phone     string    `json:"phone"`
	ThreadID  uuid.UUID `json:"thread_id"`
}

// Lead reads one lead of the company.
func (q Queries) Lead(ctx context.Context, companyID string, id uuid.UUID) (LeadView, error) {
	var l LeadView
	err := q.Pool.QueryRow(ctx, `SELECT id, first_name, last_name, email, customer_phone, thread_id
		FROM leads WHERE company_id = $1 AND id = $2`, companyID, id).
		Scan(&l.ID, &l.FirstName, &l.LastName, &l.Email, &l.Phone, &l.ThreadID)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, ErrNotFound
	}
	if err != nil {
		return l, fmt.Errorf("read lead %s: %w", id, err)
	}
	return l, nil
}

// ApplyBatch implements BatchProjector. Every lead event sets all of a
// lead's fields, so a run's effect on a lead is its first event's identity
// and time of creation (when the lead is new) and its last event's fields:
// one row per lead, written in one statement.
func (Leads) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.RecordedEvent) error {
	index := map[uuid.UUID]int{}
	var first, last []lead.Details
	for _, e := range events {
		if e.Type != lead.TypeLeadCreated && e.Type != lead.TypeLeadUpdated {
			continue
		}
		ev, err := lead.Decode(e.Type, e.Data)
		if err != nil {
			return atEvent(e, err)
		}
		d, _ := lead.DetailsOf(ev)
		if i, ok := index[d.LeadID]; ok {
			last[i] = d
			continue
		}
		index[d.LeadID] = len(first)
		first, last = append(first, d), append(last, d)
	}
	if len(first) == 0 {
		return nil
	}
	var c struct {
		id, thread                                         []uuid.UUID
		company, phone, firstName, lastName, email, source []string
		created, updated                                   []time.Time
	}
	for i, f := range first {
		l := last[i]
		c.id, c.thread = append(c.id, f.LeadID), append(c.thread, f.ThreadID)
		c.company, c.phone = append(c.company, f.CompanyID), append(c.phone, string(f.CustomerPhone))
		c.firstName, c.lastName = append(c.firstName, l.FirstName), append(c.lastName, l.LastName)
		c.email, c.source = append(c.email, l.Email), append(c.source, l.Source)
		c.created, c.updated = append(c.created, f.At), append(c.updated, l.At)
	}
	_, err := tx.Exec(ctx, `
INSERT INTO leads (id, company_id, customer_phone, thread_id, first_name, last_name, email, source, created_at, updated_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::timestamptz[], $10::timestamptz[])
ON CONFLICT (id) DO UPDATE SET
    first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email,
    source = excluded.source, updated_at = excluded.updated_at`,
		c.id, c.company, c.phone, c.thread, c.firstName, c.lastName, c.email, c.source, c.created, c.updated)
	if err != nil {
		return fmt.Errorf("leads: %w", err)
	}
	return nil
}
