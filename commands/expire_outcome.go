package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ExpireOutcome asks to settle an attempt whose outcome is unknown once Wait
// has passed since it with no status callback naming it.
type ExpireOutcome struct {
	MessageRef
	Wait time.Duration
}

// ExpireOutcomeHandler settles unknown outcomes that waited too long.
type ExpireOutcomeHandler struct{ sendStep }

// NewExpireOutcomeHandler returns a handler that records in store.
func NewExpireOutcomeHandler(store eventstore.Store, now func() time.Time) *ExpireOutcomeHandler {
	return &ExpireOutcomeHandler{sendStep{store: store, now: now}}
}

// Handle records the message failed, outcome unknown, when the wait has
// passed; nothing otherwise. It returns the event recorded (nil for none).
func (h *ExpireOutcomeHandler) Handle(ctx context.Context, cmd ExpireOutcome) (conversation.Event, error) {
	expire := conversation.ExpireOutcome{MessageID: cmd.MessageID, Wait: cmd.Wait, At: h.now().UTC()}
	res, err := h.run(ctx, cmd.MessageRef, expire, cmd.MessageID.String())
	if err != nil {
		return nil, fmt.Errorf("expire the outcome of %s: %w", cmd.MessageID, err)
	}
	return only(res.Events), nil
}
