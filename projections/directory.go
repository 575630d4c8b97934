package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Directory projects companies, their users and their app keys: what
// sign-in, tenancy and sms_enabled checks read.
type Directory struct{}

func (Directory) Name() string     { return "directory" }
func (Directory) Tables() []string { return []string{"app_keys", "users", "companies"} }

func (Directory) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	switch e.Type {
	case company.TypeCompanyCreated, company.TypeCompanyUpdated, company.TypeMessagingNumberChanged, company.TypeUserAdded,
		company.TypeUserRemoved, company.TypeUserTokenRotated, company.TypeAppKeyIssued, company.TypeAppKeyRevoked:
	default:
		return nil
	}
	ev, err := company.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case company.CompanyCreated:
		_, err = tx.Exec(ctx, `INSERT INTO companies (id, name, messaging_number, time_zone, sms_enabled, country, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
			ev.CompanyID, ev.Name, string(ev.MessagingNumber), ev.TimeZone, ev.SMSEnabled, ev.Country, ev.At)
	case company.CompanyUpdated:
		_, err = tx.Exec(ctx, `UPDATE companies SET name = coalesce($2, name), time_zone = coalesce($3, time_zone),
			sms_enabled = coalesce($4, sms_enabled) WHERE id = $1`, ev.CompanyID, ev.Name, ev.TimeZone, ev.SMSEnabled)
	case company.MessagingNumberChanged:
		_, err = tx.Exec(ctx, `UPDATE companies SET messaging_number = $2 WHERE id = $1`, ev.CompanyID, string(ev.MessagingNumber))
	case company.UserAdded:
		_, err = tx.Exec(ctx, `INSERT INTO users (id, company_id, name, role, token_hash, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
			ev.UserID, ev.CompanyID, ev.Name, string(ev.Role), ev.TokenHash, ev.At)
	case company.UserRemoved:
		_, err = tx.Exec(ctx, `UPDATE users SET removed_at = coalesce(removed_at, $3) WHERE id = $1 AND company_id = $2`, ev.UserID, ev.CompanyID, ev.At)
	case company.UserTokenRotated:
		_, err = tx.Exec(ctx, `UPDATE users SET token_hash = $3 WHERE id = $1 AND company_id = $2`, ev.UserID, ev.CompanyID, ev.TokenHash)
	case company.AppKeyIssued:
		_, err = tx.Exec(ctx, `INSERT INTO app_keys (id, company_id, app, token_hash, created_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING`, ev.KeyID, ev.CompanyID, ev.App, ev.TokenHash, ev.At)
	case company.AppKeyRevoked:
		_, err = tx.Exec(ctx, `UPDATE app_keys SET revoked_at = coalesce(revoked_at, $3) WHERE id = $1 AND company_id = $2`, ev.KeyID, ev.CompanyID, ev.At)
	}
	if err != nil {
		return fmt.Errorf("directory %s: %w", e.Type, err)
	}
	return nil
}

// All lists every projector smsinbox runs.
func All() []Projector {
	return []Projector{Directory{}, Inbox{}, Consent{}, Leads{}, Live{}, Templates{}, Search{}, Scheduled{}}
}
