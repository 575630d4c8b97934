package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

var numberChangeNamespace = uuid.MustParse("0c5e2b8e-7f0d-4d8c-9d4e-3b7c6a1f5e21")

// VoidConsentOnNumberChange asks to void a customer's consent on a
// company's previous messaging number (projections.ConsentNumberReactor
// asks, for every customer of the company).
type VoidConsentOnNumberChange struct {
	Change company.MessagingNumberChanged
	// CausedBy is the ID of the MessagingNumberChanged event.
	CausedBy uuid.UUID
	Customer phone.Number
}

// VoidConsentOnNumberChangeHandler voids consents on former numbers. It
// takes no clock: the time is the change's.
type VoidConsentOnNumberChangeHandler struct {
	store eventstore.Store
}

// NewVoidConsentOnNumberChangeHandler returns a handler that records in store.
func NewVoidConsentOnNumberChangeHandler(store eventstore.Store) *VoidConsentOnNumberChangeHandler {
	return &VoidConsentOnNumberChangeHandler{store: store}
}

// Handle records on the customer's consent stream that the company's
// messaging number changed (consent.ChangeNumber at the change's time, actor
// system, caused by the change), when the consent still belongs to the
// previous number. It is idempotent: its event ID comes from the cause and
// the customer, and a consent already on another number (voided by a later
// command, or by a later change) is left as it is.
func (h *VoidConsentOnNumberChangeHandler) Handle(ctx context.Context, cmd VoidConsentOnNumberChange) (eventstore.Position, error) {
	change, customer := cmd.Change, cmd.Customer
	d := consentDecider
	d.EventID = func(e consent.Event) uuid.UUID {
		return uuid.NewSHA1(numberChangeNamespace, []byte(cmd.CausedBy.String()+"/"+string(customer)+"/"+e.EventType()))
	}
	d.Decide = func(s consentChain, c consent.Command) ([]consent.Event, error) {
		if s.MessagingNumber != change.PreviousNumber {
			return nil, nil
		}
		return consentDecider.Decide(s, c)
	}
	out, err := Execute(ctx, h.store, d, consent.StreamID(change.CompanyID, customer),
		consent.Command(consent.ChangeNumber{
			CompanyID: change.CompanyID, CustomerPhone: customer, MessagingNumber: change.MessagingNumber,
			At: consentTime(change.At),
		}),
		eventstore.Metadata{CausationID: cmd.CausedBy.String(), Actor: consent.ActorSystem})
	return out.Position, err
}
