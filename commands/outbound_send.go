package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// This file holds the steps of sending one outbound message, each one command
// on the message's conversation; the outbound sender (adapters/sender) runs
// them in order:
//
//	SendChecksFor         read what the attempt is decided with: the company
//	                      and the customer's consent, from their streams
//	StartSend             record the attempt before calling Twilio (at most
//	                      once: an attempt without an outcome is never made
//	                      again), or that it may not go, in one decision
//	RecordSendResult      Twilio took it: its SID, the SID index, kept callbacks
//	DeferSend             Twilio surely did not take it: another attempt later,
//	                      or failed once the retry budget is spent
//	RecordOutcomeUnknown  the call ended without a known outcome
//	ExpireOutcome         no callback settled it in time: failed
//	FailSend              it will not be sent, or Twilio refused it

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

func runOutbound(ctx context.Context, store eventstore.Store, ref MessageRef, cmd conversation.Command, actor, correlation string) (Result[conversation.State, conversation.Event], error) {
	return Execute(ctx, store, outboundDecider, ref.stream(), cmd, eventstore.Metadata{Actor: actor, CorrelationID: correlation})
}

// SendChecksFor reads what StartSend decides with: the company (found or
// not, its messaging number, Messages on or off, its own sending window) and
// the customer's consent,
// each from its stream in the event store.
func SendChecksFor(ctx context.Context, store eventstore.Store, ref MessageRef) (conversation.SendChecks, error) {
	co, err := LoadCompany(ctx, store, ref.CompanyID)
	if errors.Is(err, company.ErrCompanyNotFound) {
		return conversation.SendChecks{}, nil
	}
	if err != nil {
		return conversation.SendChecks{}, err
	}
	cs, err := LoadConsent(ctx, store, consent.StreamID(ref.CompanyID, ref.Customer))
	if err != nil {
		return conversation.SendChecks{}, err
	}
	return conversation.SendChecks{CompanyFound: true, MessagingNumber: co.MessagingNumber, SMSEnabled: co.SMSEnabled, Consent: cs,
		QuietHours: co.QuietHours}, nil
}

// StartSend decides, on the message's conversation as it stands, whether the
// sender may call Twilio now (see conversation.StartSend): it returns the
// event it recorded, an OutboundSendAttempted (call Twilio, once, and record
// the outcome), an OutboundMessageFailed (the checks refused it: do not
// call), or nil (the message does not wait to be sent: do not call).
func StartSend(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, checks conversation.SendChecks) (conversation.Event, error) {
	cmd := conversation.StartSend{MessageID: ref.MessageID, Checks: checks, At: now().UTC()}
	res, err := runOutbound(ctx, store, ref, cmd, ActorSender, ref.MessageID.String())
	if err != nil {
		return nil, fmt.Errorf("start sending %s: %w", ref.MessageID, err)
	}
	return only(res.Events), nil
}

// Deferral is Twilio's answer to an attempt that it surely did not take:
// HTTPStatus 429 or 5xx (0 for no connection), Twilio's error code and
// reason, and its Retry-After (0 when it gave none).
type Deferral struct {
	HTTPStatus int
	ErrorCode  int
	Reason     string
	RetryAfter time.Duration
}

// DeferSend records that the attempt in flight surely did not reach Twilio,
// and when to attempt it again under policy; or, once policy's budget is
// spent, that it failed with Twilio's code and reason. It returns the event
// recorded (nil for none).
func DeferSend(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, d Deferral, policy conversation.RetryPolicy) (conversation.Event, error) {
	cmd := conversation.DeferSend{MessageID: ref.MessageID, HTTPStatus: d.HTTPStatus, ErrorCode: d.ErrorCode, Reason: d.Reason,
		RetryAfter: d.RetryAfter, Policy: policy, At: now().UTC()}
	res, err := runOutbound(ctx, store, ref, cmd, ActorSender, ref.MessageID.String())
	if err != nil {
		return nil, fmt.Errorf("defer sending %s: %w", ref.MessageID, err)
	}
	return only(res.Events), nil
}

// RecordOutcomeUnknown records that the call of the attempt in flight ended
// without a known outcome (reason says how); the message is never attempted
// again.
func RecordOutcomeUnknown(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, reason string) error {
	cmd := conversation.RecordOutcomeUnknown{MessageID: ref.MessageID, Reason: reason, At: now().UTC()}
	if _, err := runOutbound(ctx, store, ref, cmd, ActorSender, ref.MessageID.String()); err != nil {
		return fmt.Errorf("record the outcome of %s unknown: %w", ref.MessageID, err)
	}
	return nil
}

// ExpireOutcome records the message failed, outcome unknown, when wait has
// passed since its attempt with no callback naming it; nothing otherwise.
func ExpireOutcome(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, wait time.Duration) (conversation.Event, error) {
	cmd := conversation.ExpireOutcome{MessageID: ref.MessageID, Wait: wait, At: now().UTC()}
	res, err := runOutbound(ctx, store, ref, cmd, ActorSender, ref.MessageID.String())
	if err != nil {
		return nil, fmt.Errorf("expire the outcome of %s: %w", ref.MessageID, err)
	}
	return only(res.Events), nil
}

// only is the one event a send step decided, nil for none.
func only(events []conversation.Event) conversation.Event {
	if len(events) == 0 {
		return nil
	}
	return events[0]
}

// Failure is why a message will not be sent: Twilio's error code (e.g.
// 21610, 0 for none), the reason for a person and its code (one of
// conversation's Reason* constants), and whether Twilio refused it because
// the customer opted out at the carrier (21610).
type Failure struct {
	ErrorCode     int
	Reason        string
	ReasonCode    string
	CarrierOptOut bool
}

// FailSend records that the message will not be sent, or that Twilio refused
// it, unless it is final.
func FailSend(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, f Failure) (eventstore.Position, error) {
	cmd := conversation.FailSend{MessageID: ref.MessageID, ErrorCode: f.ErrorCode, Reason: f.Reason, ReasonCode: f.ReasonCode,
		CarrierOptOut: f.CarrierOptOut, At: now().UTC()}
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
