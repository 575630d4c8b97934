package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// RecordStatusCallback records a Twilio status callback
// (POST /webhooks/twilio/status).
type RecordStatusCallback struct {
	Store eventstore.Store
	Now   func() time.Time
}

// Handle finds the message by its SID through the SID index
// ("twilio-sid-<SID>") and applies the status to it (a status only climbs: a
// late or repeated callback records nothing). A callback whose SID is not
// known yet, because Twilio called back before smsinbox recorded its answer to
// the send, is kept in the index; RecordSendResult applies it once the SID is
// known. Nothing is lost, and a repeated callback is kept once.
func (h RecordStatusCallback) Handle(ctx context.Context, sc twilio.StatusCallback) (eventstore.Position, error) {
	at := h.Now().UTC()
	stream := conversation.SIDStreamID(sc.MessageSID)
	kept := conversation.StatusCallbackKept{TwilioSID: sc.MessageSID, TwilioStatus: sc.MessageStatus,
		ErrorCode: sc.ErrorCode, ErrorMessage: sc.ErrorMessage, At: at}
	for attempt := 1; ; attempt++ {
		idx, _, _, err := Load(ctx, h.Store, sidDecider, stream)
		if err != nil {
			return 0, err
		}
		if idx.Assigned {
			ref := MessageRef{CompanyID: idx.Thread.CompanyID, Customer: idx.Thread.CustomerPhone, MessageID: idx.MessageID}
			return applyStatus(ctx, h.Store, ref, kept)
		}
		keep := conversation.KeepCallback{TwilioSID: kept.TwilioSID, TwilioStatus: kept.TwilioStatus,
			ErrorCode: kept.ErrorCode, ErrorMessage: kept.ErrorMessage, At: at}
		res, err := Execute(ctx, h.Store, sidDecider, stream, conversation.SIDCommand(keep),
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
