package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// CancelUnsent asks, for a customer's opt-out text, to cancel every staff
// text of the conversation that Twilio has not been handed (ReceiveInbound
// asks, for a STOP).
type CancelUnsent struct {
	CompanyID string
	Customer  phone.Number
	// MessageSID is the opt-out text's.
	MessageSID string
	// At is when the opt-out was received.
	At time.Time
}

// CancelUnsentHandler cancels the texts an opt-out stops. It takes no
// clock: the time comes with the command.
type CancelUnsentHandler struct {
	store eventstore.Store
}

// NewCancelUnsentHandler returns a handler that records in store.
func NewCancelUnsentHandler(store eventstore.Store) *CancelUnsentHandler {
	return &CancelUnsentHandler{store: store}
}

// Handle cancels every staff text of the conversation not handed to Twilio
// (scheduled, or queued with no attempt in flight): reason consent. The
// sender would refuse each one anyway when its turn came
// (conversation.SendChecks); this makes them canceled at once, in the
// thread too. It returns the position of what it recorded (or of the
// stream's last event).
func (h *CancelUnsentHandler) Handle(ctx context.Context, cmd CancelUnsent) (eventstore.Position, error) {
	cancel := conversation.CancelUnsent{Reason: conversation.CancelConsent,
		Explanation: "canceled: the customer withdrew consent (opt-out text " + cmd.MessageSID + ") before it was handed to Twilio", At: cmd.At}
	res, err := Execute(ctx, h.store, outboundDecider, conversation.StreamID(cmd.CompanyID, cmd.Customer), conversation.Command(cancel),
		eventstore.Metadata{Actor: "customer:" + string(cmd.Customer), CorrelationID: cmd.MessageSID})
	if err != nil {
		return 0, fmt.Errorf("cancel the texts not sent to %s: %w", cmd.Customer, err)
	}
	return res.Position, nil
}
