package company

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// App keys let a company's other apps (a web form, a booking tool) submit
// forms without a user's token (docs/rules.md, "Users and tokens"). A key belongs to one
// app: what it submits is recorded as coming through that app.

// Event types of app keys.
const (
	TypeAppKeyIssued  = "AppKeyIssued"
	TypeAppKeyRevoked = "AppKeyRevoked"
)

// AppKeyPrefix starts every app key, so a leaked key is recognisable and never
// mistaken for a user's token.
const AppKeyPrefix = "smk_"

// ErrAppKeyNotFound: RevokeAppKey names a key the company never had.
var ErrAppKeyNotFound = errors.New("app key not found")

// reservedApps are the apps smsinbox itself writes in messages (a staff
// reply: dashboard; an automated text: automated). Nobody else may speak for
// them: neither an app key nor a form submission, whoever sends it, so that
// consent evidence naming them is always smsinbox's own doing.
var reservedApps = map[string]bool{"dashboard": true, "automated": true}

// reservedApp reports whether app names one of reservedApps, in any case.
func reservedApp(app string) bool { return reservedApps[strings.ToLower(strings.TrimSpace(app))] }

var appName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// CheckApp tells whether app names an app a key may be issued for: lowercase
// letters, digits and _, starting with a letter, at most 40 characters, and
// not one of smsinbox's own (dashboard, automated).
func CheckApp(app string) error {
	switch {
	case app == "":
		return invalidf("app is required")
	case !appName.MatchString(app):
		return invalidf("app %q must be lowercase letters, digits and _, starting with a letter, at most 40 characters (like text_us_now)", app)
	case reservedApp(app):
		return invalidf("app %q is smsinbox's own; name the app that will submit forms", app)
	}
	return nil
}

// CheckSubmittedApp tells whether a form submission may name app as the app
// its form came through: not one of smsinbox's own (dashboard, automated, in
// any case), whether a user's token or an app key submits it. (An app key's
// app passed CheckApp when it was issued.)
func CheckSubmittedApp(app string) error {
	if reservedApp(app) {
		return invalidf("app %q is smsinbox's own; name the app whose form it was (such as text_us_now)", strings.TrimSpace(app))
	}
	return nil
}

// IssueAppKey issues a key for one app. The caller makes the key's ID and
// secret and gives only the secret's HashToken.
type IssueAppKey struct {
	KeyID     string
	App       string
	TokenHash string
	At        time.Time
}

// RevokeAppKey revokes a key: from then on it signs nothing in.
type RevokeAppKey struct {
	KeyID string
	At    time.Time
}

func (IssueAppKey) isCommand()  {}
func (RevokeAppKey) isCommand() {}

// AppKeyIssued: a key for App, with the SHA-256 (HashToken) of its secret.
type AppKeyIssued struct {
	CompanyID string    `json:"company_id"`
	KeyID     string    `json:"key_id"`
	App       string    `json:"app"`
	TokenHash string    `json:"token_hash"`
	At        time.Time `json:"at"`
}

// AppKeyRevoked: the key signs nothing in any more.
type AppKeyRevoked struct {
	CompanyID string    `json:"company_id"`
	KeyID     string    `json:"key_id"`
	At        time.Time `json:"at"`
}

func (AppKeyIssued) EventType() string  { return TypeAppKeyIssued }
func (AppKeyRevoked) EventType() string { return TypeAppKeyRevoked }

func (e AppKeyIssued) OccurredAt() time.Time  { return e.At }
func (e AppKeyRevoked) OccurredAt() time.Time { return e.At }

// AppKey is a key as the company's events describe it.
type AppKey struct {
	App     string
	Revoked bool
}

// AppKey returns the company's key keyID.
func (s State) AppKey(keyID string) (AppKey, bool) {
	k, ok := s.appKeys[keyID]
	return k, ok
}

func evolveAppKey(s State, id string, k AppKey) State {
	s.appKeys = withEntry(s.appKeys, id, k)
	return s
}

// issueAppKey records AppKeyIssued; a key ID the company has is
// ErrInvalidCommand (IDs are the caller's to make unique).
func issueAppKey(s State, c IssueAppKey) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	if err := validID("key ID", c.KeyID); err != nil {
		return nil, err
	}
	if err := CheckApp(c.App); err != nil {
		return nil, err
	}
	if err := checkTokenHash(c.TokenHash); err != nil {
		return nil, err
	}
	if _, ok := s.appKeys[c.KeyID]; ok {
		return nil, invalidf("app key %s already exists", c.KeyID)
	}
	return []Event{AppKeyIssued{CompanyID: s.CompanyID, KeyID: c.KeyID, App: c.App, TokenHash: c.TokenHash, At: c.At}}, nil
}

// revokeAppKey records AppKeyRevoked once; a key revoked already decides
// nothing, an unknown one is ErrAppKeyNotFound.
func revokeAppKey(s State, c RevokeAppKey) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	k, ok := s.appKeys[c.KeyID]
	if !ok {
		return nil, &Error{Err: ErrAppKeyNotFound, Message: fmt.Sprintf("the company has no app key %s", c.KeyID)}
	}
	if k.Revoked {
		return nil, nil
	}
	return []Event{AppKeyRevoked{CompanyID: s.CompanyID, KeyID: c.KeyID, At: c.At}}, nil
}
