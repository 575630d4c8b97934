package consent

import (
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/idset"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// State is a customer's consent as its events describe it. The zero State is
// the start: status no, on no number yet. A State is a value: Evolve never
// changes the State it is given.
//
// New facts are added as fields here and cases in Evolve; existing fields
// keep their meaning.
type State struct {
	CompanyID     string
	CustomerPhone phone.Number
	// MessagingNumber is the number Status belongs to: the company's number
	// when the last event was recorded; "" before any event.
	MessagingNumber phone.Number
	Status          Status
	// OptedOut: the status is no because the customer opted out on
	// MessagingNumber, so an opt-in keyword restores consent (row 4).
	OptedOut bool
	// UpdatedAt is when Status or MessagingNumber last changed.
	UpdatedAt time.Time

	sids idset.Set
	// refused holds the message IDs of the carrier opt-outs recorded.
	refused idset.Set
}

// HasMessage reports whether the inbound message with Twilio's MessageSid sid
// already caused an event in this stream.
func (s State) HasMessage(sid string) bool { return s.sids.Has(sid) }

// HasCarrierOptOut reports whether Twilio's refusal of the outbound message
// messageID (a carrier-level opt-out, row 7) already caused an event in this
// stream.
func (s State) HasCarrierOptOut(messageID uuid.UUID) bool { return s.refused.Has(messageID.String()) }

// Evolve returns the state after event e. An event of a type it does not know
// leaves the state as it was.
func Evolve(s State, e Event) State {
	var optedOut bool
	switch e.(type) {
	case ConsentRequested, ConsentConfirmed, OptedIn, ConsentVoided:
		optedOut = false
	case OptedOut:
		optedOut = true
	case HelpRequested:
		optedOut = s.OptedOut
	default:
		return s
	}
	switch ev := e.Evidence().(type) {
	case InboundEvidence:
		s.sids = s.sids.With(ev.MessageSID)
	case CarrierEvidence:
		s.refused = s.refused.With(ev.MessageID.String())
	}
	c := e.Base()
	if c.StatusAfter != s.Status || c.MessagingNumber != s.MessagingNumber {
		s.UpdatedAt = c.At
	}
	s.CompanyID = c.CompanyID
	s.CustomerPhone = c.CustomerPhone
	s.MessagingNumber = c.MessagingNumber
	s.Status = c.StatusAfter
	s.OptedOut = optedOut
	return s
}

// StatusAt is the consent at instant at, replayed from a stream's events in
// stream order (the audit's "status at any past instant"): the status after
// the last event that occurred at or before at, and the messaging number it
// belonged to ("" and no when none had occurred).
func StatusAt(events []Event, at time.Time) (Status, phone.Number) {
	var s State
	for _, e := range events {
		if e.OccurredAt().After(at) {
			break
		}
		s = Evolve(s, e)
	}
	return s.Status, s.MessagingNumber
}
