// Package lead is the lead aggregate: the customer's name and email, kept
// per (company, phone) in the stream "lead-<company>-<phone>". It is pure:
// Decide checks a command against the folded state and returns the events
// to record; Evolve folds them.
//
// The stream also holds FormSubmitted events (a form submission, kept there
// as consent evidence; form.go), which Evolve skips: the lead facts of a
// form are its LeadCreated or LeadUpdated.
package lead

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// Event types, as stored in eventstore.EventData.Type.
const (
	TypeLeadCreated   = "LeadCreated"
	TypeLeadUpdated   = "LeadUpdated"
	TypeFormSubmitted = "FormSubmitted"
)

// StreamPrefix starts the name of every lead stream.
const StreamPrefix = "lead-"

var idNamespace = uuid.MustParse("6f1d3c7a-2b4e-4f5a-8c9d-0e1f2a3b4c5d")

// ID is the lead of a customer of a company: one per (company, phone), a
// UUID v5 of both, so that a form and the dashboard find the same lead.
func ID(companyID string, customer phone.Number) uuid.UUID {
	return uuid.NewSHA1(idNamespace, []byte(companyID+"/"+string(customer)))
}

// StreamID names a lead's stream: "lead-<company>-<phone>".
func StreamID(companyID string, customer phone.Number) eventstore.StreamID {
	return eventstore.StreamID(StreamPrefix + companyID + "-" + string(customer))
}

// SourceDashboard is the source of a lead a user created in the dashboard;
// a form's lead has the source "app:<name>".
const SourceDashboard = "dashboard"

// MaxName is the longest first or last name, in characters.
const MaxName = 100

var (
	// ErrLeadExists: the customer already has a lead (HTTP 409 lead_exists).
	ErrLeadExists = errors.New("a lead is already linked to this customer")
	// ErrInvalid: a field is missing or wrong; the error is a FieldErrors.
	ErrInvalid = errors.New("invalid lead")
	// ErrUnknownEvent: Decode met a type it does not know.
	ErrUnknownEvent = errors.New("unknown lead event")
)

// FieldErrors maps a field to what is wrong with it. It matches ErrInvalid.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + f[k]
	}
	return "invalid lead: " + strings.Join(parts, "; ")
}

// Is makes a FieldErrors match ErrInvalid.
func (f FieldErrors) Is(target error) bool { return target == ErrInvalid }

// Event is a lead event.
type Event interface {
	EventType() string
	OccurredAt() time.Time
}

// Details are the facts a lead records.
type Details struct {
	LeadID        uuid.UUID    `json:"lead_id"`
	CompanyID     string       `json:"company_id"`
	CustomerPhone phone.Number `json:"customer_phone"`
	ThreadID      uuid.UUID    `json:"thread_id"`
	FirstName     string       `json:"first_name"`
	LastName      string       `json:"last_name"`
	Email         string       `json:"email"`
	Source        string       `json:"source"`
	At            time.Time    `json:"at"`
}

// OccurredAt returns d.At.
func (d Details) OccurredAt() time.Time { return d.At }

// LeadCreated records a new lead.
type LeadCreated struct{ Details }

// LeadUpdated records a lead's new name or email (a form submitted again).
type LeadUpdated struct{ Details }

// DetailsOf is the lead as LeadCreated or LeadUpdated records it; false for
// any other event.
func DetailsOf(e Event) (Details, bool) {
	switch e := e.(type) {
	case LeadCreated:
		return e.Details, true
	case LeadUpdated:
		return e.Details, true
	}
	return Details{}, false
}

func (LeadCreated) EventType() string { return TypeLeadCreated }
func (LeadUpdated) EventType() string { return TypeLeadUpdated }

// State is a lead folded from its stream.
type State struct {
	Exists bool
	Details
}

// Evolve folds one event.
func Evolve(s State, e Event) State {
	switch e := e.(type) {
	case LeadCreated:
		return State{Exists: true, Details: e.Details}
	case LeadUpdated:
		s.Exists = true
		s.Details = e.Details
	}
	return s
}

// Create creates a lead; it fails with ErrLeadExists when there is one.
type Create struct{ Details }

// Submit records a form's lead: created when there is none, updated when a
// name or the email changed, nothing otherwise.
type Submit struct{ Details }

// Decide checks a command (Create or Submit) against the state.
func Decide(s State, cmd any) ([]Event, error) {
	switch c := cmd.(type) {
	case Create:
		d, err := Check(c.Details)
		if err != nil {
			return nil, err
		}
		if s.Exists {
			return nil, ErrLeadExists
		}
		return []Event{LeadCreated{d}}, nil
	case Submit:
		d, err := Check(c.Details)
		if err != nil {
			return nil, err
		}
		if !s.Exists {
			return []Event{LeadCreated{d}}, nil
		}
		if s.FirstName == d.FirstName && s.LastName == d.LastName && s.Email == d.Email {
			return nil, nil
		}
		d.LeadID, d.ThreadID = s.LeadID, s.ThreadID
		return []Event{LeadUpdated{d}}, nil
	}
	return nil, fmt.Errorf("%w: unknown command %T", ErrInvalid, cmd)
}

// Check trims and checks a lead's fields: names required, at most MaxName
// characters, no control characters; one bare email address whose domain
// has a dot.
func Check(d Details) (Details, error) {
	errs := FieldErrors{}
	d.FirstName = checkName(errs, "first_name", d.FirstName)
	d.LastName = checkName(errs, "last_name", d.LastName)
	d.Email = strings.TrimSpace(d.Email)
	if msg := checkEmail(d.Email); msg != "" {
		errs["email"] = msg
	}
	if d.LeadID == uuid.Nil || d.CompanyID == "" || d.CustomerPhone == "" || d.ThreadID == uuid.Nil {
		errs["lead"] = "lead, company, phone and thread are required"
	}
	if d.Source != SourceDashboard && (!strings.HasPrefix(d.Source, "app:") || len(d.Source) == len("app:")) {
		errs["source"] = `must be "dashboard" or "app:<name>"`
	}
	if len(errs) > 0 {
		return d, errs
	}
	return d, nil
}

func checkName(errs FieldErrors, field, s string) string {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		errs[field] = "is not valid UTF-8"
	case s == "":
		errs[field] = "is required"
	case utf8.RuneCountInString(s) > MaxName:
		errs[field] = fmt.Sprintf("is longer than %d characters", MaxName)
	case strings.ContainsFunc(s, unicode.IsControl):
		errs[field] = "holds control characters"
	}
	return s
}

func checkEmail(s string) string {
	if s == "" {
		return "is required"
	}
	if len(s) > 254 || strings.ContainsFunc(s, unicode.IsSpace) {
		return "is not an email address"
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return "is not an email address"
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") ||
		strings.Contains(domain, "..") || strings.HasPrefix(domain, "[") {
		return "needs a domain with a dot (name@example.com)"
	}
	return ""
}

// Decode reads a stored event back.
func Decode(eventType string, data []byte) (Event, error) {
	switch eventType {
	case TypeLeadCreated:
		var e LeadCreated
		err := json.Unmarshal(data, &e)
		return e, wrapDecode(eventType, err)
	case TypeLeadUpdated:
		var e LeadUpdated
		err := json.Unmarshal(data, &e)
		return e, wrapDecode(eventType, err)
	case TypeFormSubmitted:
		var e FormSubmitted
		err := json.Unmarshal(data, &e)
		return e, wrapDecode(eventType, err)
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownEvent, eventType)
}

func wrapDecode(eventType string, err error) error {
	if err != nil {
		return fmt.Errorf("decode %s: %w", eventType, err)
	}
	return nil
}
