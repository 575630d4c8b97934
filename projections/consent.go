package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Consent projects every customer's consent into the consents table: the
// status the customer's consent stream last recorded, the messaging number
// it belongs to, and when either last changed. A status counts only while
// its number is the company's current one (the queries compare it with the
// directory's companies.messaging_number), so a change of number reads as no
// at once, before the ConsentVoided events of the reactor (or of the next
// command) arrive. The thread's consent badge, GET /api/consent and the
// number-change reactor read it; the audit never does (it replays the event
// store).
type Consent struct{}

func (Consent) Name() string     { return "consent" }
func (Consent) Tables() []string { return []string{"consents"} }

func (Consent) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if !isConsentEvent(e.Type) {
		return nil
	}
	ev, err := consent.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	c := ev.Base()
	// updated_at moves only when the status or the number changes (a HELP,
	// or a STOP while no, leaves it).
	_, err = tx.Exec(ctx, `
INSERT INTO consents (company_id, customer_phone, messaging_number, status, updated_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (company_id, customer_phone) DO UPDATE SET
    updated_at = CASE WHEN consents.status <> excluded.status OR consents.messaging_number <> excluded.messaging_number
                      THEN excluded.updated_at ELSE consents.updated_at END,
    status = excluded.status,
    messaging_number = excluded.messaging_number`,
		c.CompanyID, string(c.CustomerPhone), string(c.MessagingNumber), c.StatusAfter.String(), c.At)
	if err != nil {
		return fmt.Errorf("consent %s: %w", e.Type, err)
	}
	return nil
}

func isConsentEvent(eventType string) bool {
	for _, t := range consent.EventTypes() {
		if t == eventType {
			return true
		}
	}
	return false
}

// ApplyBatch implements BatchProjector: the consents a run of events
// touches are read in one round trip, brought up to date in memory as
// Apply's statement does, and written in one.
func (c Consent) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.RecordedEvent) error {
	type key struct{ company, phone string }
	type row struct {
		number, status string
		updatedAt      time.Time
	}
	var changes []consent.Change
	var keys []key
	seen := map[key]bool{}
	for _, e := range events {
		if !isConsentEvent(e.Type) {
			continue
		}
		ev, err := consent.Decode(e.Type, e.Data)
		if err != nil {
			return atEvent(e, err)
		}
		ch := ev.Base()
		changes = append(changes, ch)
		if k := (key{ch.CompanyID, string(ch.CustomerPhone)}); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	companies, phones := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		companies[i], phones[i] = k.company, k.phone
	}
	rows := map[key]*row{}
	res, err := tx.Query(ctx, `SELECT c.company_id, c.customer_phone, c.messaging_number, c.status, c.updated_at
		FROM consents c JOIN unnest($1::text[], $2::text[]) AS k (company_id, customer_phone)
		  ON c.company_id = k.company_id AND c.customer_phone = k.customer_phone`, companies, phones)
	if err != nil {
		return fmt.Errorf("consent: read: %w", err)
	}
	for res.Next() {
		var k key
		r := &row{}
		if err := res.Scan(&k.company, &k.phone, &r.number, &r.status, &r.updatedAt); err != nil {
			res.Close()
			return fmt.Errorf("consent: read: %w", err)
		}
		rows[k] = r
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("consent: read: %w", err)
	}
	for _, ch := range changes {
		k := key{ch.CompanyID, string(ch.CustomerPhone)}
		status, number, at := ch.StatusAfter.String(), string(ch.MessagingNumber), dbTime(ch.At)
		r, ok := rows[k]
		switch {
		case !ok:
			rows[k] = &row{number: number, status: status, updatedAt: at}
		case r.status != status || r.number != number:
			r.number, r.status, r.updatedAt = number, status, at
		}
	}
	numbers, statuses, updated := make([]string, len(keys)), make([]string, len(keys)), make([]time.Time, len(keys))
	for i, k := range keys {
		r := rows[k]
		numbers[i], statuses[i], updated[i] = r.number, r.status, r.updatedAt
	}
	_, err = tx.Exec(ctx, `
INSERT INTO consents (company_id, customer_phone, messaging_number, status, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
ON CONFLICT (company_id, customer_phone) DO UPDATE SET
    messaging_number = excluded.messaging_number, status = excluded.status, updated_at = excluded.updated_at`,
		companies, phones, numbers, statuses, updated)
	if err != nil {
		return fmt.Errorf("consent: write: %w", err)
	}
	return nil
}
