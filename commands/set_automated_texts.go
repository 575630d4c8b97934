package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// SetAutomatedTexts asks to change the wording of a company's automated
// texts (PUT /api/settings/texts).
type SetAutomatedTexts struct {
	CompanyID string
	// Texts: empty fields are smsinbox's wording.
	Texts consent.Texts
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// AutomatedTextsSet is what SetAutomatedTexts left: the wording as it now
// stands and the position to wait for.
type AutomatedTextsSet struct {
	Texts    consent.Texts
	Position eventstore.Position
}

// SetAutomatedTextsHandler changes the wording of automated texts.
type SetAutomatedTextsHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewSetAutomatedTextsHandler returns a handler that records in store.
func NewSetAutomatedTextsHandler(store eventstore.Store, now func() time.Time) *SetAutomatedTextsHandler {
	return &SetAutomatedTextsHandler{store: store, now: now}
}

// Handle records the wording (company.SetAutomatedTexts). A refusal matches
// consent.ErrInvalidText and names what each text misses.
func (h *SetAutomatedTextsHandler) Handle(ctx context.Context, cmd SetAutomatedTexts) (AutomatedTextsSet, error) {
	t, pos, err := setting(ctx, h.store, cmd.CompanyID, cmd.Actor, company.SetAutomatedTexts{Texts: cmd.Texts, At: h.now().UTC()}, company.State.Texts)
	return AutomatedTextsSet{Texts: t, Position: pos}, err
}
