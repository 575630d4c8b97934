package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// FailSend records why a message will not be sent: Twilio's error code
// (e.g. 21610, 0 for none), the reason for a person and its code (one of
// conversation's Reason* constants), and whether Twilio refused it because
// the customer opted out at the carrier (21610).
type FailSend struct {
	MessageRef
	ErrorCode     int
	Reason        string
	ReasonCode    string
	CarrierOptOut bool
}

// FailSendHandler records messages that will not be sent.
type FailSendHandler struct{ sendStep }

// NewFailSendHandler returns a handler that records in store.
func NewFailSendHandler(store eventstore.Store, now func() time.Time) *FailSendHandler {
	return &FailSendHandler{sendStep{store: store, now: now}}
}

// Handle records that the message will not be sent, or that Twilio refused
// it, unless it is final.
func (h *FailSendHandler) Handle(ctx context.Context, cmd FailSend) (eventstore.Position, error) {
	fail := conversation.FailSend{MessageID: cmd.MessageID, ErrorCode: cmd.ErrorCode, Reason: cmd.Reason, ReasonCode: cmd.ReasonCode,
		CarrierOptOut: cmd.CarrierOptOut, At: h.now().UTC()}
	res, err := h.run(ctx, cmd.MessageRef, fail, cmd.MessageID.String())
	if err != nil {
		return 0, fmt.Errorf("record %s failed: %w", cmd.MessageID, err)
	}
	return res.Position, nil
}
