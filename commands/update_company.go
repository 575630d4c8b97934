package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// UpdateCompany asks to change a company's settings
// (PATCH /api/admin/companies/{company_id}); nil fields stay as they are.
type UpdateCompany struct {
	CompanyID  string
	Name       *string
	TimeZone   *string
	SMSEnabled *bool
	// QuietHours: the company's own sending window; the zero value drops it.
	QuietHours *company.QuietHours
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// UpdateCompanyHandler changes company settings.
type UpdateCompanyHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewUpdateCompanyHandler returns a handler that records in store.
func NewUpdateCompanyHandler(store eventstore.Store, now func() time.Time) *UpdateCompanyHandler {
	return &UpdateCompanyHandler{store: store, now: now}
}

// Handle records CompanyUpdated with what changes (and QuietHoursChanged when
// the company's own window does); when nothing changes it
// records nothing and Position is the company's last event.
func (h *UpdateCompanyHandler) Handle(ctx context.Context, cmd UpdateCompany) (CompanyResult, error) {
	update := company.UpdateCompany{Name: cmd.Name, TimeZone: cmd.TimeZone, SMSEnabled: cmd.SMSEnabled, QuietHours: cmd.QuietHours, At: h.now().UTC()}
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(cmd.CompanyID), company.Command(update), actorOr(cmd.Actor))
	if err != nil {
		return CompanyResult{}, failed("update company "+cmd.CompanyID, err)
	}
	s, err := LoadCompany(ctx, h.store, cmd.CompanyID)
	if err != nil {
		return CompanyResult{}, failed("update company "+cmd.CompanyID, err)
	}
	return CompanyResult{Company: ViewOf(s), Position: res.Position}, nil
}
