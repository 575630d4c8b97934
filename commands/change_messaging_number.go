package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// ChangeMessagingNumber asks to move a company to a new messaging number
// (PUT /api/admin/companies/{company_id}/messaging-number).
type ChangeMessagingNumber struct {
	CompanyID string
	// MessagingNumber, already parsed (phone.Parse).
	MessagingNumber phone.Number
	// Actor caused the command (ActorAdmin when empty).
	Actor string
}

// ChangeMessagingNumberHandler changes companies' messaging numbers.
type ChangeMessagingNumberHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewChangeMessagingNumberHandler returns a handler that records in store.
func NewChangeMessagingNumberHandler(store eventstore.Store, now func() time.Time) *ChangeMessagingNumberHandler {
	return &ChangeMessagingNumberHandler{store: store, now: now}
}

// Handle claims the new number for the company (company.ErrNumberTaken if
// another company owns it; a former number of its own is still its own),
// then records MessagingNumberChanged. The previous number stays the
// company's and keeps routing inbound texts to it. The current number
// records nothing.
func (h *ChangeMessagingNumberHandler) Handle(ctx context.Context, cmd ChangeMessagingNumber) (CompanyResult, error) {
	at := h.now().UTC()
	doing := "change messaging number of " + cmd.CompanyID
	s, err := LoadCompany(ctx, h.store, cmd.CompanyID)
	if err != nil {
		return CompanyResult{}, failed(doing, err)
	}
	change := company.ChangeMessagingNumber{MessagingNumber: cmd.MessagingNumber, At: at}
	// A claim is for ever: check the command before making it.
	events, err := company.Decide(s, change)
	if err != nil {
		return CompanyResult{}, err
	}
	meta := actorOr(cmd.Actor)
	if len(events) > 0 {
		if err := claimNumber(ctx, h.store, cmd.MessagingNumber, cmd.CompanyID, at, meta); err != nil {
			return CompanyResult{}, failed("claim "+string(cmd.MessagingNumber), err)
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	res, err := Execute(ctx, h.store, companyDecider, company.StreamID(cmd.CompanyID), company.Command(change), meta)
	if err != nil {
		return CompanyResult{}, failed(doing, err)
	}
	for _, e := range res.Events {
		s = company.Evolve(s, e)
	}
	return CompanyResult{Company: ViewOf(s), Position: res.Position}, nil
}
