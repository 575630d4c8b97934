package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// This file holds the steps of sending one outbound message, each one command
// on the message's conversation; the outbound sender (adapters/sender) runs
// them in order:
//
//	StartSend         record the attempt before calling Twilio (at most once:
//	                  an attempt without an outcome is never made again)
//	RecordSendResult  Twilio took it: its SID, the SID index, kept callbacks
//	DeferSend         Twilio surely did not take it: it may be attempted again
//	FailSend          it will not be sent, or Twilio refused it

// ActorSender is the actor of the sender's events; ActorTwilio that of status
// callbacks.
const (
	ActorSender = "system:sender"
	ActorTwilio = "twilio"
)

// MessageRef names an outbound message: its conversation and its ID.
type MessageRef struct {
	CompanyID string
	Customer  phone.Number
	MessageID uuid.UUID
}

func (r MessageRef) stream() eventstore.StreamID {
	return conversation.StreamID(r.CompanyID, r.Customer)
}

func (r MessageRef) thread() conversation.Thread {
	return conversation.Thread{ThreadID: conversation.ThreadID(r.CompanyID, r.Customer), CompanyID: r.CompanyID, CustomerPhone: r.Customer}
}

// sidDecider is a SID index stream for Execute.
var sidDecider = Decider[conversation.SIDIndex, conversation.Event, conversation.SIDCommand]{
	Evolve:        conversation.EvolveSID,
	Decide:        conversation.DecideSID,
	Decode:        conversation.DecodeSID,
	SchemaVersion: conversation.SchemaVersion,
	EventID:       conversation.SIDEventID,
}

// LoadOutbound reads an outbound message as its conversation's events
// describe it; conversation.ErrMessageNotFound when there is none.
func LoadOutbound(ctx context.Context, store eventstore.Store, ref MessageRef) (conversation.OutboundMessage, error) {
	s, _, _, err := Load(ctx, store, outboundDecider, ref.stream())
	if err != nil {
		return conversation.OutboundMessage{}, err
	}
	m, ok := s.Outbound(ref.MessageID)
	if !ok {
		return conversation.OutboundMessage{}, fmt.Errorf("%w: %s", conversation.ErrMessageNotFound, ref.MessageID)
	}
	return m, nil
}

func runOutbound(ctx context.Context, store eventstore.Store, ref MessageRef, cmd conversation.Command, actor, correlation string) (Result[conversation.Event], error) {
	return Execute(ctx, store, outboundDecider, ref.stream(), cmd, eventstore.Metadata{Actor: actor, CorrelationID: correlation})
}

// StartSend records a send attempt (OutboundSendAttempted). attempted is true
// when it did: the caller may then call Twilio, once, and must record the
// outcome. It is false when the message does not wait to be sent (final, an
// attempt in flight, or Twilio named it already): the caller must not call
// Twilio.
func StartSend(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef) (attempted bool, err error) {
	res, err := runOutbound(ctx, store, ref, conversation.StartSend{MessageID: ref.MessageID, At: now().UTC()}, ActorSender, ref.MessageID.String())
	if err != nil {
		return false, fmt.Errorf("start sending %s: %w", ref.MessageID, err)
	}
	return len(res.Events) > 0, nil
}

// DeferSend records that the attempt in flight surely did not reach Twilio
// (httpStatus 429 or 5xx, or 0 for a refused connection), so that it may be
// attempted again.
func DeferSend(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, httpStatus, errorCode int, reason string) error {
	cmd := conversation.DeferSend{MessageID: ref.MessageID, HTTPStatus: httpStatus, ErrorCode: errorCode, Reason: reason, At: now().UTC()}
	if _, err := runOutbound(ctx, store, ref, cmd, ActorSender, ref.MessageID.String()); err != nil {
		return fmt.Errorf("defer sending %s: %w", ref.MessageID, err)
	}
	return nil
}

// FailSend records that the message will not be sent, or that Twilio refused
// it (errorCode, e.g. 21610; carrierOptOut for 21610), unless it is final.
func FailSend(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, errorCode int, reason string, carrierOptOut bool) (eventstore.Position, error) {
	cmd := conversation.FailSend{MessageID: ref.MessageID, ErrorCode: errorCode, Reason: reason, CarrierOptOut: carrierOptOut, At: now().UTC()}
	res, err := runOutbound(ctx, store, ref, cmd, ActorSender, ref.MessageID.String())
	if err != nil {
		return 0, fmt.Errorf("record %s failed: %w", ref.MessageID, err)
	}
	return res.Position, nil
}

// RecordSendResult records Twilio's answer to the send: the message's SID and
// Twilio's status then (OutboundMessageSent); then ties the SID to the message
// in the SID index, and applies the status callbacks that the index kept
// because they came before. Every step is idempotent, so a sender that stopped
// half-way calls it again with the SID the conversation holds.
func RecordSendResult(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, sid, twilioStatus string, errorCode int) (eventstore.Position, error) {
	at := now().UTC()
	cmd := conversation.RecordSent{MessageID: ref.MessageID, TwilioSID: sid, TwilioStatus: twilioStatus, ErrorCode: errorCode, At: at}
	res, err := runOutbound(ctx, store, ref, cmd, ActorSender, sid)
	if err != nil {
		return 0, fmt.Errorf("record %s sent as %s: %w", ref.MessageID, sid, err)
	}
	pos := res.Position
	meta := eventstore.Metadata{Actor: ActorSender, CorrelationID: sid}
	assign := conversation.AssignSID{TwilioSID: sid, MessageID: ref.MessageID, Thread: ref.thread(), At: at}
	if _, err := Execute(ctx, store, sidDecider, conversation.SIDStreamID(sid), conversation.SIDCommand(assign), meta); err != nil {
		return 0, fmt.Errorf("index SID %s: %w", sid, err)
	}
	idx, _, _, err := Load(ctx, store, sidDecider, conversation.SIDStreamID(sid))
	if err != nil {
		return 0, err
	}
	for _, kept := range idx.Pending {
		p, err := applyStatus(ctx, store, ref, kept)
		if err != nil {
			return 0, err
		}
		pos = max(pos, p)
	}
	return pos, nil
}

// applyStatus applies one status callback to its message.
func applyStatus(ctx context.Context, store eventstore.Store, ref MessageRef, cb conversation.StatusCallbackKept) (eventstore.Position, error) {
	cmd := conversation.ApplyStatus{MessageID: ref.MessageID, TwilioSID: cb.TwilioSID, TwilioStatus: cb.TwilioStatus, ErrorCode: cb.ErrorCode, At: cb.At}
	res, err := runOutbound(ctx, store, ref, cmd, ActorTwilio, cb.TwilioSID)
	if err != nil {
		return 0, fmt.Errorf("apply status %s of %s: %w", cb.TwilioStatus, cb.TwilioSID, err)
	}
	return res.Position, nil
}
