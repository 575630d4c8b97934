package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// StartSend asks whether the sender may call Twilio for a message now, with
// what SendChecksFor read.
type StartSend struct {
	MessageRef
	Checks conversation.SendChecks
}

// StartSendHandler decides the sender's attempts.
type StartSendHandler struct{ sendStep }

// NewStartSendHandler returns a handler that records in store.
func NewStartSendHandler(store eventstore.Store, now func() time.Time) *StartSendHandler {
	return &StartSendHandler{sendStep{store: store, now: now}}
}

// Handle decides, on the message's conversation as it stands, whether the
// sender may call Twilio now (see conversation.StartSend): it returns the
// event it recorded, an OutboundSendAttempted (call Twilio, once, and record
// the outcome), an OutboundMessageFailed (the checks refused it: do not
// call), or nil (the message does not wait to be sent: do not call).
func (h *StartSendHandler) Handle(ctx context.Context, cmd StartSend) (conversation.Event, error) {
	start := conversation.StartSend{MessageID: cmd.MessageID, Checks: cmd.Checks, At: h.now().UTC()}
	res, err := h.run(ctx, cmd.MessageRef, start, cmd.MessageID.String())
	if err != nil {
		return nil, fmt.Errorf("start sending %s: %w", cmd.MessageID, err)
	}
	return only(res.Events), nil
}
