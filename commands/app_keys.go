package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// IssueAppKey asks for a key that lets one of the company's apps submit forms
// (POST /api/admin/companies/{company_id}/app-keys).
type IssueAppKey struct {
	CompanyID string
	App       string
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// IssueAppKeyResult is the new key, with the one and only copy of its secret.
type IssueAppKeyResult struct {
	ID  string
	App string
	// Key is the bearer secret (company.AppKeyPrefix and 32 random bytes).
	// Only its SHA-256 is stored: it cannot be shown again.
	Key      string
	Position eventstore.Position
}

// AppKeyHandler issues and revokes app keys.
type AppKeyHandler struct {
	store eventstore.Store
	ids   IDSource
	// Now is the clock (time.Now); tests may replace it.
	Now func() time.Time
}

// NewAppKeyHandler returns a handler that records in store and makes key
// IDs and secrets with ids.
func NewAppKeyHandler(store eventstore.Store, ids IDSource) *AppKeyHandler {
	return &AppKeyHandler{store: store, ids: ids, Now: time.Now}
}

// Issue records AppKeyIssued with the new secret's company.HashToken.
func (h *AppKeyHandler) Issue(ctx context.Context, cmd IssueAppKey) (IssueAppKeyResult, error) {
	key := company.AppKeyPrefix + strings.TrimPrefix(h.ids.NewToken(), company.TokenPrefix)
	issue := company.IssueAppKey{KeyID: h.ids.NewID(), App: cmd.App, TokenHash: company.HashToken(key), At: h.Now().UTC()}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(cmd.CompanyID), company.Command(issue), actorOr(cmd.Actor))
	if err != nil {
		return IssueAppKeyResult{}, failed("issue an app key to company "+cmd.CompanyID, err)
	}
	if len(res.Events) != 1 {
		return IssueAppKeyResult{}, fmt.Errorf("issue an app key to company %s: decided %d events", cmd.CompanyID, len(res.Events))
	}
	issued := res.Events[0].(company.AppKeyIssued)
	return IssueAppKeyResult{ID: issued.KeyID, App: issued.App, Key: key, Position: res.Position}, nil
}

// Revoke records AppKeyRevoked (once: revoking a revoked key changes
// nothing and answers the stream's position).
func (h *AppKeyHandler) Revoke(ctx context.Context, companyID, keyID, actor string) (eventstore.Position, error) {
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(companyID), company.Command(company.RevokeAppKey{KeyID: keyID, At: h.Now().UTC()}), actorOr(actor))
	if err != nil {
		return 0, failed("revoke app key "+keyID, err)
	}
	return res.Position, nil
}
