package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// RecordSendResult records Twilio's answer to a send: the message's SID,
// Twilio's status then ("" when not known) and its error code (0 for none).
type RecordSendResult struct {
	MessageRef
	SID          string
	TwilioStatus string
	ErrorCode    int
}

// RecordSendResultHandler records the messages Twilio took.
type RecordSendResultHandler struct{ sendStep }

// NewRecordSendResultHandler returns a handler that records in store.
func NewRecordSendResultHandler(store eventstore.Store, now func() time.Time) *RecordSendResultHandler {
	return &RecordSendResultHandler{sendStep{store: store, now: now}}
}

// Handle records the SID and status (OutboundMessageSent); then ties the SID
// to the message in the SID index, and applies the status callbacks that
// the index kept because they came before. Every step is idempotent, so a
// sender that stopped half-way asks again with the SID the conversation
// holds.
func (h *RecordSendResultHandler) Handle(ctx context.Context, cmd RecordSendResult) (eventstore.Position, error) {
	at, ref, sid := h.now().UTC(), cmd.MessageRef, cmd.SID
	sent := conversation.RecordSent{MessageID: ref.MessageID, TwilioSID: sid, TwilioStatus: cmd.TwilioStatus, ErrorCode: cmd.ErrorCode, At: at}
	res, err := h.run(ctx, ref, sent, sid)
	if err != nil {
		return 0, fmt.Errorf("record %s sent as %s: %w", ref.MessageID, sid, err)
	}
	pos := res.Position
	meta := eventstore.Metadata{Actor: ActorSender, CorrelationID: sid}
	assign := conversation.AssignSID{TwilioSID: sid, MessageID: ref.MessageID, Thread: ref.thread(), At: at}
	if _, err := Execute(ctx, h.store, sidDecider, conversation.SIDStreamID(sid), conversation.SIDCommand(assign), meta); err != nil {
		return 0, fmt.Errorf("index SID %s: %w", sid, err)
	}
	idx, _, _, err := Load(ctx, h.store, sidDecider, conversation.SIDStreamID(sid))
	if err != nil {
		return 0, err
	}
	for _, kept := range idx.Pending {
		p, err := applyStatus(ctx, h.store, ref, kept)
		if err != nil {
			return 0, err
		}
		pos = max(pos, p)
	}
	return pos, nil
}
