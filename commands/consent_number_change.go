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

// VoidConsentOnNumberChange records on the customer's consent stream that the
// company's messaging number changed (consent.ChangeNumber at the change's
// time, actor system, caused by the MessagingNumberChanged event cause), when
// the consent still belongs to the previous number. It is idempotent: its
// event ID comes from cause and the customer, and a consent already on
// another number (voided by a later command, or by a later change) is left
// as it is. The number-change reactor calls it for every customer.
func VoidConsentOnNumberChange(ctx context.Context, store eventstore.Store, change company.MessagingNumberChanged, cause eventstore.RecordedEvent, customer phone.Number) (eventstore.Position, error) {
	d := consentDecider
	d.EventID = func(e consent.Event) uuid.UUID {
		return uuid.NewSHA1(numberChangeNamespace, []byte(cause.ID.String()+"/"+string(customer)+"/"+e.EventType()))
	}
	d.Decide = func(s consentChain, c consent.Command) ([]consent.Event, error) {
		if s.MessagingNumber != change.PreviousNumber {
			return nil, nil
		}
		return consentDecider.Decide(s, c)
	}
	out, err := Execute(ctx, store, d, consent.StreamID(change.CompanyID, customer),
		consent.Command(consent.ChangeNumber{
			CompanyID: change.CompanyID, CustomerPhone: customer, MessagingNumber: change.MessagingNumber,
			At: consentTime(change.At),
		}),
		eventstore.Metadata{CausationID: cause.ID.String(), Actor: consent.ActorSystem})
	return out.Position, err
}
