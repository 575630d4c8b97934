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

// The steps of sending one outbound message, each one command on the
// message's conversation in a file of its own; the outbound sender
// (adapters/sender) runs them in order:
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
//	RecordCarrierOptOut   Twilio refused it for a carrier opt-out (21610):
//	                      recorded on the consent too

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

// sendStep is what the sender's steps hold: the store and the clock.
type sendStep struct {
	store eventstore.Store
	now   func() time.Time
}

// run executes cmd on the message's conversation, as the sender.
func (s sendStep) run(ctx context.Context, ref MessageRef, cmd conversation.Command, correlation string) (Result[conversation.State, conversation.Event], error) {
	return runOutbound(ctx, s.store, ref, cmd, ActorSender, correlation)
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

// only is the one event a send step decided, nil for none.
func only(events []conversation.Event) conversation.Event {
	if len(events) == 0 {
		return nil
	}
	return events[0]
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
