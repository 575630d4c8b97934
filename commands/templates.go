package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/template"
)

// templateDecider is a company's template catalogue (domain/template).
var templateDecider = Decider[template.State, template.Event, template.Command]{
	Evolve: template.Evolve, Decide: template.Decide, Decode: template.Decode, SchemaVersion: 1,
}

// Templates saves a company's canned replies (POST, PUT and DELETE
// /api/templates). Each command is decided on the company's one template
// stream, so two saves of one name at once cannot both succeed: the second
// append finds the stream moved, and Execute decides it again on the
// catalogue that holds the first (template.ErrTemplateExists).
type Templates struct {
	Store eventstore.Store
	Now   func() time.Time
}

// Create saves a new template and answers its ID.
func (h Templates) Create(ctx context.Context, companyID, name, body, actor string) (uuid.UUID, eventstore.Position, error) {
	id := uuid.Must(uuid.NewV7())
	pos, err := h.execute(ctx, companyID, template.Create{TemplateID: id, CompanyID: companyID, Name: name, Body: body, At: h.Now().UTC()}, actor)
	return id, pos, err
}

// Update gives template id a new name and body.
func (h Templates) Update(ctx context.Context, companyID string, id uuid.UUID, name, body, actor string) (eventstore.Position, error) {
	return h.execute(ctx, companyID, template.Update{TemplateID: id, CompanyID: companyID, Name: name, Body: body, At: h.Now().UTC()}, actor)
}

// Delete removes template id.
func (h Templates) Delete(ctx context.Context, companyID string, id uuid.UUID, actor string) (eventstore.Position, error) {
	return h.execute(ctx, companyID, template.Delete{TemplateID: id, CompanyID: companyID, At: h.Now().UTC()}, actor)
}

func (h Templates) execute(ctx context.Context, companyID string, cmd template.Command, actor string) (eventstore.Position, error) {
	res, err := Execute(ctx, h.Store, templateDecider, template.StreamID(companyID), cmd, eventstore.Metadata{Actor: actor})
	return res.Position, err
}
