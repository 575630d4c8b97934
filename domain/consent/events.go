package consent

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// Event types, as stored in eventstore.EventData.Type.
const (
	TypeConsentRequested = "ConsentRequested"
	TypeConsentConfirmed = "ConsentConfirmed"
	TypeOptedOut         = "OptedOut"
	TypeOptedIn          = "OptedIn"
	TypeHelpRequested    = "HelpRequested"
	TypeConsentVoided    = "ConsentVoided"
)

// EventTypes lists every event type of this package, for subscription filters.
func EventTypes() []string {
	return []string{TypeConsentRequested, TypeConsentConfirmed, TypeOptedOut, TypeOptedIn, TypeHelpRequested, TypeConsentVoided}
}

// Event is one entry of a customer's consent history. Its JSON document
// (encoding/json, snake_case fields) is what the store keeps: the fields of
// Change, and "evidence".
type Event interface {
	// EventType is the stored type name, such as "OptedOut".
	EventType() string
	// OccurredAt is when it happened (eventstore.EventData.OccurredAt).
	OccurredAt() time.Time
	// Base is what every consent event records.
	Base() Change
	// Evidence is the event's evidence: an InboundEvidence, a FormEvidence,
	// a NumberChange or (for a carrier-level OptedOut) a CarrierEvidence.
	Evidence() any
}

// Change is what every consent event records: whose consent, on which
// number, from which status to which, who or what caused it, and which
// automated text it calls for.
type Change struct {
	CompanyID     string       `json:"company_id"`
	CustomerPhone phone.Number `json:"customer_phone"`
	// MessagingNumber is the company's messaging number in use, the number
	// the consent belongs to (for ConsentVoided, the new number).
	MessagingNumber phone.Number `json:"messaging_number"`
	StatusBefore    Status       `json:"status_before"`
	StatusAfter     Status       `json:"status_after"`
	// Actor is who or what caused the change: "customer:<phone>" for a text,
	// the form's actor ("user:<id>", "app:<name>"), "system", or "twilio"
	// for a carrier-level opt-out.
	Actor string `json:"actor"`
	// AutomatedText is the text to send to the customer because of this
	// event, from MessagingNumber; AutomatedTextBody holds its words ("" for
	// TextNone).
	AutomatedText     AutomatedText `json:"automated_text"`
	AutomatedTextBody string        `json:"automated_text_body,omitempty"`
	At                time.Time     `json:"occurred_at"`
}

// Base returns c; every event has it through embedding.
func (c Change) Base() Change { return c }

// OccurredAt returns c.At.
func (c Change) OccurredAt() time.Time { return c.At }

// Changed reports whether the status changed.
func (c Change) Changed() bool { return c.StatusBefore != c.StatusAfter }

// InboundEvidence is the customer's text that caused a change.
type InboundEvidence struct {
	MessageSID string `json:"message_sid"`
	Text       string `json:"text"`
	// To is the company number the customer texted: the number in use or a
	// former number of the company.
	To phone.Number `json:"to"`
	// Keyword is how the text was read.
	Keyword Keyword `json:"keyword"`
	// OptOutType is Twilio's OptOutType parameter when present: Twilio's
	// Advanced Opt-Out recognised the keyword and answered it itself.
	OptOutType string `json:"opt_out_type,omitempty"`
}

// FormEvidence is the app form submission that asked for consent.
type FormEvidence struct {
	App         string    `json:"app"`
	SubmittedAt time.Time `json:"submitted_at"`
	IP          string    `json:"ip,omitempty"`
	UserAgent   string    `json:"user_agent,omitempty"`
	// ConsentText is the disclosure the customer saw, PageURL the form's
	// page (a carrier's "proof of opt-in"), when the app gave them.
	ConsentText string `json:"consent_text,omitempty"`
	PageURL     string `json:"page_url,omitempty"`
}

// CarrierEvidence is the evidence of a carrier-level opt-out (row 7): Twilio
// refused the outbound message MessageID with ErrorCode (21610, "the
// recipient has opted out"), because the customer opted out of the number at
// the carrier / Twilio. CarrierOptOut is always true: it tells this evidence
// from a customer's text in the stored document.
type CarrierEvidence struct {
	CarrierOptOut bool      `json:"carrier_opt_out"`
	ErrorCode     int       `json:"error_code"`
	MessageID     uuid.UUID `json:"message_id"`
}

// NumberChange is the evidence of ConsentVoided: the company's messaging
// number changed from PreviousNumber to Change.MessagingNumber.
type NumberChange struct {
	PreviousNumber phone.Number `json:"previous_number"`
}

// ConsentRequested: an app form was submitted with the opt-in box ticked
// (row 1); the customer must confirm with YES.
type ConsentRequested struct {
	Change
	Form FormEvidence `json:"evidence"`
}

// ConsentConfirmed: the customer replied YES to the confirmation request
// (row 2).
type ConsentConfirmed struct {
	Change
	Inbound InboundEvidence `json:"evidence"`
}

// OptedOut: the customer sent an opt-out keyword (row 3), or Twilio refused a
// text because the customer opted out at the carrier (row 7). It is recorded
// even when the status was already no (it changes nothing then, and calls
// for no confirmation), because it is the customer's word, and it makes a
// later opt-in keyword count (row 4).
//
// Its "evidence" is Inbound, or Carrier when that is set (a carrier-level
// opt-out); see MarshalJSON.
type OptedOut struct {
	Change
	Inbound InboundEvidence
	// Carrier is the evidence of a carrier-level opt-out, nil for a
	// customer's text.
	Carrier *CarrierEvidence
}

// MarshalJSON writes the fields of Change and "evidence": Carrier when set,
// else Inbound.
func (e OptedOut) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Change
		Evidence any `json:"evidence"`
	}{e.Change, e.Evidence()})
}

// UnmarshalJSON reads what MarshalJSON writes: the evidence is a
// CarrierEvidence when it says carrier_opt_out, else an InboundEvidence.
func (e *OptedOut) UnmarshalJSON(data []byte) error {
	var doc struct {
		Change
		Evidence json.RawMessage `json:"evidence"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	out := OptedOut{Change: doc.Change}
	if len(doc.Evidence) > 0 && string(doc.Evidence) != "null" {
		var kind struct {
			CarrierOptOut bool `json:"carrier_opt_out"`
		}
		if err := json.Unmarshal(doc.Evidence, &kind); err != nil {
			return err
		}
		var err error
		if kind.CarrierOptOut {
			out.Carrier = new(CarrierEvidence)
			err = json.Unmarshal(doc.Evidence, out.Carrier)
		} else {
			err = json.Unmarshal(doc.Evidence, &out.Inbound)
		}
		if err != nil {
			return err
		}
	}
	*e = out
	return nil
}

// OptedIn: the customer sent an opt-in keyword after an opt-out (row 4).
type OptedIn struct {
	Change
	Inbound InboundEvidence `json:"evidence"`
}

// HelpRequested: the customer sent HELP or INFO (row 5); the status does not
// change.
type HelpRequested struct {
	Change
	Inbound InboundEvidence `json:"evidence"`
}

// ConsentVoided: the company's messaging number changed (row 6); the consent
// given on the previous number is void and the status on the new one is no.
type ConsentVoided struct {
	Change
	NumberChange NumberChange `json:"evidence"`
}

func (ConsentRequested) EventType() string { return TypeConsentRequested }
func (ConsentConfirmed) EventType() string { return TypeConsentConfirmed }
func (OptedOut) EventType() string         { return TypeOptedOut }
func (OptedIn) EventType() string          { return TypeOptedIn }
func (HelpRequested) EventType() string    { return TypeHelpRequested }
func (ConsentVoided) EventType() string    { return TypeConsentVoided }

func (e ConsentRequested) Evidence() any { return e.Form }
func (e ConsentConfirmed) Evidence() any { return e.Inbound }
func (e OptedIn) Evidence() any          { return e.Inbound }
func (e HelpRequested) Evidence() any    { return e.Inbound }
func (e ConsentVoided) Evidence() any    { return e.NumberChange }

// Evidence is Carrier (a CarrierEvidence) when set, else Inbound.
func (e OptedOut) Evidence() any {
	if e.Carrier != nil {
		return *e.Carrier
	}
	return e.Inbound
}

// Decode reads a stored event back: eventType is eventstore.EventData.Type and
// data its JSON document. An unknown type is an error matching ErrUnknownEvent;
// unknown fields are ignored, so older code reads newer documents.
func Decode(eventType string, data []byte) (Event, error) {
	switch eventType {
	case TypeConsentRequested:
		return decode[ConsentRequested](eventType, data)
	case TypeConsentConfirmed:
		return decode[ConsentConfirmed](eventType, data)
	case TypeOptedOut:
		return decode[OptedOut](eventType, data)
	case TypeOptedIn:
		return decode[OptedIn](eventType, data)
	case TypeHelpRequested:
		return decode[HelpRequested](eventType, data)
	case TypeConsentVoided:
		return decode[ConsentVoided](eventType, data)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, eventType)
	}
}

func decode[E Event](eventType string, data []byte) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
