package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// CreateCompany asks for a new company (POST /api/admin/companies).
type CreateCompany struct {
	Name string
	// MessagingNumber, already parsed (phone.Parse).
	MessagingNumber phone.Number
	// TimeZone is an IANA name; "UTC" when empty.
	TimeZone string
	// SMSEnabled: true when nil.
	SMSEnabled *bool
	// Country is the region for reading national numbers; "US" when empty.
	Country string
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// CreateCompanyHandler creates companies.
type CreateCompanyHandler struct {
	store eventstore.Store
	ids   IDSource
	now   func() time.Time
}

// NewCreateCompanyHandler returns a handler that records in store and makes
// company IDs with ids.
func NewCreateCompanyHandler(store eventstore.Store, now func() time.Time, ids IDSource) *CreateCompanyHandler {
	return &CreateCompanyHandler{store: store, ids: ids, now: now}
}

// Handle creates the company under a new ID: it checks the command, claims
// the messaging number (company.ErrNumberTaken if another company owns it),
// then records CompanyCreated. Position is that event's.
func (h *CreateCompanyHandler) Handle(ctx context.Context, cmd CreateCompany) (CompanyResult, error) {
	at := h.now().UTC()
	create := company.CreateCompany{
		CompanyID:       h.ids.NewID(),
		Name:            cmd.Name,
		MessagingNumber: cmd.MessagingNumber,
		TimeZone:        cmd.TimeZone,
		SMSEnabled:      cmd.SMSEnabled,
		Country:         cmd.Country,
		At:              at,
	}
	// A claim is for ever: check everything before making it.
	if _, err := company.Decide(company.State{}, create); err != nil {
		return CompanyResult{}, err
	}
	meta := actorOr(cmd.Actor)
	if err := claimNumber(ctx, h.store, create.MessagingNumber, create.CompanyID, at, meta); err != nil {
		return CompanyResult{}, failed("claim "+string(create.MessagingNumber), err)
	}
	// The number is ours: finish even if the caller has gone away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(create.CompanyID), company.Command(create), meta)
	if err != nil {
		return CompanyResult{}, failed("create company "+create.CompanyID, err)
	}
	var s company.State
	for _, e := range res.Events {
		s = company.Evolve(s, e)
	}
	return CompanyResult{Company: ViewOf(s), Position: res.Position}, nil
}
