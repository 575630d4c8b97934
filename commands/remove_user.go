package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// RemoveUser asks that a user of the company sign nothing in from now on
// (DELETE /api/admin/companies/{company_id}/users/{user_id}). It takes
// effect as soon as it is appended: sign-in checks the company's stream
// (CompanyStates).
type RemoveUser struct {
	CompanyID string
	UserID    string
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// RemoveUserHandler removes users.
type RemoveUserHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewRemoveUserHandler returns a handler that records in store.
func NewRemoveUserHandler(store eventstore.Store, now func() time.Time) *RemoveUserHandler {
	return &RemoveUserHandler{store: store, now: now}
}

// Handle records UserRemoved. A user the company does not have, or no
// longer has, is company.ErrUserNotFound.
func (h *RemoveUserHandler) Handle(ctx context.Context, cmd RemoveUser) (eventstore.Position, error) {
	remove := company.RemoveUser{UserID: cmd.UserID, At: h.now().UTC()}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(cmd.CompanyID), company.Command(remove), actorOr(cmd.Actor))
	if err != nil {
		return 0, failed("remove user "+cmd.UserID, err)
	}
	return res.Position, nil
}
