package consent

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// The consent table of docs/rules.md ("Consent"), row for row, and row 7,
// smsinbox's own (ARCHITECTURE.md, "Outbound texts"); each row is a commented
// case below (rows 2 to 5 in decideInbound, in this order).
//
//	| # | now                 | what happens                                  | next      | automated text                           |
//	|---|---------------------|-----------------------------------------------|-----------|------------------------------------------|
//	| 1 | no                  | app form submitted with the opt-in box ticked | pending   | confirmation request: reply YES          |
//	| 2 | pending             | customer replies YES                          | yes       | none                                     |
//	| 3 | any                 | customer sends an opt-out keyword             | no        | opt-out confirmation, only on the change |
//	| 4 | no after an opt-out | customer sends an opt-in keyword (START, ...) | yes       | re-subscribed confirmation               |
//	| 5 | any                 | customer sends HELP / INFO                    | unchanged | help reply                               |
//	| 6 | any                 | company's messaging number changes            | no        | none                                     |
//	| 7 | any                 | Twilio refuses a text: 21610, carrier opt-out | no        | none                                     |
//
// Readings of the table, decided here:
//   - Everything else decides nothing: YES while no and never requested,
//     START (or YES) without a prior opt-out, an opt-in keyword while yes, a
//     form while pending or yes, and every ordinary message.
//   - Row 2: YES's synonyms START and UNSTOP confirm too (Twilio itself
//     reports a YES as OptOutType START).
//   - Row 3: an opt-out while no is recorded (no to no, no text): it is the
//     customer's word for the audit, and it makes "no after an opt-out", so
//     row 4 applies to a later START.
//   - Rows 3 to 5: when Twilio's Advanced Opt-Out already answered the
//     keyword (the webhook carried OptOutType), the change is recorded and no
//     automated text is sent: Twilio sent its own.
//   - Row 1 applies to every no, also after an opt-out: the form is a new
//     request, and only the customer's YES gives consent.
//   - Row 6: see Decide.
//   - Row 7: Twilio answered a send with error 21610: the customer opted out
//     of the number at the carrier / Twilio level (they replied STOP to
//     Twilio). It is recorded as an OptedOut with the refusal as evidence,
//     actor twilio, and no automated text (the customer must not be texted;
//     Twilio would refuse it anyway). It sets the opt-out like row 3, so a
//     later START restores consent (row 4). While no after an opt-out it
//     decides nothing; while no otherwise it is recorded (no to no), as row 3
//     records a STOP. A refusal already recorded decides nothing.

// Command is what can be asked of a customer's consent: RequestConsent,
// ReceiveInbound, ChangeNumber or RecordCarrierOptOut.
//
// Every command carries MessagingNumber, the company's current messaging
// number, because consent belongs to the number in use (row 6).
type Command interface {
	// target is whose consent the command is about, on which number, and when.
	target() (companyID string, customer, messagingNumber phone.Number, at time.Time)
}

// RequestConsent is an app form submission with the opt-in box ticked. A
// submission without it is no consent command.
type RequestConsent struct {
	CompanyID       string
	CustomerPhone   phone.Number
	MessagingNumber phone.Number
	// CompanyName and Texts word the automated text (Texts.Render); zero
	// Texts are smsinbox's own wording.
	CompanyName string
	Texts       Texts
	// App is the app whose form was submitted; IP and UserAgent are the
	// submitter's, when the app gave them.
	App       string
	IP        string
	UserAgent string
	// ConsentText is the disclosure the customer saw beside the opt-in box,
	// and PageURL the page of the form, when the app gave them.
	ConsentText string
	PageURL     string
	// Actor is who submitted it ("user:<id>", "app:<key>"); "app:<App>" when
	// empty.
	Actor string
	At    time.Time
}

// ReceiveInbound is a customer's text from a Twilio webhook. Every inbound
// message goes through it: an ordinary one decides nothing.
type ReceiveInbound struct {
	CompanyID       string
	CustomerPhone   phone.Number // Twilio's From
	MessagingNumber phone.Number // the company's current number
	// To is the number the customer texted (Twilio's To). It may be a former
	// number of the company: a STOP sent there still opts the customer out of
	// the number in use, so that no STOP is ever lost.
	To phone.Number
	// CompanyName and Texts word the automated texts (Texts.Render); zero
	// Texts are smsinbox's own wording.
	CompanyName string
	Texts       Texts
	MessageSID  string
	Body        string
	// OptOutType is Twilio's OptOutType parameter ("STOP", "START", "HELP"),
	// empty when absent. When present it decides the keyword (it may be a
	// custom keyword that Classify does not know) and means Twilio has
	// answered it already.
	OptOutType string
	At         time.Time
}

// ChangeNumber tells a customer's consent that the company's messaging number
// is now MessagingNumber. It decides only row 6, which every other command
// decides too when its MessagingNumber differs from the stream's: a reactor
// can send ChangeNumber to each consent when the number changes, so that the
// audit shows the change at its time; if one is missed or late, the next
// command of that customer voids the old consent all the same.
type ChangeNumber struct {
	CompanyID       string
	CustomerPhone   phone.Number
	MessagingNumber phone.Number
	At              time.Time
}

// RecordCarrierOptOut is Twilio's refusal of an outbound text with error
// 21610 ("the recipient has opted out"): the customer has opted out of texts
// from MessagingNumber at the carrier / Twilio level (row 7). MessageID is
// the refused outbound message; ErrorCode is Twilio's (21610).
//
// MessagingNumber is, as for every command, the company's current number;
// an opt-out of a former number concerns a consent that is void already, and
// callers do not send it.
type RecordCarrierOptOut struct {
	CompanyID       string
	CustomerPhone   phone.Number
	MessagingNumber phone.Number
	MessageID       uuid.UUID
	ErrorCode       int
	At              time.Time
}

// Decide returns the events that command c causes on consent s, in order;
// none when it changes nothing.
//
// A change of number (row 6) is not a separate step that callers must
// remember: every command carries the company's current messaging number,
// and when it differs from State.MessagingNumber (the number the status
// belongs to) Decide first records ConsentVoided (status before → no, actor
// system) and then decides the command on the new number, from no, with no
// opt-out on it. Consent thus never follows a number, whatever order commands
// arrive in, and CanSend(s, newNumber) is false before any event is recorded.
// A stream with no event has no number yet and takes the command's.
//
// An inbound message whose MessageSid already caused an event decides nothing
// (Twilio delivered the webhook again), nor does a carrier opt-out whose
// refused message already caused one (the sender recorded it again). A command that lacks what it needs
// fails with ErrInvalidCommand.
func Decide(s State, c Command) ([]Event, error) {
	c = cleaned(c)
	if err := validate(s, c); err != nil {
		return nil, err
	}
	if in, ok := c.(ReceiveInbound); ok && s.HasMessage(in.MessageSID) {
		return nil, nil
	}
	if co, ok := c.(RecordCarrierOptOut); ok && s.HasCarrierOptOut(co.MessageID) {
		return nil, nil
	}

	var events []Event
	company, customer, number, at := c.target()
	// Row 6 | any | company's messaging number changes | no | none
	if s.MessagingNumber != "" && s.MessagingNumber != number {
		void := ConsentVoided{
			Change:       change(company, customer, number, s.Status, StatusNo, ActorSystem, TextNone, "", at),
			NumberChange: NumberChange{PreviousNumber: s.MessagingNumber},
		}
		events = append(events, void)
		s = Evolve(s, void)
	}

	var e Event
	switch c := c.(type) {
	case RequestConsent:
		e = decideForm(s, c)
	case ReceiveInbound:
		e = decideInbound(s, c)
	case RecordCarrierOptOut:
		e = decideCarrierOptOut(s, c)
	}
	if e != nil {
		events = append(events, e)
	}
	return events, nil
}

// decideForm is row 1.
func decideForm(s State, c RequestConsent) Event {
	// Row 1 | no | app form submitted with the opt-in box ticked | pending | confirmation request
	// While pending or yes, a form asks nothing new.
	if s.Status != StatusNo {
		return nil
	}
	actor := c.Actor
	if actor == "" {
		actor = "app:" + c.App
	}
	return ConsentRequested{
		Change: change(c.CompanyID, c.CustomerPhone, c.MessagingNumber, s.Status, StatusPending,
			actor, TextConfirmationRequest, c.Texts.Render(TextConfirmationRequest, c.CompanyName, c.MessagingNumber), c.At),
		Form: FormEvidence{
			App: c.App, SubmittedAt: c.At, IP: c.IP, UserAgent: c.UserAgent,
			ConsentText: c.ConsentText, PageURL: c.PageURL,
		},
	}
}

// decideInbound is rows 2 to 5.
func decideInbound(s State, c ReceiveInbound) Event {
	keyword := InboundKeyword(c.Body, c.OptOutType)
	answered := keywordOfOptOutType(c.OptOutType)
	// text is the automated text t, or none when Twilio answered already.
	text := func(t AutomatedText) AutomatedText {
		if answered != None {
			return TextNone
		}
		return t
	}
	evidence := InboundEvidence{MessageSID: c.MessageSID, Text: c.Body, To: c.To, Keyword: keyword, OptOutType: c.OptOutType}
	base := func(after Status, t AutomatedText) Change {
		return change(c.CompanyID, c.CustomerPhone, c.MessagingNumber, s.Status, after,
			"customer:"+string(c.CustomerPhone), t, c.Texts.Render(t, c.CompanyName, c.MessagingNumber), c.At)
	}

	switch {
	// Row 2 | pending | customer replies YES | yes | none
	case keyword == OptIn && s.Status == StatusPending:
		return ConsentConfirmed{Change: base(StatusYes, TextNone), Inbound: evidence}

	// Row 3 | any | opt-out keyword | no | one opt-out confirmation, only on the change
	case keyword == OptOut:
		t := TextNone
		if s.Status != StatusNo {
			t = text(TextOptOutConfirmation)
		}
		return OptedOut{Change: base(StatusNo, t), Inbound: evidence}

	// Row 4 | no after an opt-out | opt-in keyword (START, UNSTOP, YES) | yes | re-subscribed confirmation
	case keyword == OptIn && s.Status == StatusNo && s.OptedOut:
		return OptedIn{Change: base(StatusYes, text(TextResubscribed)), Inbound: evidence}

	// Row 5 | any | HELP / INFO | unchanged | help reply
	case keyword == Help:
		return HelpRequested{Change: base(s.Status, text(TextHelpReply)), Inbound: evidence}

	// Not a row: YES while no and never requested (a single step is not
	// consent), START without a prior opt-out, an opt-in keyword while yes,
	// and every ordinary message.
	default:
		return nil
	}
}

// decideCarrierOptOut is row 7.
func decideCarrierOptOut(s State, c RecordCarrierOptOut) Event {
	// Row 7 | any | Twilio refuses a text: 21610, carrier opt-out | no | none
	// No after an opt-out: the customer's opt-out stands already.
	if s.Status == StatusNo && s.OptedOut {
		return nil
	}
	return OptedOut{
		Change: change(c.CompanyID, c.CustomerPhone, c.MessagingNumber, s.Status, StatusNo,
			ActorTwilio, TextNone, "", c.At),
		Carrier: &CarrierEvidence{CarrierOptOut: true, ErrorCode: c.ErrorCode, MessageID: c.MessageID},
	}
}

// target is whose consent a command is about, on which number, and when.
func (c RequestConsent) target() (string, phone.Number, phone.Number, time.Time) {
	return c.CompanyID, c.CustomerPhone, c.MessagingNumber, c.At
}

func (c ReceiveInbound) target() (string, phone.Number, phone.Number, time.Time) {
	return c.CompanyID, c.CustomerPhone, c.MessagingNumber, c.At
}

func (c ChangeNumber) target() (string, phone.Number, phone.Number, time.Time) {
	return c.CompanyID, c.CustomerPhone, c.MessagingNumber, c.At
}

func (c RecordCarrierOptOut) target() (string, phone.Number, phone.Number, time.Time) {
	return c.CompanyID, c.CustomerPhone, c.MessagingNumber, c.At
}

// cleaned is c with its outside text made safe to record (see clean).
func cleaned(c Command) Command {
	switch c := c.(type) {
	case ReceiveInbound:
		c.CompanyName, c.MessageSID, c.Body, c.OptOutType = clean(c.CompanyName), clean(c.MessageSID), clean(c.Body), clean(c.OptOutType)
		return c
	case RequestConsent:
		c.CompanyName, c.App, c.IP, c.UserAgent, c.Actor = clean(c.CompanyName), clean(c.App), clean(c.IP), clean(c.UserAgent), clean(c.Actor)
		c.ConsentText, c.PageURL = clean(c.ConsentText), clean(c.PageURL)
		return c
	}
	return c
}

// validate checks that c has what it needs and is about s's customer.
func validate(s State, c Command) error {
	switch c := c.(type) {
	case RequestConsent:
		if c.App == "" {
			return invalid("app")
		}
	case ReceiveInbound:
		switch {
		case c.MessageSID == "":
			return invalid("message SID")
		case c.To == "":
			return invalid("to")
		}
	case ChangeNumber:
	case RecordCarrierOptOut:
		switch {
		case c.MessageID == uuid.Nil:
			return invalid("message ID")
		case c.ErrorCode == 0:
			return invalid("error code")
		}
	default:
		return fmt.Errorf("%w: unknown command %T", ErrInvalidCommand, c)
	}
	company, customer, number, at := c.target()
	switch {
	case company == "":
		return invalid("company ID")
	case customer == "":
		return invalid("customer phone")
	case number == "":
		return invalid("messaging number")
	case at.IsZero():
		return invalid("time")
	case s.CompanyID != "" && (s.CompanyID != company || s.CustomerPhone != customer):
		return fmt.Errorf("%w: command for %s/%s decided on consent of %s/%s",
			ErrInvalidCommand, company, customer, s.CompanyID, s.CustomerPhone)
	}
	return nil
}

// change is what an event records; body is the automated text's words ("" for
// TextNone).
func change(company string, customer, number phone.Number, before, after Status, actor string, t AutomatedText, body string, at time.Time) Change {
	return Change{
		CompanyID:         company,
		CustomerPhone:     customer,
		MessagingNumber:   number,
		StatusBefore:      before,
		StatusAfter:       after,
		Actor:             actor,
		AutomatedText:     t,
		AutomatedTextBody: body,
		At:                at,
	}
}

func invalid(field string) error {
	return fmt.Errorf("%w: %s is required", ErrInvalidCommand, field)
}
