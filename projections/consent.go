package projections

import (
	"context"
	"fmt"

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
