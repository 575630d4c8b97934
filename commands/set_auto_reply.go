package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// SetAutoReply asks to change a company's after-hours auto-reply
// (PUT /api/settings/auto-reply).
type SetAutoReply struct {
	CompanyID string
	Settings  autoreply.Settings
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// AutoReplySet is what SetAutoReply left: the settings as they now stand
// and the position to wait for.
type AutoReplySet struct {
	Settings autoreply.Settings
	Position eventstore.Position
}

// SetAutoReplyHandler changes auto-reply settings.
type SetAutoReplyHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewSetAutoReplyHandler returns a handler that records in store.
func NewSetAutoReplyHandler(store eventstore.Store, now func() time.Time) *SetAutoReplyHandler {
	return &SetAutoReplyHandler{store: store, now: now}
}

// Handle records the auto-reply settings (company.SetAutoReply). A refusal
// matches autoreply's errors.
func (h *SetAutoReplyHandler) Handle(ctx context.Context, cmd SetAutoReply) (AutoReplySet, error) {
	s, pos, err := setting(ctx, h.store, cmd.CompanyID, cmd.Actor, company.SetAutoReply{Settings: cmd.Settings, At: h.now().UTC()}, company.State.AutoReply)
	return AutoReplySet{Settings: s, Position: pos}, err
}
