package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// leadDecider is the lead aggregate's Decider.
var leadDecider = Decider[lead.State, lead.Event, any]{
	Evolve: lead.Evolve, Decide: lead.Decide, Decode: lead.Decode, SchemaVersion: 1,
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
