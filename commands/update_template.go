package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/template"
)

// UpdateTemplate asks to give a template a new name and body
// (PUT /api/templates/{template_id}).
type UpdateTemplate struct {
	CompanyID  string
	TemplateID uuid.UUID
	Name       string
	Body       string
	Actor      string
}

// UpdateTemplateHandler updates templates.
type UpdateTemplateHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewUpdateTemplateHandler returns a handler that records in store.
func NewUpdateTemplateHandler(store eventstore.Store, now func() time.Time) *UpdateTemplateHandler {
	return &UpdateTemplateHandler{store: store, now: now}
}

// Handle records the template's new name and body.
func (h *UpdateTemplateHandler) Handle(ctx context.Context, cmd UpdateTemplate) (eventstore.Position, error) {
	update := template.Update{TemplateID: cmd.TemplateID, CompanyID: cmd.CompanyID, Name: cmd.Name, Body: cmd.Body, At: h.now().UTC()}
	return saveTemplate(ctx, h.store, cmd.CompanyID, update, cmd.Actor)
}
