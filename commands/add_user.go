package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// AddUser asks for a new user of a company
// (POST /api/admin/companies/{company_id}/users).
type AddUser struct {
	CompanyID string
	Name      string
	// Role as the client wrote it (company.ParseRole: "admin", "agent", ...).
	Role string
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// AddUserResult is the new user, with the one and only copy of their token.
type AddUserResult struct {
	ID   string
	Name string
	Role company.Role
	// Token is the user's bearer token. Only its SHA-256 is stored: it cannot
	// be shown again.
	Token    string
	Position eventstore.Position
}

// AddUserHandler adds users.
type AddUserHandler struct {
	store eventstore.Store
	ids   IDSource
	now   func() time.Time
}

// NewAddUserHandler returns a handler that records in store and makes user
// IDs and tokens with ids.
func NewAddUserHandler(store eventstore.Store, now func() time.Time, ids IDSource) *AddUserHandler {
	return &AddUserHandler{store: store, ids: ids, now: now}
}

// Handle adds a user with a new ID and a new token, and records UserAdded
// with the token's company.HashToken.
func (h *AddUserHandler) Handle(ctx context.Context, cmd AddUser) (AddUserResult, error) {
	role, err := company.ParseRole(cmd.Role)
	if err != nil {
		return AddUserResult{}, err
	}
	token := h.ids.NewToken()
	add := company.AddUser{
		UserID:    h.ids.NewID(),
		Name:      cmd.Name,
		Role:      role,
		TokenHash: company.HashToken(token),
		At:        h.now().UTC(),
	}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(cmd.CompanyID), company.Command(add), actorOr(cmd.Actor))
	if err != nil {
		return AddUserResult{}, failed("add user to company "+cmd.CompanyID, err)
	}
	if len(res.Events) != 1 {
		return AddUserResult{}, fmt.Errorf("add user to company %s: decided %d events", cmd.CompanyID, len(res.Events))
	}
	added := res.Events[0].(company.UserAdded)
	return AddUserResult{ID: added.UserID, Name: added.Name, Role: added.Role, Token: token, Position: res.Position}, nil
}
