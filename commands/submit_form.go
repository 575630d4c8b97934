package commands

import (
	"context"
	"encoding/json"
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
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// Errors of form submissions, matched with errors.Is (HTTP: 400
// invalid_email and invalid_request).
var (
	ErrInvalidEmail = errors.New("invalid email address")
	ErrInvalidForm  = errors.New("invalid form submission")
)

// Limits of a form submission's fields, in characters.
const (
	maxFormName      = 100
	maxFormEmail     = 254 // RFC 5321's path limit
	maxFormApp       = 64
	maxFormUserAgent = 512
	maxConsentText   = 2000
	maxPageURL       = 2048
)

// SubmitForm is an app form submission (POST /api/forms/submissions).
type SubmitForm struct {
	CompanyID string
	// Phone, already parsed (phone.Parse with the company's country).
	Phone                      phone.Number
	FirstName, LastName, Email string
	// OptIn: the opt-in box was ticked.
	OptIn bool
	// App is the app whose form it was; IP and UserAgent the submitter's,
	// when the app gave them.
	App, IP, UserAgent string
	// ConsentText is the disclosure the customer saw beside the opt-in box
	// (at most 2,000 characters) and PageURL the form's page (an http or
	// https URL), when the app gave them: a carrier's proof of opt-in.
	ConsentText, PageURL string
	// Actor submitted it ("user:<id>").
	Actor string
}

// FormResult is what a form submission did.
type FormResult struct {
	LeadID uuid.UUID
	// Consent is the customer's consent on the company's current number
	// after the submission.
	Consent consent.Status
	// Position is the last event the submission appended.
	Position eventstore.Position
}

// A form submission is kept as a FormSubmitted event in the lead's stream
// (one lead per (company, phone), a UUID v5 of both), followed by the lead
// it creates or updates (domain/lead).

// TypeFormSubmitted is the type of the event that keeps a form submission.
const TypeFormSubmitted = "FormSubmitted"

// LeadStreamPrefix starts the name of every lead stream.
const LeadStreamPrefix = "lead-"

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

var leadNamespace = uuid.MustParse("6f1d3c7a-2b4e-4f5a-8c9d-0e1f2a3b4c5d")

// LeadID is the lead of a customer of a company (a UUID v5 of both).
func LeadID(companyID string, customer phone.Number) uuid.UUID {
	return uuid.NewSHA1(leadNamespace, []byte(companyID+"/"+string(customer)))
}

// LeadStreamID names a lead's stream: "lead-<company>-<phone>".
func LeadStreamID(companyID string, customer phone.Number) eventstore.StreamID {
	return eventstore.StreamID(LeadStreamPrefix + companyID + "-" + string(customer))
}

// SubmitFormHandler records form submissions.
type SubmitFormHandler struct {
	Store eventstore.Store
	// Now is the clock.
	Now func() time.Time
	// Texts queues the confirmation request.
	Texts TextQueue
}

// Handle checks the form, keeps it in the lead's stream and, when the opt-in
// box was ticked and consent is no, requests consent (pending) and queues
// the confirmation request (reply YES). A company with sms_enabled false
// texts nothing: its opt-in is kept in the form and consent stays no. When
// consent is already pending (a form submitted again, or a retry of one that
// stopped before queuing), the confirmation request of the pending request
// is queued again, which records nothing when it was queued already.
func (h SubmitFormHandler) Handle(ctx context.Context, cmd SubmitForm) (FormResult, error) {
	at := consentTime(h.Now())
	form, err := checkForm(cmd, at)
	if err != nil {
		return FormResult{}, err
	}
	co, err := LoadCompany(ctx, h.Store, cmd.CompanyID)
	if err != nil {
		return FormResult{}, failed("form of "+cmd.CompanyID, err)
	}
	doc, err := json.Marshal(form)
	if err != nil {
		return FormResult{}, err
	}
	res, err := h.Store.Append(ctx, LeadStreamID(cmd.CompanyID, cmd.Phone), eventstore.Any(), eventstore.EventData{
		ID: uuid.Must(uuid.NewV7()), Type: TypeFormSubmitted, SchemaVersion: 1, Data: doc,
		Metadata: eventstore.Metadata{Actor: cmd.Actor}, OccurredAt: at,
	})
	if err != nil {
		return FormResult{}, fmt.Errorf("record form submission: %w", err)
	}
	out := FormResult{LeadID: form.LeadID, Position: res.Position}
	leadPos, err := submitLead(ctx, h.Store, form, cmd.Actor)
	if err != nil {
		return FormResult{}, fmt.Errorf("record the form's lead: %w", err)
	}
	out.Position = max(out.Position, leadPos)
	stream := consent.StreamID(cmd.CompanyID, cmd.Phone)
	var state consent.State
	if cmd.OptIn && co.SMSEnabled {
		run, err := executeConsent(ctx, h.Store, consentRun{
			Stream: stream,
			Command: consent.RequestConsent{
				CompanyID: cmd.CompanyID, CustomerPhone: cmd.Phone, MessagingNumber: co.MessagingNumber,
				CompanyName: co.Name, Texts: co.Texts(), App: form.App, IP: form.IP, UserAgent: form.UserAgent,
				ConsentText: form.ConsentText, PageURL: form.PageURL, Actor: cmd.Actor, At: at,
			},
			Meta: eventstore.Metadata{CorrelationID: form.LeadID.String(), Actor: cmd.Actor},
		})
		if err != nil {
			return FormResult{}, fmt.Errorf("request consent: %w", err)
		}
		state = run.State
		caused := run.Appended
		if len(caused) == 0 && state.Status == consent.StatusPending && state.MessagingNumber == co.MessagingNumber {
			caused = tail(run.History, func(r consentRecord) bool { return r.Event.EventType() == consent.TypeConsentRequested })
			if len(caused) > 1 {
				caused = caused[len(caused)-1:]
			}
		}
		pos, err := queueTexts(ctx, h.Texts, automatedTexts(caused, form.LeadID.String()), max(out.Position, run.Position))
		if err != nil {
			return FormResult{}, err
		}
		out.Position = pos
	} else if state, err = LoadConsent(ctx, h.Store, stream); err != nil {
		return FormResult{}, err
	}
	if state.MessagingNumber == co.MessagingNumber {
		out.Consent = state.Status
	}
	return out, nil
}

// checkForm checks a submission and makes its event.
func checkForm(cmd SubmitForm, at time.Time) (FormSubmitted, error) {
	f := FormSubmitted{
		LeadID: LeadID(cmd.CompanyID, cmd.Phone), CompanyID: cmd.CompanyID, Phone: cmd.Phone, OptIn: cmd.OptIn,
		Actor: cmd.Actor, SubmittedAt: at,
	}
	if cmd.CompanyID == "" || cmd.Phone == "" {
		return f, fmt.Errorf("%w: company and phone are required", ErrInvalidForm)
	}
	var err error
	if f.FirstName, err = formText("first_name", cmd.FirstName, maxFormName, true); err != nil {
		return f, err
	}
	if f.LastName, err = formText("last_name", cmd.LastName, maxFormName, true); err != nil {
		return f, err
	}
	if f.Email, err = checkEmail(cmd.Email); err != nil {
		return f, err
	}
	if f.App, err = formText("app", cmd.App, maxFormApp, true); err != nil {
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
	if ip := strings.TrimSpace(cmd.IP); ip != "" {
		parsed := net.ParseIP(ip)
		if parsed == nil {
			return f, fmt.Errorf("%w: ip %q is not an IP address", ErrInvalidForm, ip)
		}
		f.IP = parsed.String()
	}
	if f.UserAgent, err = formText("user_agent", cmd.UserAgent, maxFormUserAgent, false); err != nil {
		return f, err
	}
	if f.ConsentText, err = consentText(cmd.ConsentText); err != nil {
		return f, err
	}
	if f.PageURL, err = pageURL(cmd.PageURL); err != nil {
		return f, err
	}
	return f, nil
}

// formText trims a text field and checks it: valid UTF-8, no control
// characters, at most max characters, present when required.
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

// checkEmail accepts one bare address (no display name, no comments), with a
// domain of at least two labels, at most 254 characters.
func checkEmail(s string) (string, error) {
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
