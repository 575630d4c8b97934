package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// StatusCallback is the carrier's report of an outbound message's status, as
// the HTTP layer read it from Twilio's status callback (adapters/httpapi maps
// it): the use case knows no carrier's wire format.
type StatusCallback struct {
	// MessageSID names the message, as the carrier's answer to the send did.
	MessageSID string
	// To is the recipient as the carrier sent it; may be empty.
	To string
	// MessageStatus is the carrier's status in lower case ("sent",
	// "delivered", "undelivered", "failed", ...).
	MessageStatus string
	// ErrorCode is the carrier's error code (e.g. 30003), 0 when none, and
	// ErrorMessage its words, when it gave some.
	ErrorCode    int
	ErrorMessage string
	// CompanyID and MessageID are smsinbox's own reference to the message,
	// which the sender put in the callback's URL; "" and uuid.Nil when the
	// URL carries none.
	CompanyID string
	MessageID uuid.UUID
}

// RecordStatusCallbackHandler records Twilio's status callbacks
// (POST /webhooks/twilio/status). Its command is a StatusCallback.
type RecordStatusCallbackHandler struct {
	store eventstore.Store
	now   func() time.Time
	// sent records the SID of a callback that names a message whose answer
	// to the send was never seen.
	sent *RecordSendResultHandler
}

// NewRecordStatusCallbackHandler returns a handler that records in store.
func NewRecordStatusCallbackHandler(store eventstore.Store, now func() time.Time) *RecordStatusCallbackHandler {
	return &RecordStatusCallbackHandler{store: store, now: now, sent: NewRecordSendResultHandler(store, now)}
}

// Handle finds the message by its SID through the SID index
// ("twilio-sid-<SID>") and applies the status to it (a status only climbs: a
// late or repeated callback records nothing). A callback whose SID is not
// known yet, because Twilio called back before smsinbox recorded its answer to
// the send, is kept in the index; RecordSendResult applies it once the SID is
// known. Nothing is lost, and a repeated callback is kept once.
//
// A callback whose URL names the message (sc.CompanyID, sc.MessageID, with
// the customer in its To) goes straight to it: when the message's SID is not
// known yet (Twilio's answer to the send was never seen: a time-out, a
// dropped connection), the callback's SID is recorded as Twilio's answer
// would have been (RecordSendResult: the SID, the index, kept callbacks),
// which settles an unknown outcome; then its status is applied. A reference
// that names no message of that conversation falls back to the SID index.
func (h *RecordStatusCallbackHandler) Handle(ctx context.Context, sc StatusCallback) (eventstore.Position, error) {
	if pos, ok, err := h.byReference(ctx, sc); ok || err != nil {
		return pos, err
	}
	at := h.now().UTC()
	stream := conversation.SIDStreamID(sc.MessageSID)
	kept := conversation.StatusCallbackKept{TwilioSID: sc.MessageSID, TwilioStatus: sc.MessageStatus,
		ErrorCode: sc.ErrorCode, ErrorMessage: sc.ErrorMessage, At: at}
	for attempt := 1; ; attempt++ {
		idx, _, _, err := Load(ctx, h.store, sidDecider, stream)
		if err != nil {
			return 0, err
		}
		if idx.Assigned {
			ref := MessageRef{CompanyID: idx.Thread.CompanyID, Customer: idx.Thread.CustomerPhone, MessageID: idx.MessageID}
			return applyStatus(ctx, h.store, ref, kept)
		}
		keep := conversation.KeepCallback{TwilioSID: kept.TwilioSID, TwilioStatus: kept.TwilioStatus,
			ErrorCode: kept.ErrorCode, ErrorMessage: kept.ErrorMessage, At: at}
		res, err := Execute(ctx, h.store, sidDecider, stream, conversation.SIDCommand(keep),
			eventstore.Metadata{Actor: ActorTwilio, CorrelationID: sc.MessageSID})
		if errors.Is(err, conversation.ErrSIDAssigned) && attempt < maxAttempts {
			continue // assigned meanwhile: apply it now
		}
		if err != nil {
			return 0, fmt.Errorf("keep status %s of %s: %w", sc.MessageStatus, sc.MessageSID, err)
		}
		return res.Position, nil
	}
}

// byReference applies a callback whose URL names its message; ok is false
// when it names none that the conversation holds with that SID or none.
func (h *RecordStatusCallbackHandler) byReference(ctx context.Context, sc StatusCallback) (eventstore.Position, bool, error) {
	if sc.CompanyID == "" || sc.MessageID == uuid.Nil {
		return 0, false, nil
	}
	customer, err := phone.Parse(sc.To, phone.DefaultRegion)
	if err != nil {
		return 0, false, nil
	}
	ref := MessageRef{CompanyID: sc.CompanyID, Customer: customer, MessageID: sc.MessageID}
	m, err := LoadOutbound(ctx, h.store, ref)
	if errors.Is(err, conversation.ErrMessageNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	if m.SID != "" && m.SID != sc.MessageSID {
		return 0, false, nil
	}
	kept := conversation.StatusCallbackKept{TwilioSID: sc.MessageSID, TwilioStatus: sc.MessageStatus,
		ErrorCode: sc.ErrorCode, ErrorMessage: sc.ErrorMessage, At: h.now().UTC()}
	var pos eventstore.Position
	if m.SID == "" {
		if pos, err = h.sent.Handle(ctx, RecordSendResult{MessageRef: ref, SID: sc.MessageSID}); err != nil {
			return 0, true, err
		}
	}
	p, err := applyStatus(ctx, h.store, ref, kept)
	return max(pos, p), true, err
}
