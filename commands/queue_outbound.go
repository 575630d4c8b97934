package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// AppDashboard is the app of a staff reply from the dashboard.
const AppDashboard = "dashboard"

// QueueOutbound asks to send a text to a customer now: a staff reply
// (POST /api/threads/{thread_id}/messages) or an automated text.
type QueueOutbound struct {
	CompanyID string
	Customer  phone.Number
	Body      string
	App       string // "dashboard" for staff, "automated" for automated texts
	Automated bool   // automated texts may go out whatever the consent status
	Hidden    bool   // not shown in the thread (the opt-out confirmation); still in the audit
	// MessageID is the caller's ID (deterministic for automated texts, so
	// retries queue once).
	MessageID uuid.UUID
	// TemplateID is the template Body was filled from (FillTemplate); nil
	// for a text written as it is.
	TemplateID    *uuid.UUID
	Actor         string
	CorrelationID string // e.g. the triggering MessageSid
	// SentBy is the staff user who wrote a staff text ("" for automated
	// texts): a staff reply to an unassigned thread assigns it to them.
	SentBy string
}

// outboundDecider is the conversation aggregate for the outbound commands:
// conversationDecider, with the queued event's ID derived from the message ID,
// so that a retried QueueOutbound (the consent texts' retries) records nothing
// twice even when two copies race past Decide's check; so is a scheduled
// message's (its release is an OutboundMessageQueued: two releases at once
// record one).
var outboundDecider = func() Decider[conversation.State, conversation.Event, conversation.Command] {
	d := conversationDecider
	d.EventID = func(e conversation.Event) uuid.UUID {
		switch e := e.(type) {
		case conversation.OutboundMessageQueued:
			return conversation.OutboundEventID(e.MessageID)
		case conversation.OutboundMessageScheduled:
			return conversation.ScheduledEventID(e.MessageID)
		case conversation.ThreadAssigned:
			if e.ReplyID != uuid.Nil {
				return conversation.ReplyAssignedEventID(e.ReplyID)
			}
		}
		return conversationDecider.EventID(e)
	}
	return d
}()

// requireConsent is nil when staff may text customer from number: consent
// yes on that number, as the consent stream in the event store says (not a
// read model, which may lag). Else an error matching consent.ErrConsentRequired.
func requireConsent(ctx context.Context, store eventstore.Store, companyID string, customer, number phone.Number) error {
	s, err := LoadConsent(ctx, store, consent.StreamID(companyID, customer))
	if err != nil {
		return err
	}
	return consent.RequireConsent(s, number)
}

// QueueOutboundHandler queues outbound texts.
type QueueOutboundHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewQueueOutboundHandler returns a handler that records in store.
func NewQueueOutboundHandler(store eventstore.Store, now func() time.Time) *QueueOutboundHandler {
	return &QueueOutboundHandler{store: store, now: now}
}

// Handle records the message as queued in the conversation (status queued) and returns its position.
// Staff messages (Automated=false) require consent `yes` for (company, current messaging number, customer), decided from the
// consent stream in the event store (commands.Load with the consent decider), else consent.ErrConsentRequired and nothing is recorded.
// They leave now, so the conversation holds them to the recipient's quiet hours at now, narrowed by the company's own window
// (a *conversation.QuietHoursError, matching conversation.ErrQuietHours, with the next allowed moment; nothing is recorded).
//
// The message goes out from the company's current messaging number. The
// outbound sender (adapters/sender) sends it: it checks a staff message's
// consent again just before sending, so a STOP that arrives meanwhile stops
// it. sms_enabled is not checked here: the HTTP layer refuses staff requests
// of a company with Messages off, and automated texts go out whatever it says
// (a STOP must always be confirmed). Queuing a MessageID already recorded
// records nothing and answers the stream's position.
func (h *QueueOutboundHandler) Handle(ctx context.Context, req QueueOutbound) (eventstore.Position, error) {
	return recordText(ctx, h.store, h.now, req, "an outbound text", "queue text", func(co company.State) conversation.Command {
		return conversation.QueueMessage{
			MessageID: req.MessageID, CompanyID: req.CompanyID, CustomerPhone: req.Customer, From: co.MessagingNumber,
			Body: req.Body, App: req.App, Automated: req.Automated, Hidden: req.Hidden, TemplateID: req.TemplateID,
			QuietHours: co.QuietHours, SentBy: req.SentBy, At: h.now().UTC(),
		}
	})
}

// recordText is what queuing and scheduling a text share: it checks that
// req names its company, customer and message (else "<what> needs ..."),
// reads the company from its stream, requires consent yes for a staff text,
// then runs the command that decide makes with the company on the
// conversation (an error says "<doing> <message ID>") and answers
// afterReply's position.
func recordText(ctx context.Context, store eventstore.Store, now func() time.Time, req QueueOutbound, what, doing string,
	decide func(company.State) conversation.Command) (eventstore.Position, error) {
	if req.CompanyID == "" || req.Customer == "" || req.MessageID == uuid.Nil {
		return 0, fmt.Errorf("%w: %s needs a company, a customer and a message ID", conversation.ErrInvalidCommand, what)
	}
	co, err := LoadCompany(ctx, store, req.CompanyID)
	if err != nil {
		return 0, err
	}
	if !req.Automated {
		if err := requireConsent(ctx, store, req.CompanyID, req.Customer, co.MessagingNumber); err != nil {
			return 0, err
		}
	}
	meta := eventstore.Metadata{Actor: req.Actor, CorrelationID: req.CorrelationID}
	res, err := Execute(ctx, store, outboundDecider, conversation.StreamID(req.CompanyID, req.Customer), decide(co), meta)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", doing, req.MessageID, err)
	}
	return afterReply(ctx, store, now, req, res)
}

// afterReply is the position to answer once a staff reply (queued or
// scheduled) is recorded: when it assigned the thread to its sender and that
// user was removed from the company meanwhile, the thread is released again
// (see AssignThread).
func afterReply(ctx context.Context, store eventstore.Store, now func() time.Time, req QueueOutbound, res Result[conversation.State, conversation.Event]) (eventstore.Position, error) {
	for _, e := range res.Events {
		if a, ok := e.(conversation.ThreadAssigned); ok {
			return releaseIfRemoved(ctx, store, now, req.CompanyID, req.Customer, a.AssigneeID, res.Position)
		}
	}
	return res.Position, nil
}
