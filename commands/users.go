package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// UserHandler removes users and rotates their tokens
// (DELETE /api/admin/companies/{company_id}/users/{user_id} and
// POST …/users/{user_id}/token). Either takes effect as soon as it is
// appended: sign-in checks the company's stream (CompanyStates).
type UserHandler struct {
	store eventstore.Store
	ids   IDSource
	// Now is the clock (time.Now); tests may replace it.
	Now func() time.Time
}

// NewUserHandler returns a handler that records in store and makes new
// tokens with ids.
func NewUserHandler(store eventstore.Store, ids IDSource) *UserHandler {
	return &UserHandler{store: store, ids: ids, Now: time.Now}
}

// Remove records UserRemoved. A user the company does not have, or no longer
// has, is company.ErrUserNotFound.
func (h *UserHandler) Remove(ctx context.Context, companyID, userID, actor string) (eventstore.Position, error) {
	cmd := company.RemoveUser{UserID: userID, At: h.Now().UTC()}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(companyID), company.Command(cmd), actorOr(actor))
	if err != nil {
		return 0, failed("remove user "+userID, err)
	}
	return res.Position, nil
}

// RotatedToken is a user's new token: its one and only copy.
type RotatedToken struct {
	// Token is the new bearer token; only its SHA-256 is stored.
	Token    string
	Position eventstore.Position
}

// RotateToken gives a current user a new token and records
// UserTokenRotated with its company.HashToken; the old token signs nothing in
// from then on.
func (h *UserHandler) RotateToken(ctx context.Context, companyID, userID, actor string) (RotatedToken, error) {
	token := h.ids.NewToken()
	cmd := company.RotateUserToken{UserID: userID, TokenHash: company.HashToken(token), At: h.Now().UTC()}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(companyID), company.Command(cmd), actorOr(actor))
	if err != nil {
		return RotatedToken{}, failed("rotate the token of user "+userID, err)
	}
	if len(res.Events) != 1 {
		return RotatedToken{}, fmt.Errorf("rotate the token of user %s: decided %d events", userID, len(res.Events))
	}
	return RotatedToken{Token: token, Position: res.Position}, nil
}
