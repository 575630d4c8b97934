// Package company is the pure domain of tenancy (docs/rules.md, "Tenancy"): a
// company, its messaging numbers and its users, and the claims that tie each
// messaging number to one company.
//
// It follows the Decider style: State is a company as its events describe
// it, Evolve folds one event into a State, and Decide turns a Command into the
// events it causes (or an error). Nothing here does I/O, reads the clock or
// makes random IDs or tokens: times, IDs and token hashes arrive with the
// commands.
//
// Two kinds of stream:
//
//   - "company-<companyID>" (StreamID) holds the company: CompanyCreated,
//     CompanyUpdated, MessagingNumberChanged, UserAdded, UserRemoved,
//     UserTokenRotated, AppKeyIssued, AppKeyRevoked, QuietHoursChanged (and
//     CompanyAbandoned, below).
//   - "number-<E.164>" (NumberStreamID) holds the claims on one messaging
//     number: NumberClaimed. A number belongs to at most one company, for
//     ever: a former number still routes to its company, so that a STOP sent
//     to it is never lost. Routing an inbound text is reading this stream
//     (Claim, EvolveClaim).
//
// Creating a company or changing its number writes to two streams, the
// number's claim first. Should the second write never happen (the process
// died between them), the claim names a company that was never created. Such
// an orphan claim may be taken over (see DecideClaim): whoever takes it first
// records CompanyAbandoned on the orphan's stream, which forbids that company
// ID for ever, and only then claims the number. A company that exists never
// loses a claim.
//
// Every event carries company_id, so a projector needs nothing but the event.
package company

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"

	// Time zones are checked with time.LoadLocation; the embedded database
	// makes the check the same on every machine, with or without
	// /usr/share/zoneinfo.
	_ "time/tzdata"
)

// StreamPrefix starts the name of every company stream; use it in an
// eventstore.Filter to read or follow every company.
const StreamPrefix = "company-"

// NumberStreamPrefix starts the name of every number-claim stream.
const NumberStreamPrefix = "number-"

// SchemaVersion is the version of the event documents this package writes
// (eventstore.EventData.SchemaVersion).
const SchemaVersion = 1

// Defaults of CreateCompany.
const (
	DefaultTimeZone = "UTC"
	DefaultCountry  = phone.DefaultRegion
)

// MaxNameLen bounds a company's and a user's name, in characters.
const MaxNameLen = 200

// TokenPrefix starts every user token, so a leaked token is recognisable
// (secret scanners) and never mistaken for another secret.
const TokenPrefix = "smi_"

// Errors of this package, matched with errors.Is. Every error Decide returns
// is an *Error whose text is a sentence for a person; the HTTP layer maps the
// sentinel (ErrInvalidCommand → 400, ErrCompanyNotFound → 404,
// ErrNumberTaken and ErrCompanyExists → 409) and may show the text as it is.
var (
	// ErrCompanyNotFound: the command needs a company and the stream holds
	// none (or only an abandoned creation).
	ErrCompanyNotFound = errors.New("company not found")
	// ErrCompanyExists: CreateCompany on a stream that already holds a
	// company (or the abandoned creation of one).
	ErrCompanyExists = errors.New("company already exists")
	// ErrInvalidCommand: a command lacks a field it needs, or a field is not
	// acceptable (an unknown time zone, a name too long, an unknown role).
	ErrInvalidCommand = errors.New("invalid company command")
	// ErrNumberTaken: the messaging number belongs to another company.
	ErrNumberTaken = errors.New("messaging number taken")
	// ErrUserExists: AddUser with a user ID the company already has (or
	// had: a removed user's ID is not used again).
	ErrUserExists = errors.New("user already exists")
	// ErrUserNotFound: RemoveUser or RotateUserToken names a user the
	// company does not have, or no longer has.
	ErrUserNotFound = errors.New("user not found")
	// ErrUnknownEvent: Decode was given an event type this package does not
	// define.
	ErrUnknownEvent = errors.New("unknown company event type")
)

// Error is an error of this package: Message is written for a person (it
// names the field and what is wrong with it) and Err is one of the sentinel
// errors above, which errors.Is matches.
type Error struct {
	Err     error
	Message string
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Fixed namespaces of the name-based (version 5) event IDs below. They must
// never change: stored event IDs were derived from them.
var (
	createdNamespace   = uuid.MustParse("92d97f62-93cd-4004-a56d-d8e53ae299ec")
	abandonedNamespace = uuid.MustParse("907ae014-552c-4b50-8203-0a9e1f33fc81")
	userNamespace      = uuid.MustParse("e9115185-a64f-4766-bcb0-a92cb396ddab")
	claimNamespace     = uuid.MustParse("ab7ccdef-4bd9-4e8e-abce-2174185f5c75")
	appKeyNamespace    = uuid.MustParse("5b0c4f53-8f0e-4d0a-9a59-3c1c7e2d8a41")
	removedNamespace   = uuid.MustParse("0c6f1e7a-3d2b-4f58-9a41-7e2c5b9d8f13")
)

// StreamID names the stream of a company: "company-<companyID>".
func StreamID(companyID string) eventstore.StreamID {
	return eventstore.StreamID(StreamPrefix + companyID)
}

// NumberStreamID names the stream of the claims on a messaging number:
// "number-<E.164>".
func NumberStreamID(n phone.Number) eventstore.StreamID {
	return eventstore.StreamID(NumberStreamPrefix + string(n))
}

// HashToken is how a user token is kept: the lowercase hex of its SHA-256.
// The token itself is shown once, when the user is added, and never stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// EventID is the ID under which event e is appended. Events that can happen
// only once get a name-based ID (UUID v5), so that a retried append records
// nothing twice even when two copies race: a company's creation and its
// abandonment (by company ID), a user's addition and removal (by company and
// user ID), an app key's issue (by company and key ID), a company's claim on
// a number (by number and company). Other events (a token rotation may
// happen any number of times) get uuid.Nil, which means a random ID.
func EventID(e Event) uuid.UUID {
	switch e := e.(type) {
	case CompanyCreated:
		return uuid.NewSHA1(createdNamespace, []byte(e.CompanyID))
	case CompanyAbandoned:
		return uuid.NewSHA1(abandonedNamespace, []byte(e.CompanyID))
	case UserAdded:
		// IDs hold no "/" (see validID), so the join is unambiguous.
		return uuid.NewSHA1(userNamespace, []byte(e.CompanyID+"/"+e.UserID))
	case UserRemoved:
		return uuid.NewSHA1(removedNamespace, []byte(e.CompanyID+"/"+e.UserID))
	case AppKeyIssued:
		return uuid.NewSHA1(appKeyNamespace, []byte(e.CompanyID+"/"+e.KeyID))
	case NumberClaimed:
		return uuid.NewSHA1(claimNamespace, []byte(string(e.Number)+"/"+e.CompanyID))
	default:
		return uuid.Nil
	}
}
