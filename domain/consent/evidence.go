package consent

import (
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// Method is how a consent change came about, as a carrier's audit asks
// ("proof of opt-in: method, date, time, IP, disclosure").
type Method string

const (
	// MethodForm: an app form with the opt-in box ticked (row 1).
	MethodForm Method = "form"
	// MethodKeyword: the customer's keyword text, read by smsinbox (rows 2
	// to 4).
	MethodKeyword Method = "keyword"
	// MethodTwilioOptOut: the customer's keyword text that Twilio's Advanced
	// Opt-Out recognised and answered (the webhook carried OptOutType).
	MethodTwilioOptOut Method = "twilio_opt_out"
	// MethodCarrier: Twilio refused a text with 21610, the customer having
	// opted out at the carrier (row 7).
	MethodCarrier Method = "carrier"
	// MethodNumberChange: the company's messaging number changed (row 6).
	MethodNumberChange Method = "number_change"
)

// Proof is one consent change as evidence for a carrier's audit: who, when,
// from which status to which, how, on which number, and what proves it.
// Fields that do not apply to its method are empty.
type Proof struct {
	Phone           phone.Number
	OccurredAt      time.Time
	StatusBefore    Status
	StatusAfter     Status
	Method          Method
	MessagingNumber phone.Number
	// App, IP, UserAgent, ConsentText (the disclosure shown) and PageURL
	// are the form's.
	App, IP, UserAgent, ConsentText, PageURL string
	// MessageSID is Twilio's SID of the customer's keyword text, and
	// ConsentText holds that text's words for the keyword methods.
	MessageSID string
	Actor      string
}

// ProofOf is event e as evidence. A HelpRequested is no consent change
// (ok false): it answers a question and leaves the status as it was.
//
// Readings: every other event is a change even when the status stays (a
// STOP while no is the customer's word, and makes a later START count); for
// a keyword the customer's text is the consent text, since their words are
// what consented or withdrew.
func ProofOf(e Event) (p Proof, ok bool) {
	c := e.Base()
	p = Proof{
		Phone: c.CustomerPhone, OccurredAt: c.At, StatusBefore: c.StatusBefore, StatusAfter: c.StatusAfter,
		MessagingNumber: c.MessagingNumber, Actor: c.Actor,
	}
	if _, help := e.(HelpRequested); help {
		return Proof{}, false
	}
	switch ev := e.Evidence().(type) {
	case FormEvidence:
		p.Method, p.App, p.IP, p.UserAgent, p.ConsentText, p.PageURL = MethodForm, ev.App, ev.IP, ev.UserAgent, ev.ConsentText, ev.PageURL
	case InboundEvidence:
		p.Method, p.MessageSID, p.ConsentText = MethodKeyword, ev.MessageSID, ev.Text
		if ev.OptOutType != "" {
			p.Method = MethodTwilioOptOut
		}
	case CarrierEvidence:
		p.Method = MethodCarrier
	case NumberChange:
		p.Method = MethodNumberChange
	default:
		return Proof{}, false
	}
	return p, true
}
