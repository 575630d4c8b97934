package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// RotateUserToken asks for a new token for a current user of the company
// (POST /api/admin/companies/{company_id}/users/{user_id}/token). The old
// token signs nothing in from the moment it is appended.
type RotateUserToken struct {
	CompanyID string
	UserID    string
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// RotatedToken is a user's new token: its one and only copy.
type RotatedToken struct {
	// Token is the new bearer token; only its SHA-256 is stored.
	Token    string
	Position eventstore.Position
}

// RotateUserTokenHandler rotates users' tokens.
type RotateUserTokenHandler struct {
	store eventstore.Store
	ids   IDSource
	now   func() time.Time
}

// NewRotateUserTokenHandler returns a handler that records in store and
// makes new tokens with ids.
func NewRotateUserTokenHandler(store eventstore.Store, now func() time.Time, ids IDSource) *RotateUserTokenHandler {
	return &RotateUserTokenHandler{store: store, ids: ids, now: now}
}

// Handle records UserTokenRotated with the new token's company.HashToken.
func (h *RotateUserTokenHandler) Handle(ctx context.Context, cmd RotateUserToken) (RotatedToken, error) {
	token := h.ids.NewToken()
	rotate := company.RotateUserToken{UserID: cmd.UserID, TokenHash: company.HashToken(token), At: h.now().UTC()}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(cmd.CompanyID), company.Command(rotate), actorOr(cmd.Actor))
	if err != nil {
		return RotatedToken{}, failed("rotate the token of user "+cmd.UserID, err)
	}
	if len(res.Events) != 1 {
		return RotatedToken{}, fmt.Errorf("rotate the token of user %s: decided %d events", cmd.UserID, len(res.Events))
	}
	return RotatedToken{Token: token, Position: res.Position}, nil
}
