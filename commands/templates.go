package commands

import (
	"context"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/template"
)

// templateDecider is a company's template catalogue (domain/template).
var templateDecider = Decider[template.State, template.Event, template.Command]{
	Evolve: template.Evolve, Decide: template.Decide, Decode: template.Decode, SchemaVersion: 1,
}

// saveTemplate runs a template command on the company's one template
// stream (what CreateTemplateHandler, UpdateTemplateHandler and
// DeleteTemplateHandler share). Every command on a company's templates is
// decided there, so two saves of one name at once cannot both succeed: the
// second append finds the stream moved, and Execute decides it again on
// the catalogue that holds the first (template.ErrTemplateExists).
func saveTemplate(ctx context.Context, store eventstore.Store, companyID string, cmd template.Command, actor string) (eventstore.Position, error) {
	res, err := Execute(ctx, store, templateDecider, template.StreamID(companyID), cmd, eventstore.Metadata{Actor: actor})
	return res.Position, err
}
