package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// DeferSend records Twilio's answer to an attempt that it surely did not
// take: HTTPStatus 429 or 5xx (0 for no connection), Twilio's error code and
// reason, and its Retry-After (0 when it gave none); Policy is the sender's
// retry budget.
type DeferSend struct {
	MessageRef
	HTTPStatus int
	ErrorCode  int
	Reason     string
	RetryAfter time.Duration
	Policy     conversation.RetryPolicy
}

// DeferSendHandler defers the sender's attempts.
type DeferSendHandler struct{ sendStep }

// NewDeferSendHandler returns a handler that records in store.
func NewDeferSendHandler(store eventstore.Store, now func() time.Time) *DeferSendHandler {
	return &DeferSendHandler{sendStep{store: store, now: now}}
}

// Handle records that the attempt in flight surely did not reach Twilio,
// and when to attempt it again under the policy; or, once the policy's
// budget is spent, that it failed with Twilio's code and reason. It returns
// the event recorded (nil for none).
func (h *DeferSendHandler) Handle(ctx context.Context, cmd DeferSend) (conversation.Event, error) {
	deferral := conversation.DeferSend{MessageID: cmd.MessageID, HTTPStatus: cmd.HTTPStatus, ErrorCode: cmd.ErrorCode, Reason: cmd.Reason,
		RetryAfter: cmd.RetryAfter, Policy: cmd.Policy, At: h.now().UTC()}
	res, err := h.run(ctx, cmd.MessageRef, deferral, cmd.MessageID.String())
	if err != nil {
		return nil, fmt.Errorf("defer sending %s: %w", cmd.MessageID, err)
	}
	return only(res.Events), nil
}
