package consent_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/consent"
)

// textsWith is smsinbox's own wording with one text changed.
func textsWith(field, words string) consent.Texts {
	t := consent.DefaultTexts()
	switch field {
	case "confirmation_request":
		t.ConfirmationRequest = words
	case "opt_out_confirmation":
		t.OptOutConfirmation = words
	case "help_reply":
		t.HelpReply = words
	case "resubscribed":
		t.Resubscribed = words
	default:
		panic(field)
	}
	return t
}

type wordingRow struct {
	name  string
	field string
	words string
	// missing is what CheckTexts must name; "" when the words pass.
	missing string
}

func (tt wordingRow) run(t *testing.T) {
	t.Helper()
	t.Run(tt.name, func(t *testing.T) {
		err := consent.CheckTexts(textsWith(tt.field, tt.words), "Acme Dental")
		if tt.missing == "" {
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			return
		}
		var problems consent.TextProblems
		if !errors.Is(err, consent.ErrInvalidText) || !errors.As(err, &problems) {
			t.Fatalf("error %v, want TextProblems", err)
		}
		want := consent.TextProblems{{Text: tt.field, Missing: tt.missing}}
		if !reflect.DeepEqual(problems, want) {
			t.Fatalf("problems\n got %+v\nwant %+v", problems, want)
		}
		if !strings.Contains(err.Error(), tt.field) {
			t.Fatalf("message %q does not name %s", err, tt.field)
		}
	})
}

const (
	noCompany = "does not name the company ({{company_name}} or its name)"
	noRates   = `does not say "Msg&data rates may apply"`
	noContact = "gives no contact (an e-mail address, a URL or a phone number)"
	noNoMore  = `does not say that no more messages will be sent (such as "you will receive no more messages")`
	hasURL    = "holds a URL (an opt-out confirmation may hold no link)"
)

const goodConfirmation = "Acme Dental: reply YES to get texts. Msg&data rates may apply. Reply HELP for help, STOP to end."

// Row 1 | every one | 1 to 320 characters, no placeholder but the two
func TestWordingRow1WellFormed(t *testing.T) {
	for _, tt := range []wordingRow{
		{"320 characters", "resubscribed", "STOP " + strings.Repeat("x", 315), ""},
		{"321 characters", "resubscribed", "STOP " + strings.Repeat("x", 316), "is longer than 320 characters"},
		{"only white space", "resubscribed", "   ", "is empty"},
		{"another placeholder", "resubscribed", "Hi {{first_name}}, reply STOP to end", "holds a placeholder other than {{company_name}} and {{messaging_number}}"},
		{"a control character", "resubscribed", "Reply STOP\x07", "holds control characters"},
		{"both placeholders", "help_reply", "{{company_name}}: text {{messaging_number}} for help; STOP to end", ""},
	} {
		tt.run(t)
	}
}

// Row 2 | confirmation request | names the company
func TestWordingRow2ConfirmationNamesCompany(t *testing.T) {
	for _, tt := range []wordingRow{
		{"the placeholder", "confirmation_request", strings.Replace(goodConfirmation, "Acme Dental", "{{company_name}}", 1), ""},
		{"the name in another case", "confirmation_request", strings.Replace(goodConfirmation, "Acme Dental", "ACME DENTAL", 1), ""},
		{"no name", "confirmation_request", strings.Replace(goodConfirmation, "Acme Dental: r", "R", 1), noCompany},
	} {
		tt.run(t)
	}
}

// Row 3 | confirmation request | says YES, STOP and HELP
func TestWordingRow3ConfirmationKeywords(t *testing.T) {
	for _, tt := range []wordingRow{
		{"no YES", "confirmation_request", strings.Replace(goodConfirmation, "YES", "Y", 1), "does not say YES"},
		{"no STOP", "confirmation_request", strings.Replace(goodConfirmation, "STOP", "END", 1), "does not say STOP"},
		{"no HELP", "confirmation_request", strings.Replace(goodConfirmation, "HELP for help", "INFO for info", 1), "does not say HELP"},
		{"a keyword inside a word is not the keyword", "confirmation_request", strings.Replace(goodConfirmation, "STOP", "STOPPING", 1), "does not say STOP"},
		{"lower case keywords", "confirmation_request", strings.ToLower(goodConfirmation), ""},
	} {
		tt.run(t)
	}
}

// Row 4 | confirmation request | says "Msg&data rates may apply"
func TestWordingRow4ConfirmationRates(t *testing.T) {
	for _, tt := range []wordingRow{
		{"Msg & data", "confirmation_request", strings.Replace(goodConfirmation, "Msg&data", "Msg & data", 1), ""},
		{"Message and data", "confirmation_request", strings.Replace(goodConfirmation, "Msg&data", "Message and data", 1), ""},
		{"no rates", "confirmation_request", strings.Replace(goodConfirmation, " Msg&data rates may apply.", "", 1), noRates},
		{"rates without may apply", "confirmation_request", strings.Replace(goodConfirmation, "may apply", "apply", 1), noRates},
	} {
		tt.run(t)
	}
}

// Row 5 | help reply | names the company and says STOP
func TestWordingRow5HelpNamesCompanyAndStop(t *testing.T) {
	for _, tt := range []wordingRow{
		{"no name", "help_reply", "Help: help@example.com. Reply STOP to end.", noCompany},
		{"no STOP", "help_reply", "Acme Dental help: help@example.com.", "does not say STOP"},
	} {
		tt.run(t)
	}
}

// Row 6 | help reply | gives a contact
func TestWordingRow6HelpContact(t *testing.T) {
	for _, tt := range []wordingRow{
		{"an e-mail address", "help_reply", "Acme Dental help: help@acme.example. STOP to end.", ""},
		{"a URL", "help_reply", "Acme Dental help: https://acme.example/help. STOP to end.", ""},
		{"www.", "help_reply", "Acme Dental help: www.acme.example. STOP to end.", ""},
		{"a phone number", "help_reply", "Acme Dental help: call (202) 555-0123. STOP to end.", ""},
		{"the messaging number", "help_reply", "Acme Dental help: text {{messaging_number}}. STOP to end.", ""},
		{"a short number is no phone", "help_reply", "Acme Dental help: dial 911. STOP to end.", noContact},
		{"no contact", "help_reply", "Acme Dental: we will help. Reply STOP to end.", noContact},
	} {
		tt.run(t)
	}
}

// Row 7 | opt-out confirmation | names the company and says no more messages
func TestWordingRow7OptOutNamesCompanyAndNoMore(t *testing.T) {
	for _, tt := range []wordingRow{
		{"no name", "opt_out_confirmation", "You are unsubscribed and will receive no more messages.", noCompany},
		{"no more messages not said", "opt_out_confirmation", "Acme Dental: you are unsubscribed.", noNoMore},
		{"no further texts", "opt_out_confirmation", "Acme Dental: unsubscribed, no further texts will be sent.", ""},
		{"you will not receive", "opt_out_confirmation", "Acme Dental: you will not receive messages from us again.", ""},
	} {
		tt.run(t)
	}
}

// Row 8 | opt-out confirmation | holds no URL
func TestWordingRow8OptOutNoURL(t *testing.T) {
	for _, tt := range []wordingRow{
		{"https", "opt_out_confirmation", "Acme Dental: no more messages. Tell us why: https://acme.example/why", hasURL},
		{"a bare domain", "opt_out_confirmation", "Acme Dental: no more messages. See acme.com", hasURL},
		{"an e-mail address is no URL", "opt_out_confirmation", "Acme Dental: no more messages. Questions: help@acme.com", ""},
	} {
		tt.run(t)
	}
}

// Row 9 | re-subscribed | says STOP
func TestWordingRow9ResubscribedStop(t *testing.T) {
	for _, tt := range []wordingRow{
		{"STOP", "resubscribed", "Welcome back. Reply STOP to opt out.", ""},
		{"no STOP", "resubscribed", "Welcome back to Acme Dental texts.", "does not say STOP"},
	} {
		tt.run(t)
	}
}

func TestWordingEveryProblemIsNamed(t *testing.T) {
	texts := consent.Texts{
		ConfirmationRequest: "Hello",
		OptOutConfirmation:  "Bye https://x.example",
		HelpReply:           "Help",
		Resubscribed:        "Back",
	}
	err := consent.CheckTexts(texts, "Acme Dental")
	var problems consent.TextProblems
	if !errors.As(err, &problems) || len(problems) != 12 {
		t.Fatalf("got %v (%d problems), want 12", err, len(problems))
	}
}

func TestDefaultTextsPassAndRender(t *testing.T) {
	if err := consent.CheckTexts(consent.DefaultTexts(), "Acme"); err != nil {
		t.Fatalf("smsinbox's own wording fails: %v", err)
	}
	if err := consent.CheckTexts(consent.Texts{}, "Acme"); err != nil {
		t.Fatalf("empty texts (the defaults) fail: %v", err)
	}
	texts := consent.Texts{HelpReply: "{{company_name}} help: text {{messaging_number}}. STOP to end."}
	if got := texts.Render(consent.TextHelpReply, "Acme", "+12025550199"); got != "Acme help: text +12025550199. STOP to end." {
		t.Fatalf("Render = %q", got)
	}
	if got := texts.Render(consent.TextResubscribed, "Acme", "+12025550199"); got != consent.DefaultTexts().Render(consent.TextResubscribed, "Acme", "+12025550199") {
		t.Fatalf("an empty field does not fall back to the default: %q", got)
	}
}

// The company's wording is what the decided event records, and so what is
// sent and what the audit shows.
func TestDecideUsesTheCompanysWording(t *testing.T) {
	words := consent.Texts{ConfirmationRequest: "{{company_name}}: YES to join. Msg&data rates may apply. HELP for help, STOP to end."}
	c := form(10)
	c.Texts = words
	got, err := consent.Decide(fold(fresh), c)
	if err != nil || len(got) != 1 {
		t.Fatalf("Decide = %v, %v", got, err)
	}
	if body := got[0].Base().AutomatedTextBody; body != "Acme: YES to join. Msg&data rates may apply. HELP for help, STOP to end." {
		t.Fatalf("body %q", body)
	}
	in := text("SM1", "HELP", 11)
	in.Texts = consent.Texts{HelpReply: "{{company_name}}: mail help@acme.example. STOP to end."}
	got, err = consent.Decide(fold(fresh), in)
	if err != nil || len(got) != 1 || got[0].Base().AutomatedTextBody != "Acme: mail help@acme.example. STOP to end." {
		t.Fatalf("Decide(HELP) = %+v, %v", got, err)
	}
}
