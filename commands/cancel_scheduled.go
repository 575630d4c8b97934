package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// CancelScheduled asks to cancel a scheduled message for a user
// (DELETE /api/threads/{thread_id}/messages/{message_id}).
type CancelScheduled struct {
	MessageRef
	// Actor is the user who cancels it.
	Actor string
}

// CancelScheduledHandler cancels scheduled messages.
type CancelScheduledHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewCancelScheduledHandler returns a handler that records in store.
func NewCancelScheduledHandler(store eventstore.Store, now func() time.Time) *CancelScheduledHandler {
	return &CancelScheduledHandler{store: store, now: now}
}

// Handle cancels the message: nothing when it is canceled already;
// conversation.ErrNotScheduled once it has left.
func (h *CancelScheduledHandler) Handle(ctx context.Context, cmd CancelScheduled) (eventstore.Position, error) {
	cancel := conversation.CancelScheduled{MessageID: cmd.MessageID, At: h.now().UTC()}
	res, err := Execute(ctx, h.store, outboundDecider, cmd.stream(), conversation.Command(cancel),
		eventstore.Metadata{Actor: cmd.Actor, CorrelationID: cmd.MessageID.String()})
	if err != nil {
		return 0, fmt.Errorf("cancel %s: %w", cmd.MessageID, err)
	}
	return res.Position, nil
}
