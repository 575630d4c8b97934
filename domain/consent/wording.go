package consent

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// A company words its automated texts itself (Texts), within what the CTIA
// Messaging Principles and Best Practices handbook requires of each. The
// rules, one per row (CheckTexts; a text fails on every row it breaks):
//
//	| # | text                 | must                                                         |
//	|---|----------------------|--------------------------------------------------------------|
//	| 1 | every one            | be 1 to 320 characters, no placeholder but the two below     |
//	| 2 | confirmation request | name the company                                             |
//	| 3 | confirmation request | say YES, STOP and HELP                                       |
//	| 4 | confirmation request | say "Msg&data rates may apply"                               |
//	| 5 | help reply           | name the company and say STOP                                |
//	| 6 | help reply           | give a contact: an e-mail address, a URL or a phone number   |
//	| 7 | opt-out confirmation | name the company and say no more messages will be sent       |
//	| 8 | opt-out confirmation | hold no URL                                                  |
//	| 9 | re-subscribed        | say STOP                                                     |
//
// Readings, decided here:
//   - "Names the company": the placeholder {{company_name}}, or the
//     company's name as it is when the texts are saved (any case).
//   - Keywords are whole words in any case ("Reply stop" says STOP;
//     "stopping" does not).
//   - "Msg&data rates may apply" in any spacing and case, "Message" for
//     "Msg" and "and" for "&" (the handbook's own wordings).
//   - A contact is an e-mail address, a URL (http://, https:// or www.),
//     a phone number of 7 or more digits, or {{messaging_number}} (the
//     company's messaging number: the customer can text it).
//   - {{messaging_number}} is the second placeholder: smsinbox's own help
//     reply uses it, so that its default gives a contact too.

// MaxTextLength bounds every automated text, in characters.
const MaxTextLength = 320

// Placeholders of the automated texts.
const (
	PlaceholderCompanyName     = "{{company_name}}"
	PlaceholderMessagingNumber = "{{messaging_number}}"
)

// ErrInvalidText: a company's wording of an automated text leaves out what
// the CTIA handbook requires (HTTP 400 invalid_text). Its text names each
// text and what it misses.
var ErrInvalidText = errors.New("invalid automated text")

// Texts are the words of consent's automated texts, placeholders unfilled.
// An empty field is smsinbox's own wording (DefaultTexts).
type Texts struct {
	ConfirmationRequest string `json:"confirmation_request"`
	OptOutConfirmation  string `json:"opt_out_confirmation"`
	HelpReply           string `json:"help_reply"`
	Resubscribed        string `json:"resubscribed"`
}

// DefaultTexts is smsinbox's own wording, which passes CheckTexts.
func DefaultTexts() Texts {
	return Texts{
		ConfirmationRequest: "{{company_name}}: Reply YES to receive text messages from us. Msg & data rates may apply. Reply HELP for help, STOP to opt out.",
		OptOutConfirmation:  "{{company_name}}: You have been unsubscribed and will receive no more messages from this number. Reply START to resubscribe.",
		HelpReply:           "{{company_name}}: For help, reply to this message or text {{messaging_number}}. Msg & data rates may apply. Reply STOP to opt out.",
		Resubscribed:        "{{company_name}}: You are subscribed again to messages from this number. Reply HELP for help, STOP to opt out.",
	}
}

// WithDefaults is t with every empty field set to DefaultTexts'.
func (t Texts) WithDefaults() Texts {
	d := DefaultTexts()
	for _, f := range []struct{ got, def *string }{
		{&t.ConfirmationRequest, &d.ConfirmationRequest}, {&t.OptOutConfirmation, &d.OptOutConfirmation},
		{&t.HelpReply, &d.HelpReply}, {&t.Resubscribed, &d.Resubscribed},
	} {
		if *f.got == "" {
			*f.got = *f.def
		}
	}
	return t
}

// Of is the wording of the automated text kind ("" for TextNone).
func (t Texts) Of(kind AutomatedText) string {
	t = t.WithDefaults()
	switch kind {
	case TextConfirmationRequest:
		return t.ConfirmationRequest
	case TextOptOutConfirmation:
		return t.OptOutConfirmation
	case TextHelpReply:
		return t.HelpReply
	case TextResubscribed:
		return t.Resubscribed
	default:
		return ""
	}
}

// Render is the words sent for the automated text kind: its wording with
// the company's name and messaging number filled in. Without a name, a
// leading "{{company_name}}: " goes away with the placeholder.
func (t Texts) Render(kind AutomatedText, companyName string, number phone.Number) string {
	words := t.Of(kind)
	if companyName == "" {
		words = strings.TrimPrefix(words, PlaceholderCompanyName+": ")
	}
	words = strings.ReplaceAll(words, PlaceholderCompanyName, companyName)
	return strings.ReplaceAll(words, PlaceholderMessagingNumber, string(number))
}

// TextProblem is one rule a company's text breaks: Text is the field
// ("help_reply") and Missing what it lacks or holds wrongly, in words.
type TextProblem struct {
	Text    string `json:"text"`
	Missing string `json:"missing"`
}

// TextProblems are every rule a company's texts break; as an error it
// matches ErrInvalidText.
type TextProblems []TextProblem

func (p TextProblems) Error() string {
	parts := make([]string, len(p))
	for i, x := range p {
		parts[i] = x.Text + " " + x.Missing
	}
	return "An automated text leaves out what carriers require: " + strings.Join(parts, "; ") + "."
}

func (p TextProblems) Is(target error) bool { return target == ErrInvalidText }

var (
	wordRE    = regexp.MustCompile(`[\p{L}\p{N}]+`)
	ratesRE   = regexp.MustCompile(`(?i)\b(msg|message)\s*(&|and)\s*data\s+rates\s+may\s+apply`)
	emailRE   = regexp.MustCompile(`[^\s@<>()]+@[^\s@<>()]+\.[A-Za-z]{2,}`)
	urlRE     = regexp.MustCompile(`(?i)\b(https?://|www\.)\S+`)
	phoneRE   = regexp.MustCompile(`\+?\(?\d[\d\s().-]*\d`)
	noMoreRE  = regexp.MustCompile(`(?i)\b(no (more|further) (messages|texts|text messages|msgs)|(will not|won't|will no longer) (receive|be sent|get)|will receive no (more|further))\b`)
	bracesRE  = regexp.MustCompile(`\{\{[^{}]*\}\}`)
	linkishRE = regexp.MustCompile(`(?i)\b[a-z0-9-]+\.(com|net|org|io|co|us|biz|info|ly|me|app)\b`)
)

// CheckTexts checks a company's wording against the rules above; company is
// the company's name. Texts with empty fields are checked with those fields'
// defaults. The answer is nil or TextProblems.
func CheckTexts(t Texts, company string) error {
	t = t.WithDefaults()
	var out TextProblems
	miss := func(text, missing string) { out = append(out, TextProblem{Text: text, Missing: missing}) }
	for _, f := range []struct {
		name, words string
		rules       []func(string) string
	}{
		{"confirmation_request", t.ConfirmationRequest, []func(string) string{
			namesCompany(company), says("YES"), says("STOP"), says("HELP"), saysRates,
		}},
		{"help_reply", t.HelpReply, []func(string) string{namesCompany(company), says("STOP"), givesContact}},
		{"opt_out_confirmation", t.OptOutConfirmation, []func(string) string{namesCompany(company), saysNoMore, noURL}},
		{"resubscribed", t.Resubscribed, []func(string) string{says("STOP")}},
	} {
		// Row 1 | every one | 1 to 320 characters, known placeholders
		if p := wellFormed(f.words); p != "" {
			miss(f.name, p)
			continue
		}
		for _, rule := range f.rules {
			if p := rule(f.words); p != "" {
				miss(f.name, p)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func wellFormed(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.TrimSpace(s) == "":
		return "is empty"
	case utf8.RuneCountInString(s) > MaxTextLength:
		return fmt.Sprintf("is longer than %d characters", MaxTextLength)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }):
		return "holds control characters"
	}
	rest := bracesRE.ReplaceAllStringFunc(s, func(p string) string {
		if p == PlaceholderCompanyName || p == PlaceholderMessagingNumber {
			return ""
		}
		return p
	})
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return "holds a placeholder other than " + PlaceholderCompanyName + " and " + PlaceholderMessagingNumber
	}
	return ""
}

// Rows 2, 5 and 7: the company's name.
func namesCompany(company string) func(string) string {
	return func(s string) string {
		if strings.Contains(s, PlaceholderCompanyName) {
			return ""
		}
		if name := strings.TrimSpace(company); name != "" && strings.Contains(strings.ToLower(s), strings.ToLower(name)) {
			return ""
		}
		return "does not name the company (" + PlaceholderCompanyName + " or its name)"
	}
}

// Rows 3, 5 and 9: a keyword, as a whole word.
func says(keyword string) func(string) string {
	return func(s string) string {
		for _, w := range wordRE.FindAllString(s, -1) {
			if strings.EqualFold(w, keyword) {
				return ""
			}
		}
		return "does not say " + keyword
	}
}

// Row 4.
func saysRates(s string) string {
	if ratesRE.MatchString(s) {
		return ""
	}
	return `does not say "Msg&data rates may apply"`
}

// Row 6.
func givesContact(s string) string {
	if strings.Contains(s, PlaceholderMessagingNumber) || emailRE.MatchString(s) || urlRE.MatchString(s) {
		return ""
	}
	for _, m := range phoneRE.FindAllString(s, -1) {
		if strings.Count(strings.Map(keepDigits, m), "")-1 >= 7 {
			return ""
		}
	}
	return "gives no contact (an e-mail address, a URL or a phone number)"
}

// Row 7.
func saysNoMore(s string) string {
	if noMoreRE.MatchString(s) {
		return ""
	}
	return `does not say that no more messages will be sent (such as "you will receive no more messages")`
}

// Row 8.
func noURL(s string) string {
	if urlRE.MatchString(s) || linkishRE.MatchString(emailRE.ReplaceAllString(s, "")) {
		return "holds a URL (an opt-out confirmation may hold no link)"
	}
	return ""
}

func keepDigits(r rune) rune {
	if r >= '0' && r <= '9' {
		return r
	}
	return -1
}
