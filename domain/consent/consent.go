// Package consent is the pure domain of SMS consent (docs/rules.md, "Consent"):
// double opt-in per (company, messaging number in use, customer phone), the
// customer's keywords (STOP, START, HELP, ...), and the automated texts each
// change calls for.
//
// It follows the Decider style: State is the consent as its events describe
// it, Evolve folds one event into a State, Decide turns a Command into the
// events it causes. Nothing here does I/O, reads the clock or makes random
// IDs: times, IDs and the company's current messaging number arrive with the
// commands. The consent table of docs/rules.md lives, row for row, in decide.go.
//
// One stream per (company, customer): StreamID. The stream outlives a change
// of the company's number, so the audit replays every number the company has
// had, but the status belongs to one number (State.MessagingNumber); see
// Decide for how a number change voids it.
//
// Events are the audit: each carries the status before and after, the
// messaging number in use, the evidence (the inbound message, the form
// submission, or Twilio's refusal of a text), the actor, and the automated
// text to send (with its words).
// Whoever sends automated texts reacts to AutomatedText in the events; a
// rebuild of read models must not send them again.
package consent

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// StreamPrefix starts the name of every consent stream; use it in an
// eventstore.Filter to read or follow every consent.
const StreamPrefix = "consent-"

// SchemaVersion is the version of the event documents this package writes
// (eventstore.EventData.SchemaVersion).
const SchemaVersion = 1

// ActorSystem is the actor of a number change; ActorTwilio that of a
// carrier-level opt-out (row 7).
const (
	ActorSystem = "system"
	ActorTwilio = "twilio"
)

// Errors of this package, matched with errors.Is; the HTTP layer maps them in
// one place (ErrConsentRequired → 409 consent_required, ErrInvalidCommand →
// 400).
var (
	// ErrConsentRequired: staff may not text the customer, because consent on
	// the messaging number in use is not yes.
	ErrConsentRequired = errors.New("consent required")
	// ErrInvalidCommand: a command lacks a field it needs, or names another
	// customer than the state it is decided on.
	ErrInvalidCommand = errors.New("invalid consent command")
	// ErrUnknownEvent: Decode was given an event type this package does not
	// define.
	ErrUnknownEvent = errors.New("unknown consent event type")
)

var (
	inboundEventNamespace       = uuid.MustParse("2d827286-536a-40f3-ae59-fff279a343f7")
	carrierOptOutEventNamespace = uuid.MustParse("88e0965c-e50f-404d-86f0-180b6d6099ae")
)

// StreamID names the consent stream of a customer of a company:
// "consent-<company>-<phone>". It holds the consent on every messaging number
// the company has had.
func StreamID(companyID string, customer phone.Number) eventstore.StreamID {
	return eventstore.StreamID(StreamPrefix + companyID + "-" + string(customer))
}

// InboundEventID is the event ID of a consent event of type eventType that
// the inbound message with Twilio's MessageSid sid caused (a UUID v5, distinct
// from conversation.InboundEventID). A retried append of the events of the
// same webhook thus records nothing new.
func InboundEventID(messageSID, eventType string) uuid.UUID {
	return uuid.NewSHA1(inboundEventNamespace, []byte(messageSID+"/"+eventType))
}

// CarrierOptOutEventID is the event ID of a consent event of type eventType
// that Twilio's refusal of the outbound message messageID (error 21610, a
// carrier-level opt-out) caused (a UUID v5). The sender's retry thus records
// nothing new.
func CarrierOptOutEventID(messageID uuid.UUID, eventType string) uuid.UUID {
	return uuid.NewSHA1(carrierOptOutEventNamespace, []byte(messageID.String()+"/"+eventType))
}

// CanSend reports whether staff may text the customer from number: only when
// consent is yes and it was given on that number (the company's current
// messaging number). Automated texts (the table's) do not ask CanSend.
func CanSend(s State, number phone.Number) bool {
	return s.Status == StatusYes && number != "" && s.MessagingNumber == number
}

// RequireConsent is CanSend as an error: nil when staff may text the
// customer from number, else an error matching ErrConsentRequired.
func RequireConsent(s State, number phone.Number) error {
	if CanSend(s, number) {
		return nil
	}
	if s.MessagingNumber != number {
		return fmt.Errorf("%w: the customer has not consented to texts from %s", ErrConsentRequired, number)
	}
	return fmt.Errorf("%w: consent is %s", ErrConsentRequired, s.Status)
}
