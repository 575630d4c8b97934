package company

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// Event types, as stored in eventstore.EventData.Type.
const (
	TypeCompanyCreated         = "CompanyCreated"
	TypeCompanyUpdated         = "CompanyUpdated"
	TypeMessagingNumberChanged = "MessagingNumberChanged"
	TypeUserAdded              = "UserAdded"
	TypeCompanyAbandoned       = "CompanyAbandoned"
	TypeNumberClaimed          = "NumberClaimed"
)

// EventTypes lists every event type of this package, for subscription
// filters: those of company streams, then NumberClaimed of number streams.
func EventTypes() []string {
	return []string{
		TypeCompanyCreated, TypeCompanyUpdated, TypeMessagingNumberChanged, TypeUserAdded,
		TypeUserRemoved, TypeUserTokenRotated, TypeAppKeyIssued, TypeAppKeyRevoked, TypeQuietHoursChanged, TypeCompanyAbandoned, TypeNumberClaimed,
		TypeAutoReplySet, TypeAutomatedTextsSet,
	}
}

// Event is one fact about a company or a number. Its JSON document
// (encoding/json, snake_case fields) is what the store keeps.
type Event interface {
	// EventType is the stored type name, such as "CompanyCreated".
	EventType() string
	// OccurredAt is when it happened (eventstore.EventData.OccurredAt).
	OccurredAt() time.Time
}

// CompanyCreated: a company exists, with its first messaging number.
type CompanyCreated struct {
	CompanyID       string       `json:"company_id"`
	Name            string       `json:"name"`
	MessagingNumber phone.Number `json:"messaging_number"`
	// TimeZone is an IANA name ("America/New_York", "UTC").
	TimeZone   string `json:"time_zone"`
	SMSEnabled bool   `json:"sms_enabled"`
	// Country is the ISO 3166-1 region in which national phone numbers
	// given to this company are read ("US").
	Country string    `json:"country"`
	At      time.Time `json:"at"`
}

// CompanyUpdated: some settings changed. Only the fields that changed are
// present; the others are nil (and absent from the document).
type CompanyUpdated struct {
	CompanyID  string    `json:"company_id"`
	Name       *string   `json:"name,omitempty"`
	TimeZone   *string   `json:"time_zone,omitempty"`
	SMSEnabled *bool     `json:"sms_enabled,omitempty"`
	At         time.Time `json:"at"`
}

// MessagingNumberChanged: the company texts from a new number. The previous
// one stays the company's (it still routes inbound texts to it); consent
// given on it does not carry over (docs/rules.md, "Consent").
type MessagingNumberChanged struct {
	CompanyID       string       `json:"company_id"`
	PreviousNumber  phone.Number `json:"previous_number"`
	MessagingNumber phone.Number `json:"messaging_number"`
	At              time.Time    `json:"at"`
}

// UserAdded: a user of the company, with the SHA-256 (HashToken) of the
// bearer token they sign in with.
type UserAdded struct {
	CompanyID string    `json:"company_id"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	TokenHash string    `json:"token_hash"`
	At        time.Time `json:"at"`
}

// CompanyAbandoned: the creation of this company never completed (its number
// was claimed but CompanyCreated was never recorded), and another company has
// taken the number over. The company ID may never be used; no company exists
// under it. Read models have nothing to show for it.
type CompanyAbandoned struct {
	CompanyID string `json:"company_id"`
	// Number is the number whose orphan claim was taken over.
	Number phone.Number `json:"number"`
	At     time.Time    `json:"at"`
}

// NumberClaimed: the number belongs to the company. It is recorded once per
// number, unless it takes over the orphan claim of a company that was never
// created (ReplacesCompanyID, see DecideClaim).
type NumberClaimed struct {
	Number    phone.Number `json:"number"`
	CompanyID string       `json:"company_id"`
	// ReplacesCompanyID is the abandoned company whose claim this replaces;
	// empty for a number's first claim.
	ReplacesCompanyID string    `json:"replaces_company_id,omitempty"`
	At                time.Time `json:"at"`
}

func (CompanyCreated) EventType() string         { return TypeCompanyCreated }
func (CompanyUpdated) EventType() string         { return TypeCompanyUpdated }
func (MessagingNumberChanged) EventType() string { return TypeMessagingNumberChanged }
func (UserAdded) EventType() string              { return TypeUserAdded }
func (CompanyAbandoned) EventType() string       { return TypeCompanyAbandoned }
func (NumberClaimed) EventType() string          { return TypeNumberClaimed }

func (e CompanyCreated) OccurredAt() time.Time         { return e.At }
func (e CompanyUpdated) OccurredAt() time.Time         { return e.At }
func (e MessagingNumberChanged) OccurredAt() time.Time { return e.At }
func (e UserAdded) OccurredAt() time.Time              { return e.At }
func (e CompanyAbandoned) OccurredAt() time.Time       { return e.At }
func (e NumberClaimed) OccurredAt() time.Time          { return e.At }

// Decode reads a stored event back: eventType is eventstore.EventData.Type and
// data its JSON document. An unknown type is an error matching
// ErrUnknownEvent; unknown fields are ignored, so older code reads newer
// documents.
func Decode(eventType string, data []byte) (Event, error) {
	switch eventType {
	case TypeCompanyCreated:
		return decode[CompanyCreated](eventType, data)
	case TypeCompanyUpdated:
		return decode[CompanyUpdated](eventType, data)
	case TypeMessagingNumberChanged:
		return decode[MessagingNumberChanged](eventType, data)
	case TypeUserAdded:
		return decode[UserAdded](eventType, data)
	case TypeUserRemoved:
		return decode[UserRemoved](eventType, data)
	case TypeUserTokenRotated:
		return decode[UserTokenRotated](eventType, data)
	case TypeAppKeyIssued:
		return decode[AppKeyIssued](eventType, data)
	case TypeAppKeyRevoked:
		return decode[AppKeyRevoked](eventType, data)
	case TypeQuietHoursChanged:
		return decode[QuietHoursChanged](eventType, data)
	case TypeCompanyAbandoned:
		return decode[CompanyAbandoned](eventType, data)
	case TypeNumberClaimed:
		return decode[NumberClaimed](eventType, data)
	case TypeAutoReplySet:
		return decode[AutoReplySet](eventType, data)
	case TypeAutomatedTextsSet:
		return decode[AutomatedTextsSet](eventType, data)
	default:
		return nil, fmt.Errorf("%w %q", ErrUnknownEvent, eventType)
	}
}

func decode[E Event](eventType string, data []byte) (Event, error) {
	var e E
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
