package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// leadDecider is the lead aggregate's Decider.
var leadDecider = Decider[lead.State, lead.Event, any]{
	Evolve: lead.Evolve, Decide: lead.Decide, Decode: lead.Decode, SchemaVersion: 1,
}

// CreateLead is a lead created from the dashboard (POST
// /api/threads/{thread_id}/lead).
type CreateLead struct {
	CompanyID                  string
	Phone                      phone.Number
	FirstName, LastName, Email string
	// Actor created it ("user:<id>").
	Actor string
}

// LeadResult is what a lead command did.
type LeadResult struct {
	LeadID   uuid.UUID
	Position eventstore.Position
}

// CreateLeadHandler creates leads.
type CreateLeadHandler struct {
	Store eventstore.Store
	Now   func() time.Time
}

// Handle records LeadCreated; lead.ErrLeadExists when one is linked,
// lead.ErrInvalid (a lead.FieldErrors) for a bad field.
func (h CreateLeadHandler) Handle(ctx context.Context, cmd CreateLead) (LeadResult, error) {
	d := leadDetails(cmd.CompanyID, cmd.Phone, cmd.FirstName, cmd.LastName, cmd.Email, lead.SourceDashboard, h.Now().UTC())
	res, err := Execute(ctx, h.Store, leadDecider, lead.StreamID(cmd.CompanyID, cmd.Phone), any(lead.Create{Details: d}),
		eventstore.Metadata{Actor: cmd.Actor, CorrelationID: d.LeadID.String()})
	if err != nil {
		return LeadResult{}, err
	}
	return LeadResult{LeadID: d.LeadID, Position: res.Position}, nil
}

// submitLead records a form's lead: created, or updated when the name or
// email changed.
func submitLead(ctx context.Context, store eventstore.Store, f lead.FormSubmitted, actor string) (eventstore.Position, error) {
	d := leadDetails(f.CompanyID, f.Phone, f.FirstName, f.LastName, f.Email, "app:"+f.App, f.SubmittedAt)
	res, err := Execute(ctx, store, leadDecider, lead.StreamID(f.CompanyID, f.Phone), any(lead.Submit{Details: d}),
		eventstore.Metadata{Actor: actor, CorrelationID: d.LeadID.String()})
	return res.Position, err
}

func leadDetails(companyID string, p phone.Number, first, last, email, source string, at time.Time) lead.Details {
	return lead.Details{
		LeadID: lead.ID(companyID, p), CompanyID: companyID, CustomerPhone: p,
		ThreadID: conversation.ThreadID(companyID, p), FirstName: first, LastName: last, Email: email,
		Source: source, At: at,
	}
}
