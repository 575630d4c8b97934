// Package autoreply is the pure domain of the after-hours auto-reply: a
// company's settings (on or off, the words, its business hours in its own
// time zone) and the rule that decides whether a customer's text gets the
// auto-reply.
//
// Nothing here does I/O or reads the clock: the inbound text's instant, the
// company's zone, the customer's consent and the thread's last auto-reply
// arrive as values. The settings are events of the company's stream
// (domain/company); the reply itself is an automated text of the thread
// (domain/conversation), which applies Due once more when it is queued, so
// that two texts at once cannot both be answered.
package autoreply

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxBodyLength bounds the auto-reply's words, in characters: two GSM-7
// segments and a little, like every automated text.
const MaxBodyLength = 320

// Placeholder is the one placeholder the words may hold: the company's name,
// filled in when the text is queued.
const Placeholder = "{{company_name}}"

// Errors of this package, matched with errors.Is. The HTTP layer maps them
// (400 invalid_auto_reply, 400 invalid_business_hours); their text names the
// field and what is wrong with it.
var (
	// ErrInvalidBody: the words are missing while the auto-reply is on, too
	// long, hold control characters, or a placeholder other than
	// {{company_name}}.
	ErrInvalidBody = errors.New("invalid auto-reply")
	// ErrInvalidHours: the business hours are not HH:MM ranges, ordered and
	// not overlapping, on the days mon to sun.
	ErrInvalidHours = errors.New("invalid business hours")
)

// Settings are a company's auto-reply settings. The zero Settings are off,
// with no words and no business hours.
type Settings struct {
	Enabled bool `json:"enabled"`
	// Body is the text sent, {{company_name}} filled in.
	Body string `json:"body"`
	// Hours are the business hours, in the company's time zone.
	Hours Week `json:"business_hours"`
}

// Default is what a company that never set its auto-reply has: off, with
// words a company may keep, and business hours of 09:00 to 17:00 Monday to
// Friday.
func Default() Settings {
	nineToFive := []Range{{Start: 9 * 60, End: 17 * 60}}
	var w Week
	for d := 1; d <= 5; d++ {
		w[d] = nineToFive
	}
	return Settings{
		Enabled: false,
		Body:    "{{company_name}}: Thanks for your message. We are closed right now and will answer during business hours.",
		Hours:   w,
	}
}

// New checks settings as a company asks for them: the words (required while
// enabled, at most MaxBodyLength characters, no control characters but line
// breaks, no placeholder but {{company_name}}) and the business hours (see
// ParseWeek). Surrounding white space of the words is dropped.
func New(enabled bool, body string, hours map[string][][]string) (Settings, error) {
	body, err := checkBody(enabled, body)
	if err != nil {
		return Settings{}, err
	}
	w, err := ParseWeek(hours)
	if err != nil {
		return Settings{}, err
	}
	return Settings{Enabled: enabled, Body: body, Hours: w}, nil
}

// Render is the auto-reply's words for a company named companyName.
func (s Settings) Render(companyName string) string {
	return strings.ReplaceAll(s.Body, Placeholder, companyName)
}

// Equal reports whether s and o are the same settings.
func (s Settings) Equal(o Settings) bool {
	return s.Enabled == o.Enabled && s.Body == o.Body && s.Hours.Equal(o.Hours)
}

func checkBody(enabled bool, body string) (string, error) {
	if !utf8.ValidString(body) {
		return "", fmt.Errorf("%w: body is not valid UTF-8", ErrInvalidBody)
	}
	body = strings.TrimSpace(body)
	switch {
	case body == "" && enabled:
		return "", fmt.Errorf("%w: body is required while the auto-reply is enabled", ErrInvalidBody)
	case utf8.RuneCountInString(body) > MaxBodyLength:
		return "", fmt.Errorf("%w: body is longer than %d characters", ErrInvalidBody, MaxBodyLength)
	case strings.ContainsFunc(body, func(r rune) bool { return unicode.IsControl(r) && r != '\n' }):
		return "", fmt.Errorf("%w: body holds control characters", ErrInvalidBody)
	}
	rest := strings.ReplaceAll(body, Placeholder, "")
	if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		return "", fmt.Errorf("%w: body may hold no placeholder but %s", ErrInvalidBody, Placeholder)
	}
	return body, nil
}
