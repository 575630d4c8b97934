package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// RecordOutcomeUnknown records that the call of the attempt in flight ended
// without a known outcome; Reason says how.
type RecordOutcomeUnknown struct {
	MessageRef
	Reason string
}

// RecordOutcomeUnknownHandler records attempts whose outcome is unknown.
type RecordOutcomeUnknownHandler struct{ sendStep }

// NewRecordOutcomeUnknownHandler returns a handler that records in store.
func NewRecordOutcomeUnknownHandler(store eventstore.Store, now func() time.Time) *RecordOutcomeUnknownHandler {
	return &RecordOutcomeUnknownHandler{sendStep{store: store, now: now}}
}

// Handle records the outcome unknown; the message is never attempted again.
// It answers the conversation's position.
func (h *RecordOutcomeUnknownHandler) Handle(ctx context.Context, cmd RecordOutcomeUnknown) (eventstore.Position, error) {
	unknown := conversation.RecordOutcomeUnknown{MessageID: cmd.MessageID, Reason: cmd.Reason, At: h.now().UTC()}
	res, err := h.run(ctx, cmd.MessageRef, unknown, cmd.MessageID.String())
	if err != nil {
		return 0, fmt.Errorf("record the outcome of %s unknown: %w", cmd.MessageID, err)
	}
	return res.Position, nil
}
