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
// an outbound message, sent from number From, with ErrorCode (21610: the
// customer opted out of the number at the carrier / Twilio level).
type RecordCarrierOptOut struct {
	MessageRef
	From      phone.Number
	ErrorCode int
}

// RecordCarrierOptOutHandler records carrier-level opt-outs.
type RecordCarrierOptOutHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewRecordCarrierOptOutHandler returns a handler that records in store.
func NewRecordCarrierOptOutHandler(store eventstore.Store, now func() time.Time) *RecordCarrierOptOutHandler {
	return &RecordCarrierOptOutHandler{store: store, now: now}
}

// Handle records consent.RecordCarrierOptOut, actor twilio, chained like
// every consent event. Its event IDs come from the message ID, so a retry
// records it once. The events it decides call for no automated text:
// nothing is queued.
//
// A refusal of a text from a former number of the company records nothing:
// the consent on that number is void already, and an opt-out does not follow
// the number. Nor does one for a company that does not exist.
func (h *RecordCarrierOptOutHandler) Handle(ctx context.Context, cmd RecordCarrierOptOut) (eventstore.Position, error) {
	ref, from := cmd.MessageRef, cmd.From
	co, err := LoadCompany(ctx, h.store, ref.CompanyID)
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
	out, err := Execute(ctx, h.store, d, consent.StreamID(ref.CompanyID, ref.Customer),
		consent.Command(consent.RecordCarrierOptOut{
			CompanyID: ref.CompanyID, CustomerPhone: ref.Customer, MessagingNumber: from,
			MessageID: ref.MessageID, ErrorCode: cmd.ErrorCode, At: consentTime(h.now()),
		}),
		eventstore.Metadata{CorrelationID: ref.MessageID.String(), Actor: consent.ActorTwilio})
	if err != nil {
		return 0, fmt.Errorf("record the carrier opt-out of %s: %w", ref.MessageID, err)
	}
	return out.Position, nil
}
