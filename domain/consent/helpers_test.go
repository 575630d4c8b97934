package consent_test

import (
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/phone"
)

const (
	company     = "company-1"
	companyName = "Acme"
	no          = consent.StatusNo
	pending     = consent.StatusPending
	yes         = consent.StatusYes
)

var (
	customer = phone.MustParse("+1 202 555 0123", "")
	numA     = phone.MustParse("+1 202 555 0199", "") // the company's first number
	numB     = phone.MustParse("+1 202 555 0188", "") // its number after a change
	t0       = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// Commands.

func form(min int) consent.RequestConsent {
	return consent.RequestConsent{
		CompanyID: company, CustomerPhone: customer, MessagingNumber: numA, CompanyName: companyName,
		App: "text_us_now", IP: "203.0.113.9", UserAgent: "Mozilla/5.0", Actor: "user:u1", At: at(min),
	}
}

func text(sid, body string, min int) consent.ReceiveInbound {
	return consent.ReceiveInbound{
		CompanyID: company, CustomerPhone: customer, MessagingNumber: numA, To: numA, CompanyName: companyName,
		MessageSID: sid, Body: body, At: at(min),
	}
}

// twilioText is text with Twilio's OptOutType.
func twilioText(sid, body, optOutType string, min int) consent.ReceiveInbound {
	c := text(sid, body, min)
	c.OptOutType = optOutType
	return c
}

// onB is c sent after the company's number changed to numB.
func onB(c consent.Command) consent.Command {
	switch c := c.(type) {
	case consent.RequestConsent:
		c.MessagingNumber = numB
		return c
	case consent.ReceiveInbound:
		c.MessagingNumber, c.To = numB, numB
		return c
	case consent.ChangeNumber:
		c.MessagingNumber = numB
		return c
	case consent.RecordCarrierOptOut:
		c.MessagingNumber = numB
		return c
	}
	return c
}

// msgID is the ID of the outbound message named name.
func msgID(name string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceOID, []byte(name)) }

// refusal is Twilio's 21610 for the outbound message named msg, from numA.
func refusal(msg string, min int) consent.RecordCarrierOptOut {
	return consent.RecordCarrierOptOut{
		CompanyID: company, CustomerPhone: customer, MessagingNumber: numA, MessageID: msgID(msg), ErrorCode: 21610, At: at(min),
	}
}

func changeNumber(to phone.Number, min int) consent.ChangeNumber {
	return consent.ChangeNumber{CompanyID: company, CustomerPhone: customer, MessagingNumber: to, At: at(min)}
}

// Events.

func base(number phone.Number, before, after consent.Status, actor string, t consent.AutomatedText, min int) consent.Change {
	return consent.Change{
		CompanyID: company, CustomerPhone: customer, MessagingNumber: number,
		StatusBefore: before, StatusAfter: after, Actor: actor,
		AutomatedText: t, AutomatedTextBody: consent.Texts{}.Render(t, companyName, number), At: at(min),
	}
}

func requested(number phone.Number, before consent.Status, min int) consent.Event {
	return consent.ConsentRequested{
		Change: base(number, before, pending, "user:u1", consent.TextConfirmationRequest, min),
		Form:   consent.FormEvidence{App: "text_us_now", SubmittedAt: at(min), IP: "203.0.113.9", UserAgent: "Mozilla/5.0"},
	}
}

// inbound is the event of type typ that the text sid with body caused on
// numA (use inboundOn for another).
func inbound(typ, sid, body string, kw consent.Keyword, before, after consent.Status, t consent.AutomatedText, min int) consent.Event {
	return inboundOn(numA, numA, typ, sid, body, "", kw, before, after, t, min)
}

func inboundOn(number, to phone.Number, typ, sid, body, optOutType string, kw consent.Keyword, before, after consent.Status, t consent.AutomatedText, min int) consent.Event {
	c := base(number, before, after, "customer:"+string(customer), t, min)
	if t == consent.TextNone {
		c.AutomatedTextBody = ""
	}
	ev := consent.InboundEvidence{MessageSID: sid, Text: body, To: to, Keyword: kw, OptOutType: optOutType}
	switch typ {
	case consent.TypeConsentConfirmed:
		return consent.ConsentConfirmed{Change: c, Inbound: ev}
	case consent.TypeOptedOut:
		return consent.OptedOut{Change: c, Inbound: ev}
	case consent.TypeOptedIn:
		return consent.OptedIn{Change: c, Inbound: ev}
	case consent.TypeHelpRequested:
		return consent.HelpRequested{Change: c, Inbound: ev}
	}
	panic("not an inbound event type: " + typ)
}

// carrierOut is the OptedOut that Twilio's 21610 for the message named msg
// caused on number: no text, actor twilio.
func carrierOut(number phone.Number, msg string, before consent.Status, min int) consent.Event {
	c := base(number, before, no, consent.ActorTwilio, consent.TextNone, min)
	c.AutomatedTextBody = ""
	return consent.OptedOut{Change: c, Carrier: &consent.CarrierEvidence{CarrierOptOut: true, ErrorCode: 21610, MessageID: msgID(msg)}}
}

func voided(from, to phone.Number, before consent.Status, min int) consent.Event {
	c := base(to, before, no, consent.ActorSystem, consent.TextNone, min)
	c.AutomatedTextBody = ""
	return consent.ConsentVoided{Change: c, NumberChange: consent.NumberChange{PreviousNumber: from}}
}

func fold(events []consent.Event) consent.State {
	var s consent.State
	for _, e := range events {
		s = consent.Evolve(s, e)
	}
	return s
}

func join(lists ...[]consent.Event) []consent.Event {
	var all []consent.Event
	for _, l := range lists {
		all = append(all, l...)
	}
	return all
}

// Histories: the states the table starts from.
var (
	fresh         []consent.Event
	isPending     = []consent.Event{requested(numA, no, 0)}
	isYes         = join(isPending, []consent.Event{inbound(consent.TypeConsentConfirmed, "SMyes", "YES", consent.OptIn, pending, yes, consent.TextNone, 1)})
	optedOut      = join(isYes, []consent.Event{inbound(consent.TypeOptedOut, "SMstop", "STOP", consent.OptOut, yes, no, consent.TextOptOutConfirmation, 2)})
	optedOutNever = []consent.Event{inbound(consent.TypeOptedOut, "SMstop", "STOP", consent.OptOut, no, no, consent.TextNone, 0)}
	helpOnly      = []consent.Event{inbound(consent.TypeHelpRequested, "SMhelp", "HELP", consent.Help, no, no, consent.TextHelpReply, 0)}
	resubscribed  = join(optedOut, []consent.Event{inbound(consent.TypeOptedIn, "SMstart", "START", consent.OptIn, no, yes, consent.TextResubscribed, 3)})
	pendingAgain  = join(optedOut, []consent.Event{requested(numA, no, 3)})
	// isYes on numA, then the company's number changed to numB.
	voidedToB = join(isYes, []consent.Event{voided(numA, numB, yes, 2)})
	// isYes, then Twilio refused message M0 with 21610.
	carrierOptedOut = join(isYes, []consent.Event{carrierOut(numA, "M0", yes, 2)})
)
