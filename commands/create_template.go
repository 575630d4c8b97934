package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/template"
)

// CreateTemplate asks to save a new canned reply (POST /api/templates).
type CreateTemplate struct {
	CompanyID string
	Name      string
	Body      string
	Actor     string
}

// TemplateCreated is the new template's ID and the position to wait for.
type TemplateCreated struct {
	ID       uuid.UUID
	Position eventstore.Position
}

// CreateTemplateHandler saves new templates.
type CreateTemplateHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewCreateTemplateHandler returns a handler that records in store.
func NewCreateTemplateHandler(store eventstore.Store, now func() time.Time) *CreateTemplateHandler {
	return &CreateTemplateHandler{store: store, now: now}
}

// Handle saves the template under a new ID.
func (h *CreateTemplateHandler) Handle(ctx context.Context, cmd CreateTemplate) (TemplateCreated, error) {
	id := uuid.Must(uuid.NewV7())
	create := template.Create{TemplateID: id, CompanyID: cmd.CompanyID, Name: cmd.Name, Body: cmd.Body, At: h.now().UTC()}
	pos, err := saveTemplate(ctx, h.store, cmd.CompanyID, create, cmd.Actor)
	return TemplateCreated{ID: id, Position: pos}, err
}
