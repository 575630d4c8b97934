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

// IssueAppKeyHandler issues app keys.
type IssueAppKeyHandler struct {
	store eventstore.Store
	ids   IDSource
	now   func() time.Time
}

// NewIssueAppKeyHandler returns a handler that records in store and makes
// key IDs and secrets with ids.
func NewIssueAppKeyHandler(store eventstore.Store, now func() time.Time, ids IDSource) *IssueAppKeyHandler {
	return &IssueAppKeyHandler{store: store, ids: ids, now: now}
}

// Handle records AppKeyIssued with the new secret's company.HashToken.
func (h *IssueAppKeyHandler) Handle(ctx context.Context, cmd IssueAppKey) (IssueAppKeyResult, error) {
	key := company.AppKeyPrefix + strings.TrimPrefix(h.ids.NewToken(), company.TokenPrefix)
	issue := company.IssueAppKey{KeyID: h.ids.NewID(), App: cmd.App, TokenHash: company.HashToken(key), At: h.now().UTC()}
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
