package lead

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// A form submission (an app's web form: name, email, phone, the opt-in box)
// is kept as a FormSubmitted event in the lead's stream, as consent
// evidence; the lead it creates or updates follows it (Submit).
//
// CheckForm's rules, one a field:
//
//	| field                 | rule                                                          |
//	|-----------------------|---------------------------------------------------------------|
//	| company, phone        | required                                                      |
//	| first_name, last_name | required, at most 100 characters                              |
//	| email                 | one bare address (no display name), at most 254 characters,   |
//	|                       |   its domain a host name of two labels or more                |
//	| app                   | required, at most 64 of letters, digits, - and _; not one of  |
//	|                       |   smsinbox's own names (company.CheckSubmittedApp)            |
//	| ip                    | an IP address, when given (kept in its canonical form)        |
//	| user_agent            | at most 512 characters, when given                            |
//	| consent_text          | at most 2,000 characters; line breaks and tabs allowed        |
//	| page_url              | an absolute http or https URL, at most 2,048 characters       |
//
// Every text is trimmed, valid UTF-8 and free of control characters (but
// consent_text's line breaks and tabs). A bad email is ErrInvalidEmail,
// anything else ErrInvalidForm (HTTP 400 invalid_email, invalid_request).

// Errors of form submissions, matched with errors.Is.
var (
	ErrInvalidEmail = errors.New("invalid email address")
	ErrInvalidForm  = errors.New("invalid form submission")
)

// Limits of a form submission's fields, in characters.
const (
	maxFormName      = MaxName
	maxFormEmail     = 254 // RFC 5321's path limit
	maxFormApp       = 64
	maxFormUserAgent = 512
	maxConsentText   = 2000
	maxPageURL       = 2048
)

// FormSubmitted keeps a form submission, in the lead's stream.
type FormSubmitted struct {
	LeadID      uuid.UUID    `json:"lead_id"`
	CompanyID   string       `json:"company_id"`
	Phone       phone.Number `json:"phone"`
	FirstName   string       `json:"first_name"`
	LastName    string       `json:"last_name"`
	Email       string       `json:"email"`
	OptIn       bool         `json:"opt_in"`
	App         string       `json:"app"`
	IP          string       `json:"ip,omitempty"`
	UserAgent   string       `json:"user_agent,omitempty"`
	ConsentText string       `json:"consent_text,omitempty"`
	PageURL     string       `json:"page_url,omitempty"`
	Actor       string       `json:"actor"`
	SubmittedAt time.Time    `json:"submitted_at"`
}

func (FormSubmitted) EventType() string       { return TypeFormSubmitted }
func (f FormSubmitted) OccurredAt() time.Time { return f.SubmittedAt }

// CheckForm checks a submission by the table above and returns it as it is
// kept: its fields trimmed, its IP canonical, LeadID the customer's lead.
func CheckForm(f FormSubmitted) (FormSubmitted, error) {
	if f.CompanyID == "" || f.Phone == "" {
		return f, fmt.Errorf("%w: company and phone are required", ErrInvalidForm)
	}
	f.LeadID = ID(f.CompanyID, f.Phone)
	var err error
	if f.FirstName, err = formText("first_name", f.FirstName, maxFormName, true); err != nil {
		return f, err
	}
	if f.LastName, err = formText("last_name", f.LastName, maxFormName, true); err != nil {
		return f, err
	}
	if f.Email, err = formEmail(f.Email); err != nil {
		return f, err
	}
	if f.App, err = formText("app", f.App, maxFormApp, true); err != nil {
		return f, err
	}
	if strings.ContainsFunc(f.App, func(r rune) bool {
		return !(r < utf8.RuneSelf && (r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)))
	}) {
		return f, fmt.Errorf("%w: app %q may hold only letters, digits, - and _ (such as text_us_now)", ErrInvalidForm, f.App)
	}
	if err := company.CheckSubmittedApp(f.App); err != nil {
		return f, fmt.Errorf("%w: %w", ErrInvalidForm, err)
	}
	if f.IP = strings.TrimSpace(f.IP); f.IP != "" {
		parsed := net.ParseIP(f.IP)
		if parsed == nil {
			return f, fmt.Errorf("%w: ip %q is not an IP address", ErrInvalidForm, f.IP)
		}
		f.IP = parsed.String()
	}
	if f.UserAgent, err = formText("user_agent", f.UserAgent, maxFormUserAgent, false); err != nil {
		return f, err
	}
	if f.ConsentText, err = consentText(f.ConsentText); err != nil {
		return f, err
	}
	if f.PageURL, err = pageURL(f.PageURL); err != nil {
		return f, err
	}
	return f, nil
}

// formText trims a text field and checks it: valid UTF-8, no control
// characters, at most limit characters, present when required.
func formText(field, s string, limit int, required bool) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalidForm, field)
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		return "", fmt.Errorf("%w: %s is required", ErrInvalidForm, field)
	case utf8.RuneCountInString(s) > limit:
		return "", fmt.Errorf("%w: %s is longer than %d characters", ErrInvalidForm, field, limit)
	case strings.ContainsFunc(s, unicode.IsControl):
		return "", fmt.Errorf("%w: %s holds control characters", ErrInvalidForm, field)
	}
	return s, nil
}

// formEmail accepts one bare address (no display name, no comments), with a
// domain of at least two labels, at most 254 characters. (A form's email is
// held to more than a dashboard lead's, Check: its domain must be a host
// name.)
func formEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) (string, error) {
		if s == "" {
			return "", fmt.Errorf("%w: email is required", ErrInvalidEmail)
		}
		return "", fmt.Errorf("%w %q: %s", ErrInvalidEmail, s, why)
	}
	if s == "" || !utf8.ValidString(s) || len(s) > maxFormEmail || strings.ContainsFunc(s, unicode.IsSpace) {
		return bad("not an email address")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return bad("not an email address")
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	labels := strings.Split(domain, ".")
	if at <= 0 || len(labels) < 2 || strings.HasPrefix(domain, "[") {
		return bad("the domain needs a dot (name@example.com)")
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") ||
			strings.ContainsFunc(l, func(r rune) bool {
				return r < utf8.RuneSelf && !(r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r))
			}) {
			return bad("the domain is not a host name")
		}
	}
	return s, nil
}

// consentText checks the disclosure the customer saw: valid UTF-8, at most
// 2,000 characters, no control characters but line breaks and tabs (a
// disclosure may have paragraphs).
func consentText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: consent_text is not valid UTF-8", ErrInvalidForm)
	}
	s = strings.TrimSpace(s)
	switch {
	case utf8.RuneCountInString(s) > maxConsentText:
		return "", fmt.Errorf("%w: consent_text is longer than %d characters", ErrInvalidForm, maxConsentText)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		return "", fmt.Errorf("%w: consent_text holds control characters", ErrInvalidForm)
	}
	return s, nil
}

// pageURL checks the form's page: an absolute http or https URL with a
// host, at most 2,048 characters.
func pageURL(s string) (string, error) {
	s, err := formText("page_url", s, maxPageURL, false)
	if err != nil || s == "" {
		return s, err
	}
	u, perr := url.Parse(s)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%w: page_url %q is not an http or https URL", ErrInvalidForm, s)
	}
	return s, nil
}
