package commands

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/template"
)

// DeleteTemplate asks to remove a template
// (DELETE /api/templates/{template_id}).
type DeleteTemplate struct {
	CompanyID  string
	TemplateID uuid.UUID
	Actor      string
}

// DeleteTemplateHandler removes templates.
type DeleteTemplateHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewDeleteTemplateHandler returns a handler that records in store.
func NewDeleteTemplateHandler(store eventstore.Store, now func() time.Time) *DeleteTemplateHandler {
	return &DeleteTemplateHandler{store: store, now: now}
}

// Handle removes the template.
func (h *DeleteTemplateHandler) Handle(ctx context.Context, cmd DeleteTemplate) (eventstore.Position, error) {
	return saveTemplate(ctx, h.store, cmd.CompanyID, template.Delete{TemplateID: cmd.TemplateID, CompanyID: cmd.CompanyID, At: h.now().UTC()}, cmd.Actor)
}
