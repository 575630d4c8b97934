package company

import (
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// OrphanAfter is how long after its claim a company's creation may still be
// under way. A claim whose company was not created within it is an orphan
// (see Orphaned), which another company may take over. Creating a company
// takes two appends, milliseconds apart; a minute leaves room for any retry.
const OrphanAfter = time.Minute

// Command is what can be asked of a company: CreateCompany, UpdateCompany,
// ChangeMessagingNumber, AddUser, RemoveUser, RotateUserToken, IssueAppKey,
// RevokeAppKey or AbandonCompany.
type Command interface{ isCommand() }

// CreateCompany creates the company. The caller makes its ID and claims its
// number (ClaimNumber) first.
type CreateCompany struct {
	CompanyID string
	// Name: required, at most MaxNameLen characters (surrounding white space
	// is dropped).
	Name string
	// MessagingNumber in E.164 form (phone.Parse).
	MessagingNumber phone.Number
	// TimeZone is an IANA name; DefaultTimeZone when empty.
	TimeZone string
	// SMSEnabled: true when nil.
	SMSEnabled *bool
	// Country: an ISO 3166-1 alpha-2 region; DefaultCountry when empty.
	Country string
	At      time.Time
}

// UpdateCompany changes settings: each non-nil field is a wish, and only the
// ones that differ from the state are recorded.
type UpdateCompany struct {
	Name *string
	// TimeZone: an IANA name; empty is refused (it is not "back to UTC").
	TimeZone   *string
	SMSEnabled *bool
	// QuietHours: the company's own sending window (quiethours.go); the
	// zero QuietHours drops it.
	QuietHours *QuietHours
	At         time.Time
}

// ChangeMessagingNumber makes MessagingNumber the company's current number.
// The caller claims it (ClaimNumber) first.
type ChangeMessagingNumber struct {
	MessagingNumber phone.Number
	At              time.Time
}

// AddUser adds a user. The caller makes the user's ID and token and gives
// only the token's HashToken.
type AddUser struct {
	UserID    string
	Name      string
	Role      Role
	TokenHash string
	At        time.Time
}

// AbandonCompany forbids for ever the company ID of an orphan claim, so that
// its number may be taken over (see DecideClaim). It is decided on the
// stream of Claim.CompanyID.
type AbandonCompany struct {
	// Claim is the orphan claim, as the number's stream holds it now.
	Claim Claim
	At    time.Time
}

func (CreateCompany) isCommand()         {}
func (UpdateCompany) isCommand()         {}
func (ChangeMessagingNumber) isCommand() {}
func (AddUser) isCommand()               {}
func (AbandonCompany) isCommand()        {}

// Decide returns the events that command c causes on a company in state s;
// none when it changes nothing. The rules (docs/rules.md, "Tenancy"):
//
//   - CreateCompany records CompanyCreated, with the defaults filled in, on a
//     stream with no company (ErrCompanyExists otherwise; ErrNumberTaken when
//     the creation was abandoned, because its number was taken over).
//   - UpdateCompany records CompanyUpdated with only the fields that change,
//     and QuietHoursChanged when the company's own window changes; when
//     nothing changes it decides nothing. Every field is checked before
//     anything is recorded.
//   - ChangeMessagingNumber records MessagingNumberChanged with the previous
//     number; the same number decides nothing.
//   - AddUser records UserAdded; a user ID the company has, or had, is
//     ErrUserExists.
//   - RemoveUser records UserRemoved; RotateUserToken records
//     UserTokenRotated with a hash that differs from the current one. Both
//     need a current user: an unknown or removed one is ErrUserNotFound.
//   - IssueAppKey records AppKeyIssued for a valid app (CheckApp);
//     RevokeAppKey records AppKeyRevoked once (ErrAppKeyNotFound for a key
//     the company never had).
//   - Every command but CreateCompany and AbandonCompany needs a company
//     (ErrCompanyNotFound).
//   - SetAutoReply and SetAutomatedTexts record AutoReplySet and
//     AutomatedTextsSet (settings.go) when the settings pass their checks
//     (autoreply.New, consent.CheckTexts, whose errors they answer) and
//     differ from the company's.
//   - AbandonCompany records CompanyAbandoned on a stream with no company,
//     only when Orphaned says the claim is an orphan; a company that exists
//     is ErrCompanyExists, an abandoned one decides nothing.
//
// A command that lacks what it needs, or holds a value that is not
// acceptable, fails with ErrInvalidCommand. Every error is an *Error.
func Decide(s State, c Command) ([]Event, error) {
	switch c := c.(type) {
	case CreateCompany:
		return create(s, c)
	case UpdateCompany:
		return update(s, c)
	case ChangeMessagingNumber:
		return changeNumber(s, c)
	case AddUser:
		return addUser(s, c)
	case RemoveUser:
		return removeUser(s, c)
	case RotateUserToken:
		return rotateToken(s, c)
	case AbandonCompany:
		return abandon(s, c)
	case IssueAppKey:
		return issueAppKey(s, c)
	case RevokeAppKey:
		return revokeAppKey(s, c)
	case SetAutoReply:
		return setAutoReply(s, c)
	case SetAutomatedTexts:
		return setTexts(s, c)
	default:
		return nil, invalidf("unknown company command %T", c)
	}
}

func create(s State, c CreateCompany) ([]Event, error) {
	if err := validID("company ID", c.CompanyID); err != nil {
		return nil, err
	}
	name, err := cleanName("name", c.Name)
	if err != nil {
		return nil, err
	}
	if err := checkNumber("messaging number", c.MessagingNumber); err != nil {
		return nil, err
	}
	tz := DefaultTimeZone
	if c.TimeZone != "" {
		if tz, err = checkTimeZone(c.TimeZone); err != nil {
			return nil, err
		}
	}
	country, err := checkCountry(c.Country)
	if err != nil {
		return nil, err
	}
	if err := checkTime(c.At); err != nil {
		return nil, err
	}
	switch {
	case s.Abandoned():
		return nil, &Error{Err: ErrNumberTaken, Message: fmt.Sprintf(
			"the creation of company %s was abandoned: its messaging number was given to another company", c.CompanyID)}
	case s.Exists():
		return nil, &Error{Err: ErrCompanyExists, Message: fmt.Sprintf("company %s already exists", s.CompanyID)}
	}
	enabled := true
	if c.SMSEnabled != nil {
		enabled = *c.SMSEnabled
	}
	return []Event{CompanyCreated{
		CompanyID:       c.CompanyID,
		Name:            name,
		MessagingNumber: c.MessagingNumber,
		TimeZone:        tz,
		SMSEnabled:      enabled,
		Country:         country,
		At:              c.At,
	}}, nil
}

func update(s State, c UpdateCompany) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	e := CompanyUpdated{CompanyID: s.CompanyID, At: c.At}
	changed := false
	if c.Name != nil {
		name, err := cleanName("name", *c.Name)
		if err != nil {
			return nil, err
		}
		if name != s.Name {
			e.Name, changed = &name, true
		}
	}
	if c.TimeZone != nil {
		tz, err := checkTimeZone(*c.TimeZone)
		if err != nil {
			return nil, err
		}
		if tz != s.TimeZone {
			e.TimeZone, changed = &tz, true
		}
	}
	if c.SMSEnabled != nil && *c.SMSEnabled != s.SMSEnabled {
		enabled := *c.SMSEnabled
		e.SMSEnabled, changed = &enabled, true
	}
	var out []Event
	if changed {
		out = append(out, e)
	}
	if c.QuietHours != nil {
		q, err := quietHoursChange(s, *c.QuietHours, c.At)
		if err != nil {
			return nil, err
		}
		if q != nil {
			out = append(out, q)
		}
	}
	return out, nil
}

func changeNumber(s State, c ChangeMessagingNumber) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	if err := checkNumber("messaging number", c.MessagingNumber); err != nil {
		return nil, err
	}
	if c.MessagingNumber == s.MessagingNumber {
		return nil, nil
	}
	return []Event{MessagingNumberChanged{
		CompanyID:       s.CompanyID,
		PreviousNumber:  s.MessagingNumber,
		MessagingNumber: c.MessagingNumber,
		At:              c.At,
	}}, nil
}

func addUser(s State, c AddUser) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	if err := validID("user ID", c.UserID); err != nil {
		return nil, err
	}
	name, err := cleanName("user name", c.Name)
	if err != nil {
		return nil, err
	}
	if !c.Role.Valid() {
		if c.Role == "" {
			return nil, invalidf("role is required")
		}
		return nil, invalidf("role %q is unknown (one of admin, agent, compliance, light, live_chat)", string(c.Role))
	}
	if err := checkTokenHash(c.TokenHash); err != nil {
		return nil, err
	}
	if _, ok := s.User(c.UserID); ok {
		return nil, &Error{Err: ErrUserExists, Message: fmt.Sprintf("user %s already exists", c.UserID)}
	}
	return []Event{UserAdded{
		CompanyID: s.CompanyID,
		UserID:    c.UserID,
		Name:      name,
		Role:      c.Role,
		TokenHash: c.TokenHash,
		At:        c.At,
	}}, nil
}

func abandon(s State, c AbandonCompany) ([]Event, error) {
	if err := validID("company ID", c.Claim.CompanyID); err != nil {
		return nil, err
	}
	if err := checkNumber("number", c.Claim.Number); err != nil {
		return nil, err
	}
	if err := checkTime(c.At); err != nil {
		return nil, err
	}
	switch {
	case s.Abandoned():
		return nil, nil
	case s.Exists():
		return nil, &Error{Err: ErrCompanyExists, Message: fmt.Sprintf("company %s exists: its claim on %s stands", s.CompanyID, c.Claim.Number)}
	case !Orphaned(c.Claim, s, c.At):
		return nil, taken(c.Claim.Number)
	}
	return []Event{CompanyAbandoned{CompanyID: c.Claim.CompanyID, Number: c.Claim.Number, At: c.At}}, nil
}

// existing checks what every command on an existing company needs.
func existing(s State, at time.Time) error {
	if !s.Exists() {
		return &Error{Err: ErrCompanyNotFound, Message: "there is no such company"}
	}
	return checkTime(at)
}

// ClaimNumber claims a messaging number for a company, before the company is
// created with it or changes to it. It is decided on NumberStreamID(Number).
type ClaimNumber struct {
	Number    phone.Number
	CompanyID string
	At        time.Time
	// Holder is, when not nil, the state of the company that holds the claim
	// now (read from its stream): a claim held by an abandoned company may be
	// taken over.
	Holder *State
}

// DecideClaim returns the events that a claim causes on a number whose claim
// is c. The rules: a number belongs to at most one company, for ever.
//
//   - Unclaimed: NumberClaimed.
//   - Claimed by the same company (a retry, or a return to a former number):
//     nothing.
//   - Claimed by a company whose creation was abandoned (Holder, see
//     AbandonCompany): NumberClaimed that replaces it.
//   - Claimed by another company: ErrNumberTaken.
func DecideClaim(c Claim, cmd ClaimNumber) ([]Event, error) {
	if err := checkNumber("messaging number", cmd.Number); err != nil {
		return nil, err
	}
	if err := validID("company ID", cmd.CompanyID); err != nil {
		return nil, err
	}
	if err := checkTime(cmd.At); err != nil {
		return nil, err
	}
	claim := NumberClaimed{Number: cmd.Number, CompanyID: cmd.CompanyID, At: cmd.At}
	switch {
	case c.Claimed() && c.Number != cmd.Number:
		return nil, invalidf("claim on %s decided on the claim of %s", cmd.Number, c.Number)
	case !c.Claimed():
		return []Event{claim}, nil
	case c.CompanyID == cmd.CompanyID:
		return nil, nil
	case cmd.Holder != nil && cmd.Holder.CompanyID == c.CompanyID && cmd.Holder.Abandoned():
		claim.ReplacesCompanyID = c.CompanyID
		return []Event{claim}, nil
	default:
		return nil, taken(cmd.Number)
	}
}

// Orphaned reports whether claim c is an orphan at time at: the company that
// holds it (holder, read from its stream) was never created, and either its
// creation was abandoned or OrphanAfter has passed since the claim.
func Orphaned(c Claim, holder State, at time.Time) bool {
	if !c.Claimed() || holder.Exists() {
		return false
	}
	return holder.Abandoned() || !at.Before(c.ClaimedAt.Add(OrphanAfter))
}

func taken(n phone.Number) *Error {
	return &Error{Err: ErrNumberTaken, Message: fmt.Sprintf("the messaging number %s belongs to another company", n)}
}
