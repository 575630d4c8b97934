package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

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
	store eventstore.Store
	now   func() time.Time
}

// NewCreateLeadHandler returns a handler that records in store.
func NewCreateLeadHandler(store eventstore.Store, now func() time.Time) *CreateLeadHandler {
	return &CreateLeadHandler{store: store, now: now}
}

// Handle records LeadCreated; lead.ErrLeadExists when one is linked,
// lead.ErrInvalid (a lead.FieldErrors) for a bad field.
func (h *CreateLeadHandler) Handle(ctx context.Context, cmd CreateLead) (LeadResult, error) {
	d := leadDetails(cmd.CompanyID, cmd.Phone, cmd.FirstName, cmd.LastName, cmd.Email, lead.SourceDashboard, h.now().UTC())
	res, err := Execute(ctx, h.store, leadDecider, lead.StreamID(cmd.CompanyID, cmd.Phone), any(lead.Create{Details: d}),
		eventstore.Metadata{Actor: cmd.Actor, CorrelationID: d.LeadID.String()})
	if err != nil {
		return LeadResult{}, err
	}
	return LeadResult{LeadID: d.LeadID, Position: res.Position}, nil
}
