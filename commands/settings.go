package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Settings are the company's messaging settings a signed-in admin reads and
// changes (GET|PUT /api/settings/auto-reply and /api/settings/texts). They
// are events of the company's stream, read from it (never a read model), so
// a PUT is in force, and read back, from the moment it is answered.
type Settings struct {
	Store eventstore.Store
	// Now is the clock.
	Now func() time.Time
}

// AutoReply is the company's auto-reply settings.
func (h Settings) AutoReply(ctx context.Context, companyID string) (autoreply.Settings, error) {
	co, err := LoadCompany(ctx, h.Store, companyID)
	if err != nil {
		return autoreply.Settings{}, err
	}
	return co.AutoReply(), nil
}

// Texts is the wording of the company's automated texts.
func (h Settings) Texts(ctx context.Context, companyID string) (consent.Texts, error) {
	co, err := LoadCompany(ctx, h.Store, companyID)
	if err != nil {
		return consent.Texts{}, err
	}
	return co.Texts(), nil
}

// SetAutoReply records the auto-reply settings (company.SetAutoReply) and
// answers the settings as they now stand and the position to wait for. A
// refusal matches autoreply's errors.
func (h Settings) SetAutoReply(ctx context.Context, companyID, actor string, s autoreply.Settings) (autoreply.Settings, eventstore.Position, error) {
	return setting(ctx, h, companyID, actor, company.SetAutoReply{Settings: s, At: h.Now().UTC()}, company.State.AutoReply)
}

// SetTexts records the wording of the automated texts
// (company.SetAutomatedTexts); empty fields are smsinbox's wording. A
// refusal matches consent.ErrInvalidText and names what each text misses.
func (h Settings) SetTexts(ctx context.Context, companyID, actor string, t consent.Texts) (consent.Texts, eventstore.Position, error) {
	return setting(ctx, h, companyID, actor, company.SetAutomatedTexts{Texts: t, At: h.Now().UTC()}, company.State.Texts)
}

// setting runs a settings command on the company's stream and reads the
// setting back from the state it left.
func setting[T any](ctx context.Context, h Settings, companyID, actor string, cmd company.Command, read func(company.State) T) (T, eventstore.Position, error) {
	var zero T
	res, err := Execute(ctx, h.Store, companyDecider, company.StreamID(companyID), cmd, actorOr(actor))
	if err != nil {
		return zero, 0, failed("settings of company "+companyID, err)
	}
	co, err := LoadCompany(ctx, h.Store, companyID)
	if err != nil {
		return zero, 0, failed("settings of company "+companyID, err)
	}
	return read(co), res.Position, nil
}
