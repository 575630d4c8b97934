package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// RecordCarrierOptOut records on the customer's consent that Twilio refused
// the outbound message ref, sent from number from, with errorCode (21610:
// the customer opted out of the number at the carrier / Twilio level):
// consent.RecordCarrierOptOut, actor twilio, chained like every consent
// event. Its event IDs come from the message ID, so a retry records it once.
// The events it decides call for no automated text: nothing is queued.
//
// A refusal of a text from a former number of the company records nothing:
// the consent on that number is void already, and an opt-out does not follow
// the number. Nor does one for a company that does not exist.
func RecordCarrierOptOut(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, from phone.Number, errorCode int) (eventstore.Position, error) {
	co, err := LoadCompany(ctx, store, ref.CompanyID)
	if errors.Is(err, company.ErrCompanyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if co.MessagingNumber != from {
		return 0, nil
	}
	d := consentDecider
	d.EventID = func(e consent.Event) uuid.UUID { return consent.CarrierOptOutEventID(ref.MessageID, e.EventType()) }
	out, err := Execute(ctx, store, d, consent.StreamID(ref.CompanyID, ref.Customer),
		consent.Command(consent.RecordCarrierOptOut{
			CompanyID: ref.CompanyID, CustomerPhone: ref.Customer, MessagingNumber: from,
			MessageID: ref.MessageID, ErrorCode: errorCode, At: consentTime(now()),
		}),
		eventstore.Metadata{CorrelationID: ref.MessageID.String(), Actor: consent.ActorTwilio})
	if err != nil {
		return 0, fmt.Errorf("record the carrier opt-out of %s: %w", ref.MessageID, err)
	}
	return out.Position, nil
}
