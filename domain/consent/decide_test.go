package consent_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
)

type spec struct {
	name  string
	given []consent.Event
	when  consent.Command
	then  []consent.Event
	err   error
}

func (tt spec) run(t *testing.T) {
	t.Helper()
	t.Run(tt.name, func(t *testing.T) {
		got, err := consent.Decide(fold(tt.given), tt.when)
		if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
			t.Fatalf("error %v, want %v", err, tt.err)
		}
		if !reflect.DeepEqual(got, tt.then) {
			t.Fatalf("events\n got %#v\nwant %#v", got, tt.then)
		}
		// Every decided event chains on the one before it.
		s := fold(tt.given)
		for _, e := range got {
			if b := e.Base(); b.StatusBefore != s.Status {
				t.Fatalf("%s: status before %s, state %s", e.EventType(), b.StatusBefore, s.Status)
			}
			s = consent.Evolve(s, e)
		}
	})
}

func events(e ...consent.Event) []consent.Event { return e }

const (
	confirmed = consent.TypeConsentConfirmed
	optOut    = consent.TypeOptedOut
	optIn     = consent.TypeOptedIn
	help      = consent.TypeHelpRequested
)

var (
	noText     = consent.TextNone
	optOutText = consent.TextOptOutConfirmation
	resubText  = consent.TextResubscribed
	helpText   = consent.TextHelpReply
	kwOptOut   = consent.OptOut
	kwOptIn    = consent.OptIn
	kwHelp     = consent.Help
)

// Row 1 | no | app form submitted with the opt-in box ticked | pending | confirmation request
func TestRow1FormRequestsConsent(t *testing.T) {
	noActor := form(10)
	noActor.Actor = ""
	appActor := requested(numA, no, 10).(consent.ConsentRequested)
	appActor.Actor = "app:text_us_now"
	bare := form(10)
	bare.IP, bare.UserAgent, bare.CompanyName = "", "", ""
	bareEvent := requested(numA, no, 10).(consent.ConsentRequested)
	bareEvent.Form.IP, bareEvent.Form.UserAgent = "", ""
	bareEvent.AutomatedTextBody = consent.Texts{}.Render(consent.TextConfirmationRequest, "", numA)

	for _, tt := range []spec{
		{"no (start) → pending, confirmation request", fresh, form(10), events(requested(numA, no, 10)), nil},
		{"no after an opt-out → pending", optedOut, form(10), events(requested(numA, no, 10)), nil},
		{"no after an opt-out from no → pending", optedOutNever, form(10), events(requested(numA, no, 10)), nil},
		{"no after HELP → pending", helpOnly, form(10), events(requested(numA, no, 10)), nil},
		{"actor defaults to the app", fresh, noActor, events(appActor), nil},
		{"without IP, user agent, company name", fresh, bare, events(bareEvent), nil},
		{"pending: nothing new", isPending, form(10), nil, nil},
		{"pending again after opt-out: nothing new", pendingAgain, form(10), nil, nil},
		{"yes: nothing new", isYes, form(10), nil, nil},
		{"yes after re-subscribing: nothing new", resubscribed, form(10), nil, nil},
		{"no on the new number (voided) → pending", voidedToB, onB(form(10)), events(requested(numB, no, 10)), nil},
		{"yes on the old number: void, then pending on the new", isYes, onB(form(10)), events(voided(numA, numB, yes, 10), requested(numB, no, 10)), nil},
	} {
		tt.run(t)
	}
}

// Row 2 | pending | customer replies YES | yes | none
func TestRow2YesConfirms(t *testing.T) {
	for _, tt := range []spec{
		{"YES", isPending, text("SM1", "YES", 10), events(inbound(confirmed, "SM1", "YES", kwOptIn, pending, yes, noText, 10)), nil},
		{"yes", isPending, text("SM1", "yes", 10), events(inbound(confirmed, "SM1", "yes", kwOptIn, pending, yes, noText, 10)), nil},
		{"  Yes.  ", isPending, text("SM1", "  Yes.  ", 10), events(inbound(confirmed, "SM1", "  Yes.  ", kwOptIn, pending, yes, noText, 10)), nil},
		{"YES!!", isPending, text("SM1", "YES!!", 10), events(inbound(confirmed, "SM1", "YES!!", kwOptIn, pending, yes, noText, 10)), nil},
		{"synonym START", isPending, text("SM1", "Start", 10), events(inbound(confirmed, "SM1", "Start", kwOptIn, pending, yes, noText, 10)), nil},
		{"synonym UNSTOP", isPending, text("SM1", "unstop", 10), events(inbound(confirmed, "SM1", "unstop", kwOptIn, pending, yes, noText, 10)), nil},
		{"pending after an opt-out", pendingAgain, text("SM1", "YES", 10), events(inbound(confirmed, "SM1", "YES", kwOptIn, pending, yes, noText, 10)), nil},
		{"Twilio reported YES as START", isPending, twilioText("SM1", "YES", "START", 10),
			events(inboundOn(numA, numA, confirmed, "SM1", "YES", "START", kwOptIn, pending, yes, noText, 10)), nil},
		{"YES to a former number confirms on the number in use", func() []consent.Event {
			return events(requested(numB, no, 0))
		}(), func() consent.Command { c := text("SM1", "YES", 10); c.MessagingNumber = numB; return c }(),
			events(inboundOn(numB, numA, confirmed, "SM1", "YES", "", kwOptIn, pending, yes, noText, 10)), nil},
		{"an ordinary reply leaves it pending", isPending, text("SM1", "yes please", 10), nil, nil},
	} {
		tt.run(t)
	}
}

// Row 3 | any | opt-out keyword | no | one opt-out confirmation, only on the change
func TestRow3OptOut(t *testing.T) {
	tests := []spec{
		{"yes → no, confirmation", isYes, text("SM1", "STOP", 10), events(inbound(optOut, "SM1", "STOP", kwOptOut, yes, no, optOutText, 10)), nil},
		{"pending → no, confirmation", isPending, text("SM1", "stop", 10), events(inbound(optOut, "SM1", "stop", kwOptOut, pending, no, optOutText, 10)), nil},
		{"yes after re-subscribing → no, confirmation", resubscribed, text("SM1", "Stop texting me", 10), events(inbound(optOut, "SM1", "Stop texting me", kwOptOut, yes, no, optOutText, 10)), nil},
		{"no (start) → no, recorded, no confirmation", fresh, text("SM1", "STOP", 10), events(inbound(optOut, "SM1", "STOP", kwOptOut, no, no, noText, 10)), nil},
		{"no after HELP → no, no confirmation", helpOnly, text("SM1", "STOP", 10), events(inbound(optOut, "SM1", "STOP", kwOptOut, no, no, noText, 10)), nil},
		{"second STOP: recorded, no second confirmation", optedOut, text("SM1", "STOP", 10), events(inbound(optOut, "SM1", "STOP", kwOptOut, no, no, noText, 10)), nil},
		{"Twilio answered: yes → no, no confirmation", isYes, twilioText("SM1", "STOP", "STOP", 10),
			events(inboundOn(numA, numA, optOut, "SM1", "STOP", "STOP", kwOptOut, yes, no, noText, 10)), nil},
		{"Twilio answered a custom keyword", isYes, twilioText("SM1", "ARRET", "STOP", 10),
			events(inboundOn(numA, numA, optOut, "SM1", "ARRET", "STOP", kwOptOut, yes, no, noText, 10)), nil},
		{"Twilio answered, lower-case type", isPending, twilioText("SM1", "stop", "stop", 10),
			events(inboundOn(numA, numA, optOut, "SM1", "stop", "stop", kwOptOut, pending, no, noText, 10)), nil},
		{"STOP to a former number opts out of the number in use", join(voidedToB, events(requested(numB, no, 3))),
			func() consent.Command { c := text("SM1", "STOP", 10); c.MessagingNumber = numB; return c }(),
			events(inboundOn(numB, numA, optOut, "SM1", "STOP", "", kwOptOut, pending, no, optOutText, 10)), nil},
	}
	for _, word := range []string{"STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "OPT OUT", "REVOKE", "stop texting me", "unsubscribe me"} {
		for _, body := range variants(word) {
			tests = append(tests, spec{"yes, " + quote(body), isYes, text("SM1", body, 10),
				events(inbound(optOut, "SM1", body, kwOptOut, yes, no, optOutText, 10)), nil})
		}
	}
	for _, tt := range tests {
		tt.run(t)
	}
}

// Row 4 | no after an opt-out | opt-in keyword (START, ...) | yes | re-subscribed confirmation
func TestRow4OptInAfterOptOut(t *testing.T) {
	tests := []spec{
		{"START after STOP → yes, re-subscribed", optedOut, text("SM1", "START", 10), events(inbound(optIn, "SM1", "START", kwOptIn, no, yes, resubText, 10)), nil},
		{"after a STOP from no (the STOP counts)", optedOutNever, text("SM1", "start", 10), events(inbound(optIn, "SM1", "start", kwOptIn, no, yes, resubText, 10)), nil},
		{"after STOP then HELP", join(optedOut, events(inbound(help, "SMh", "HELP", kwHelp, no, no, helpText, 3))), text("SM1", "START", 10),
			events(inbound(optIn, "SM1", "START", kwOptIn, no, yes, resubText, 10)), nil},
		{"after a second STOP", join(optedOut, events(inbound(optOut, "SM2", "STOP", kwOptOut, no, no, noText, 3))), text("SM1", "UNSTOP", 10),
			events(inbound(optIn, "SM1", "UNSTOP", kwOptIn, no, yes, resubText, 10)), nil},
		{"Twilio answered START: yes, no text", optedOut, twilioText("SM1", "START", "START", 10),
			events(inboundOn(numA, numA, optIn, "SM1", "START", "START", kwOptIn, no, yes, noText, 10)), nil},
		{"the opt-out does not follow the number: START on the new number is ordinary", optedOut, onB(text("SM1", "START", 10)),
			events(voided(numA, numB, no, 10)), nil},
		{"START after Twilio's 21610 (row 7) → yes, re-subscribed", carrierOptedOut, text("SM1", "START", 10),
			events(inbound(optIn, "SM1", "START", kwOptIn, no, yes, resubText, 10)), nil},
		{"START after Twilio's 21610, Twilio answered: yes, no text", carrierOptedOut, twilioText("SM1", "START", "START", 10),
			events(inboundOn(numA, numA, optIn, "SM1", "START", "START", kwOptIn, no, yes, noText, 10)), nil},
	}
	for _, word := range []string{"START", "UNSTOP", "YES"} {
		for _, body := range variants(word) {
			tests = append(tests, spec{"no after opt-out, " + quote(body), optedOut, text("SM1", body, 10),
				events(inbound(optIn, "SM1", body, kwOptIn, no, yes, resubText, 10)), nil})
		}
	}
	for _, tt := range tests {
		tt.run(t)
	}
}

// Row 5 | any | HELP / INFO | unchanged | help reply
func TestRow5Help(t *testing.T) {
	var tests []spec
	for _, h := range []struct {
		name   string
		given  []consent.Event
		status consent.Status
	}{
		{"no", fresh, no}, {"pending", isPending, pending}, {"yes", isYes, yes}, {"no after opt-out", optedOut, no}, {"no after HELP", helpOnly, no},
	} {
		for _, word := range []string{"HELP", "INFO"} {
			for _, body := range variants(word) {
				tests = append(tests, spec{h.name + ", " + quote(body), h.given, text("SM1", body, 10),
					events(inbound(help, "SM1", body, kwHelp, h.status, h.status, helpText, 10)), nil})
			}
		}
		tests = append(tests, spec{h.name + ", Twilio answered HELP", h.given, twilioText("SM1", "help", "HELP", 10),
			events(inboundOn(numA, numA, help, "SM1", "help", "HELP", kwHelp, h.status, h.status, noText, 10)), nil})
	}
	for _, tt := range tests {
		tt.run(t)
	}
}

// Row 6 | any | company's messaging number changes | no | none
func TestRow6NumberChange(t *testing.T) {
	for _, tt := range []spec{
		{"yes → no", isYes, changeNumber(numB, 10), events(voided(numA, numB, yes, 10)), nil},
		{"pending → no", isPending, changeNumber(numB, 10), events(voided(numA, numB, pending, 10)), nil},
		{"no after an opt-out → no (the opt-out stays with the old number)", optedOut, changeNumber(numB, 10), events(voided(numA, numB, no, 10)), nil},
		{"no after HELP → no", helpOnly, changeNumber(numB, 10), events(voided(numA, numB, no, 10)), nil},
		{"no stream: nothing to void", fresh, changeNumber(numB, 10), nil, nil},
		{"already on the new number", voidedToB, changeNumber(numB, 10), nil, nil},
		{"the same number", isYes, changeNumber(numA, 10), nil, nil},
		{"back to a former number voids again", voidedToB, changeNumber(numA, 10), events(voided(numB, numA, no, 10)), nil},
		{"late: an ordinary text voids first", isYes, onB(text("SM1", "hi", 10)), events(voided(numA, numB, yes, 10)), nil},
		{"late: STOP voids, then records the opt-out (no change, no text)", isYes, onB(text("SM1", "STOP", 10)),
			events(voided(numA, numB, yes, 10), inboundOn(numB, numB, optOut, "SM1", "STOP", "", kwOptOut, no, no, noText, 10)), nil},
		{"late: YES on the new number is not consent", isPending, onB(text("SM1", "YES", 10)), events(voided(numA, numB, pending, 10)), nil},
		{"late: HELP voids, then helps", isYes, onB(text("SM1", "HELP", 10)),
			events(voided(numA, numB, yes, 10), inboundOn(numB, numB, help, "SM1", "HELP", "", kwHelp, no, no, helpText, 10)), nil},
		{"after the change, YES is not consent", voidedToB, onB(text("SM1", "YES", 10)), nil, nil},
		{"after the change, START is ordinary", voidedToB, onB(text("SM1", "START", 10)), nil, nil},
	} {
		tt.run(t)
	}
}

// Row 7 | any | Twilio refuses a text: 21610, carrier opt-out | no | none
// (a START then restores consent: see TestRow4OptInAfterOptOut).
func TestRow7CarrierOptOut(t *testing.T) {
	afterStart := join(carrierOptedOut, events(inbound(optIn, "SMstart", "START", kwOptIn, no, yes, resubText, 3)))
	for _, tt := range []spec{
		{"yes → no, no text, actor twilio", isYes, refusal("M1", 10), events(carrierOut(numA, "M1", yes, 10)), nil},
		{"pending → no, no text", isPending, refusal("M1", 10), events(carrierOut(numA, "M1", pending, 10)), nil},
		{"pending again after an opt-out → no", pendingAgain, refusal("M1", 10), events(carrierOut(numA, "M1", pending, 10)), nil},
		{"yes after re-subscribing → no", resubscribed, refusal("M1", 10), events(carrierOut(numA, "M1", yes, 10)), nil},
		{"no (start) → no, recorded", fresh, refusal("M1", 10), events(carrierOut(numA, "M1", no, 10)), nil},
		{"no after HELP → no, recorded", helpOnly, refusal("M1", 10), events(carrierOut(numA, "M1", no, 10)), nil},
		{"already opted out (STOP): nothing", optedOut, refusal("M1", 10), nil, nil},
		{"already opted out (STOP from no): nothing", optedOutNever, refusal("M1", 10), nil, nil},
		{"already opted out at the carrier: nothing", carrierOptedOut, refusal("M1", 10), nil, nil},
		{"the same refusal again: nothing", carrierOptedOut, refusal("M0", 10), nil, nil},
		{"the same refusal again after START: nothing", afterStart, refusal("M0", 10), nil, nil},
		{"another refusal after START → no", afterStart, refusal("M1", 10), events(carrierOut(numA, "M1", yes, 10)), nil},
		{"on a new number: void, then recorded (no to no)", isYes, onB(refusal("M1", 10)),
			events(voided(numA, numB, yes, 10), carrierOut(numB, "M1", no, 10)), nil},
	} {
		tt.run(t)
	}
}

// What is not a row of the table decides nothing.
func TestOrdinaryMessages(t *testing.T) {
	tests := []spec{
		{"YES while no, never requested", fresh, text("SM1", "YES", 10), nil, nil},
		{"YES while no after HELP only", helpOnly, text("SM1", "yes", 10), nil, nil},
		{"START without a prior opt-out", fresh, text("SM1", "START", 10), nil, nil},
		{"UNSTOP without a prior opt-out", helpOnly, text("SM1", "UNSTOP", 10), nil, nil},
		{"START while yes", isYes, text("SM1", "START", 10), nil, nil},
		{"YES while yes", isYes, text("SM1", "YES", 10), nil, nil},
		{"YES after re-subscribing", resubscribed, text("SM1", "YES", 10), nil, nil},
		{"Twilio's START without a prior opt-out", fresh, twilioText("SM1", "START", "START", 10), nil, nil},
		{"unknown OptOutType, ordinary text", isYes, twilioText("SM1", "hello", "MAYBE", 10), nil, nil},
	}
	for _, body := range []string{"stop by tomorrow", "stopping", "Stop it", "please stop", "STOP STOP", "!STOP", "S T O P", "yes please", "helpful", "information", "start over", "", "   ", "...", "Hello, is this Acme?"} {
		for _, h := range []struct {
			name  string
			given []consent.Event
		}{{"no", fresh}, {"pending", isPending}, {"yes", isYes}, {"no after opt-out", optedOut}} {
			tests = append(tests, spec{h.name + ", " + quote(body), h.given, text("SM1", body, 10), nil, nil})
		}
	}
	for _, tt := range tests {
		tt.run(t)
	}
}

// A repeat of a known MessageSid decides nothing, whatever it says.
func TestRepeatedWebhook(t *testing.T) {
	for _, tt := range []spec{
		{"YES again", isYes, text("SMyes", "YES", 10), nil, nil},
		{"STOP again", optedOut, text("SMstop", "STOP", 10), nil, nil},
		{"STOP again after START", resubscribed, text("SMstop", "STOP", 10), nil, nil},
		{"HELP again", helpOnly, text("SMhelp", "HELP", 10), nil, nil},
		{"STOP again after the number changed", join(optedOut, events(voided(numA, numB, no, 3))), onB(text("SMstop", "STOP", 10)), nil, nil},
		{"an old SID does not void", optedOut, onB(text("SMstop", "STOP", 10)), nil, nil},
	} {
		tt.run(t)
	}
}

func TestInvalidCommands(t *testing.T) {
	inb := func(f func(*consent.ReceiveInbound)) consent.Command { c := text("SM1", "STOP", 10); f(&c); return c }
	frm := func(f func(*consent.RequestConsent)) consent.Command { c := form(10); f(&c); return c }
	chg := func(f func(*consent.ChangeNumber)) consent.Command { c := changeNumber(numB, 10); f(&c); return c }
	ref := func(f func(*consent.RecordCarrierOptOut)) consent.Command { c := refusal("M1", 10); f(&c); return c }
	for _, tt := range []spec{
		{"inbound without company", isYes, inb(func(c *consent.ReceiveInbound) { c.CompanyID = "" }), nil, consent.ErrInvalidCommand},
		{"inbound without customer", isYes, inb(func(c *consent.ReceiveInbound) { c.CustomerPhone = "" }), nil, consent.ErrInvalidCommand},
		{"inbound without messaging number", isYes, inb(func(c *consent.ReceiveInbound) { c.MessagingNumber = "" }), nil, consent.ErrInvalidCommand},
		{"inbound without To", isYes, inb(func(c *consent.ReceiveInbound) { c.To = "" }), nil, consent.ErrInvalidCommand},
		{"inbound without SID", isYes, inb(func(c *consent.ReceiveInbound) { c.MessageSID = "" }), nil, consent.ErrInvalidCommand},
		{"inbound without time", isYes, inb(func(c *consent.ReceiveInbound) { c.At = time.Time{} }), nil, consent.ErrInvalidCommand},
		{"inbound of another customer", isYes, inb(func(c *consent.ReceiveInbound) { c.CustomerPhone = numB }), nil, consent.ErrInvalidCommand},
		{"inbound of another company", isYes, inb(func(c *consent.ReceiveInbound) { c.CompanyID = "company-2" }), nil, consent.ErrInvalidCommand},
		{"form without app", fresh, frm(func(c *consent.RequestConsent) { c.App = "" }), nil, consent.ErrInvalidCommand},
		{"form without company", fresh, frm(func(c *consent.RequestConsent) { c.CompanyID = "" }), nil, consent.ErrInvalidCommand},
		{"form without customer", fresh, frm(func(c *consent.RequestConsent) { c.CustomerPhone = "" }), nil, consent.ErrInvalidCommand},
		{"form without messaging number", fresh, frm(func(c *consent.RequestConsent) { c.MessagingNumber = "" }), nil, consent.ErrInvalidCommand},
		{"form without time", fresh, frm(func(c *consent.RequestConsent) { c.At = time.Time{} }), nil, consent.ErrInvalidCommand},
		{"change without number", isYes, chg(func(c *consent.ChangeNumber) { c.MessagingNumber = "" }), nil, consent.ErrInvalidCommand},
		{"change without time", isYes, chg(func(c *consent.ChangeNumber) { c.At = time.Time{} }), nil, consent.ErrInvalidCommand},
		{"change of another customer", isYes, chg(func(c *consent.ChangeNumber) { c.CustomerPhone = numA }), nil, consent.ErrInvalidCommand},
		{"refusal without message ID", isYes, ref(func(c *consent.RecordCarrierOptOut) { c.MessageID = uuid.Nil }), nil, consent.ErrInvalidCommand},
		{"refusal without error code", isYes, ref(func(c *consent.RecordCarrierOptOut) { c.ErrorCode = 0 }), nil, consent.ErrInvalidCommand},
		{"refusal without messaging number", isYes, ref(func(c *consent.RecordCarrierOptOut) { c.MessagingNumber = "" }), nil, consent.ErrInvalidCommand},
		{"refusal without time", isYes, ref(func(c *consent.RecordCarrierOptOut) { c.At = time.Time{} }), nil, consent.ErrInvalidCommand},
		{"refusal of another customer", isYes, ref(func(c *consent.RecordCarrierOptOut) { c.CustomerPhone = numB }), nil, consent.ErrInvalidCommand},
		{"nil command", fresh, nil, nil, consent.ErrInvalidCommand},
	} {
		tt.run(t)
	}
}

// After the events a command decided, the same command decides nothing: a
// command handler's retry is harmless.
func TestDecideIsIdempotent(t *testing.T) {
	cmds := []consent.Command{
		form(0), text("SM1", "HELP", 1), text("SM2", "YES", 2), form(3), refusal("M1", 3), text("SM3", "STOP", 4),
		text("SM4", "STOP", 5), text("SM5", "START", 6), changeNumber(numB, 7), onB(form(8)),
		onB(text("SM6", "yes", 9)), changeNumber(numA, 10), text("SM7", "info", 11),
	}
	var s consent.State
	for _, c := range cmds {
		got, err := consent.Decide(s, c)
		if err != nil {
			t.Fatalf("%#v: %v", c, err)
		}
		for _, e := range got {
			s = consent.Evolve(s, e)
		}
		again, err := consent.Decide(s, c)
		if err != nil || len(again) != 0 {
			t.Fatalf("%#v decided again: %v %v", c, again, err)
		}
	}
}

// variants are the spellings of a keyword that must read as it.
func variants(word string) []string {
	lower := strings.ToLower(word)
	title := strings.ToUpper(word[:1]) + lower[1:]
	vs := []string{
		word, strings.ToUpper(word), lower, title,
		"  " + title + "  ", "\t" + word + "\n", " " + lower + " \r\n",
		word + ".", lower + "!!", word + "?!", title + " !", word + "...", lower + "!?.", " " + word + ". ",
	}
	if strings.Contains(word, " ") {
		vs = append(vs, strings.ReplaceAll(word, " ", "   "), strings.ReplaceAll(lower, " ", "\t"), strings.ReplaceAll(title, " ", " \n "))
	}
	return vs
}

func quote(s string) string { return "«" + s + "»" }
