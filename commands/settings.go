package commands

import (
	"context"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Settings reads the company's messaging settings a signed-in admin reads
// and changes (GET|PUT /api/settings/auto-reply and /api/settings/texts;
// SetAutoReply and SetAutomatedTexts change them). They are events of the
// company's stream, read from it (never a read model), so a PUT is in force,
// and read back, from the moment it is answered.
type Settings struct {
	Store eventstore.Store
}

// AutoReply is the company's auto-reply settings.
func (s Settings) AutoReply(ctx context.Context, companyID string) (autoreply.Settings, error) {
	co, err := LoadCompany(ctx, s.Store, companyID)
	if err != nil {
		return autoreply.Settings{}, err
	}
	return co.AutoReply(), nil
}

// Texts is the wording of the company's automated texts.
func (s Settings) Texts(ctx context.Context, companyID string) (consent.Texts, error) {
	co, err := LoadCompany(ctx, s.Store, companyID)
	if err != nil {
		return consent.Texts{}, err
	}
	return co.Texts(), nil
}

// setting runs a settings command on the company's stream and reads the
// setting back from the state it left.
func setting[T any](ctx context.Context, store eventstore.Store, companyID, actor string, cmd company.Command, read func(company.State) T) (T, eventstore.Position, error) {
	var zero T
	res, err := Execute(ctx, store, companyDecider, company.StreamID(companyID), cmd, actorOr(actor))
	if err != nil {
		return zero, 0, failed("settings of company "+companyID, err)
	}
	co, err := LoadCompany(ctx, store, companyID)
	if err != nil {
		return zero, 0, failed("settings of company "+companyID, err)
	}
	return read(co), res.Position, nil
}
