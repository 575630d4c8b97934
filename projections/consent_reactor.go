package projections

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// ConsentVoider records, for one customer of a company that changed its
// messaging number, that the consent given on the previous number is void
// (consent.ChangeNumber at the change's time). It must be idempotent: the
// reactor may call it again for the same change after a crash.
type ConsentVoider func(ctx context.Context, change company.MessagingNumberChanged, cause eventstore.RecordedEvent, customer phone.Number) error

// ConsentNumberReactor voids every consent of a company when its messaging
// number changes: on MessagingNumberChanged it finds, in the consent read
// model, the customers whose consent is on the previous number and calls
// Void for each, so that each consent stream (and the audit) shows the
// change at its time. It runs in the projections Runner like a projector
// (its checkpoint, its lock, one instance, retries, set-aside), owns no
// table, and is not in All(): a rebuild replays read models, not reactions.
//
// Correctness does not hang on it: every consent command carries the
// company's current number and voids a stale consent itself (consent.Decide),
// and the read models compare a status's number with the company's.
type ConsentNumberReactor struct {
	Void ConsentVoider
	// MaxWait bounds the wait for the consent projector to reach the change
	// (30 s); past it Apply fails and the Runner retries.
	MaxWait time.Duration
}

// ConsentNumberReactorName is the reactor's name (checkpoint and lock).
const ConsentNumberReactorName = "consent-number-change"

func (ConsentNumberReactor) Name() string     { return ConsentNumberReactorName }
func (ConsentNumberReactor) Tables() []string { return nil }

// Handles makes the reactor Selective: Apply acts on MessagingNumberChanged only.
func (ConsentNumberReactor) Handles(eventType string) bool {
	return eventType == company.TypeMessagingNumberChanged
}

func (r ConsentNumberReactor) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	change, ok, err := companyEvent[company.MessagingNumberChanged](e, company.TypeMessagingNumberChanged)
	if err != nil || !ok || change.PreviousNumber == "" || change.PreviousNumber == change.MessagingNumber {
		return err
	}
	// The consents table must hold every consent event before the change.
	return eachCustomer(ctx, tx, e, Consent{}.Name(), r.MaxWait,
		func() ([]string, error) {
			return Queries{}.ConsentCustomers(ctx, tx, change.CompanyID, string(change.PreviousNumber))
		},
		func(c phone.Number) error { return r.Void(ctx, change, e, c) })
}
