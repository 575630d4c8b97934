package commands

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// This file holds what the company use cases share: the two deciders, the
// claim on a number, loading and routing. Each use case has its own file.

// companyDecider is the company aggregate for Execute.
var companyDecider = Decider[company.State, company.Event, company.Command]{
	Evolve:        company.Evolve,
	Decide:        company.Decide,
	Decode:        company.Decode,
	SchemaVersion: company.SchemaVersion,
	EventID:       company.EventID,
}

// claimDecider is the claim on one messaging number for Execute.
var claimDecider = Decider[company.Claim, company.Event, company.ClaimNumber]{
	Evolve:        company.EvolveClaim,
	Decide:        company.DecideClaim,
	Decode:        company.Decode,
	SchemaVersion: company.SchemaVersion,
	EventID:       company.EventID,
}

// ActorAdmin is the actor of admin API commands when the command names none.
const ActorAdmin = "admin"

// finishTimeout bounds the second write of a use case that writes two streams
// (the claim, then the company), which runs on even when the caller has gone
// away: stopping between the two would leave an orphan claim.
const finishTimeout = 30 * time.Second

// IDSource makes what a use case needs that must be unpredictable: new IDs
// and secret tokens. Tests give a deterministic one.
type IDSource interface {
	// NewID returns a new random UUID (version 4) in its string form.
	NewID() string
	// NewToken returns a new secret user token: company.TokenPrefix and 32
	// random bytes in unpadded base64url.
	NewToken() string
}

// RandomIDs is the IDSource of production, drawing on crypto/rand.
var RandomIDs IDSource = randomIDs{}

type randomIDs struct{}

func (randomIDs) NewID() string { return uuid.NewString() }

func (randomIDs) NewToken() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (Go 1.24 and later)
	return company.TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// CompanyView is a company as the admin API answers it.
type CompanyView struct {
	ID              string       `json:"id"`
	Name            string       `json:"name"`
	MessagingNumber phone.Number `json:"messaging_number"`
	TimeZone        string       `json:"time_zone"`
	SMSEnabled      bool         `json:"sms_enabled"`
	Country         string       `json:"country"`
	// QuietHours is the company's own sending window, nil when it has none.
	QuietHours *company.QuietHours `json:"quiet_hours"`
}

// ViewOf is the view of a company's state.
func ViewOf(s company.State) CompanyView {
	v := CompanyView{
		ID: s.CompanyID, Name: s.Name, MessagingNumber: s.MessagingNumber,
		TimeZone: s.TimeZone, SMSEnabled: s.SMSEnabled, Country: s.Country,
	}
	if !s.QuietHours.IsZero() {
		v.QuietHours = &company.QuietHours{Start: s.QuietHours.Start(), End: s.QuietHours.End()}
	}
	return v
}

// CompanyResult is what a company command did.
type CompanyResult struct {
	// Company is the company after the command.
	Company CompanyView
	// Position is the global position of the last event the command
	// appended, or of the company's last event when it changed nothing.
	Position eventstore.Position
}

// LoadCompany reads a company from its stream: its settings, current and
// former numbers, time zone, country and users. A company that does not
// exist is an error matching company.ErrCompanyNotFound.
func LoadCompany(ctx context.Context, store eventstore.Store, companyID string) (company.State, error) {
	s, _, _, err := Load(ctx, store, companyDecider, company.StreamID(companyID))
	if err != nil {
		return company.State{}, err
	}
	if !s.Exists() {
		return company.State{}, company.NotFound(companyID)
	}
	return s, nil
}

// RouteNumber finds the company that owns a messaging number, current or
// former, by reading the number's claim stream. found is false when no
// company ever claimed it. (In the rare case of an orphan claim, whose
// company was never created, it returns that company's ID: LoadCompany then
// answers ErrCompanyNotFound.)
func RouteNumber(ctx context.Context, store eventstore.Store, number phone.Number) (companyID string, found bool, err error) {
	c, _, _, err := Load(ctx, store, claimDecider, company.NumberStreamID(number))
	if err != nil {
		return "", false, err
	}
	return c.CompanyID, c.Claimed(), nil
}

// claimNumber makes number companyID's, for ever (company.DecideClaim). A
// retry by the same company records nothing. When another company holds it,
// the answer is company.ErrNumberTaken, unless that company's creation never
// completed (company.Orphaned): then its ID is first abandoned (so that it
// can never be created) and the number claimed from it.
func claimNumber(ctx context.Context, store eventstore.Store, number phone.Number, companyID string, at time.Time, meta eventstore.Metadata) error {
	stream := company.NumberStreamID(number)
	cmd := company.ClaimNumber{Number: number, CompanyID: companyID, At: at}
	_, err := Execute(ctx, store, claimDecider, stream, cmd, meta)
	if !errors.Is(err, company.ErrNumberTaken) {
		return err
	}
	taken := err

	claim, _, _, err := Load(ctx, store, claimDecider, stream)
	if err != nil {
		return err
	}
	holderStream := company.StreamID(claim.CompanyID)
	holder, _, _, err := Load(ctx, store, companyDecider, holderStream)
	if err != nil {
		return err
	}
	if !company.Orphaned(claim, holder, at) {
		return taken
	}
	if !holder.Abandoned() {
		abandon := company.AbandonCompany{Claim: claim, At: at}
		_, err := Execute(ctx, store, companyDecider, holderStream, company.Command(abandon), meta)
		if errors.Is(err, company.ErrCompanyExists) || errors.Is(err, company.ErrNumberTaken) {
			return taken // the holder was created after all
		}
		if err != nil {
			return err
		}
		if holder, _, _, err = Load(ctx, store, companyDecider, holderStream); err != nil {
			return err
		}
	}
	cmd.Holder = &holder
	_, err = Execute(ctx, store, claimDecider, stream, cmd, meta)
	return err
}

// actorOr is actor, or ActorAdmin when it is empty.
func actorOr(actor string) eventstore.Metadata {
	if actor == "" {
		actor = ActorAdmin
	}
	return eventstore.Metadata{Actor: actor}
}

// failed wraps a store error with what was being done; the domain's errors
// (*company.Error) pass unchanged, because their text is written for the
// person who sent the command.
func failed(doing string, err error) error {
	var ce *company.Error
	if errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("%s: %w", doing, err)
}
