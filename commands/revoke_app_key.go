package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// RevokeAppKey asks that one of the company's app keys submit nothing more
// (DELETE /api/admin/companies/{company_id}/app-keys/{key_id}).
type RevokeAppKey struct {
	CompanyID string
	KeyID     string
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// RevokeAppKeyHandler revokes app keys.
type RevokeAppKeyHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewRevokeAppKeyHandler returns a handler that records in store.
func NewRevokeAppKeyHandler(store eventstore.Store, now func() time.Time) *RevokeAppKeyHandler {
	return &RevokeAppKeyHandler{store: store, now: now}
}

// Handle records AppKeyRevoked (once: revoking a revoked key changes
// nothing and answers the stream's position).
func (h *RevokeAppKeyHandler) Handle(ctx context.Context, cmd RevokeAppKey) (eventstore.Position, error) {
	revoke := company.RevokeAppKey{KeyID: cmd.KeyID, At: h.now().UTC()}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(cmd.CompanyID), company.Command(revoke), actorOr(cmd.Actor))
	if err != nil {
		return 0, failed("revoke app key "+cmd.KeyID, err)
	}
	return res.Position, nil
}
