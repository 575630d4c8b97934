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

// The use cases of scheduled messages (domain/conversation's scheduled.go):
//
//	ScheduleOutbound    a staff text to go at send_at, decided now (consent
//	                    yes, the recipient's hours at send_at)
//	ReleaseScheduled    when due: released to the sender, or canceled
//	                    (the due-scheduler, adapters/scheduler, runs it)
//	CancelScheduled     a user cancels it
//	CancelUnsent        a STOP cancels every staff text not handed to Twilio

// ActorScheduler is the actor of a release (or a cancel when due).
const ActorScheduler = "system:scheduler"

// ScheduleRequest is a staff text to send at SendAt.
type ScheduleRequest struct {
	OutboundRequest
	SendAt time.Time
}

// ScheduleOutbound records a staff text to go out at req.SendAt from the
// company's current messaging number (status scheduled) and returns its
// position. It requires consent yes, as QueueOutbound does
// (consent.ErrConsentRequired); a send_at less than a minute or more than
// 35 days ahead is conversation.ErrInvalidSendAt, one outside the
// customer's hours a *conversation.QuietHoursError.
func ScheduleOutbound(ctx context.Context, store eventstore.Store, now func() time.Time, req ScheduleRequest) (eventstore.Position, error) {
	if req.CompanyID == "" || req.Customer == "" || req.MessageID == uuid.Nil {
		return 0, fmt.Errorf("%w: a scheduled text needs a company, a customer and a message ID", conversation.ErrInvalidCommand)
	}
	co, err := LoadCompany(ctx, store, req.CompanyID)
	if err != nil {
		return 0, err
	}
	if err := requireConsent(ctx, store, req.CompanyID, req.Customer, co.MessagingNumber); err != nil {
		return 0, err
	}
	cmd := conversation.ScheduleMessage{
		MessageID: req.MessageID, CompanyID: req.CompanyID, CustomerPhone: req.Customer, From: co.MessagingNumber,
		Body: req.Body, App: req.App, TemplateID: req.TemplateID, SentBy: req.SentBy,
		SendAt: req.SendAt, CompanyWindow: co.QuietHours, At: now().UTC(),
	}
	meta := eventstore.Metadata{Actor: req.Actor, CorrelationID: req.CorrelationID}
	res, err := Execute(ctx, store, outboundDecider, conversation.StreamID(req.CompanyID, req.Customer), conversation.Command(cmd), meta)
	if err != nil {
		return 0, fmt.Errorf("schedule text %s: %w", req.MessageID, err)
	}
	return afterReply(ctx, store, now, req.OutboundRequest, res)
}

// ReleaseScheduled decides, once scheduled message ref is due, whether it
// goes: with the company and the consent read from their streams now, and
// the customer's hours at now (a text released late, when no server ran at
// its send_at, must not leave at a forbidden hour), it records it queued
// (the sender sends it) or canceled, and returns that
// event; nil when it decided nothing (released or canceled already, or not
// due at now). Two servers that release it at once record one decision: the
// second append fails on the thread's version, and the decision taken again
// finds it released.
func ReleaseScheduled(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef) (conversation.Event, error) {
	checks, err := SendChecksFor(ctx, store, ref)
	if err != nil {
		return nil, err
	}
	cmd := conversation.ReleaseScheduled{MessageID: ref.MessageID, Checks: checks, At: now().UTC()}
	res, err := Execute(ctx, store, outboundDecider, ref.stream(), conversation.Command(cmd),
		eventstore.Metadata{Actor: ActorScheduler, CorrelationID: ref.MessageID.String()})
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", ref.MessageID, err)
	}
	return only(res.Events), nil
}

// CancelScheduled cancels scheduled message ref for a user (actor): nothing
// when it is canceled already; conversation.ErrNotScheduled once it has
// left.
func CancelScheduled(ctx context.Context, store eventstore.Store, now func() time.Time, ref MessageRef, actor string) (eventstore.Position, error) {
	cmd := conversation.CancelScheduled{MessageID: ref.MessageID, At: now().UTC()}
	res, err := Execute(ctx, store, outboundDecider, ref.stream(), conversation.Command(cmd),
		eventstore.Metadata{Actor: actor, CorrelationID: ref.MessageID.String()})
	if err != nil {
		return 0, fmt.Errorf("cancel %s: %w", ref.MessageID, err)
	}
	return res.Position, nil
}

// CancelUnsent cancels, for the customer's opt-out text sid, every staff
// text of the conversation that Twilio has not been handed (scheduled, or
// queued with no attempt in flight): reason consent. The sender would refuse
// each one anyway when its turn came (conversation.SendChecks); this makes
// them canceled at once, in the thread too. It returns the position of what
// it recorded (or of the stream's last event).
func CancelUnsent(ctx context.Context, store eventstore.Store, companyID string, customer phone.Number, sid string, at time.Time) (eventstore.Position, error) {
	cmd := conversation.CancelUnsent{Reason: conversation.CancelConsent,
		Explanation: "canceled: the customer withdrew consent (opt-out text " + sid + ") before it was handed to Twilio", At: at}
	res, err := Execute(ctx, store, outboundDecider, conversation.StreamID(companyID, customer), conversation.Command(cmd),
		eventstore.Metadata{Actor: "customer:" + string(customer), CorrelationID: sid})
	if err != nil {
		return 0, fmt.Errorf("cancel the texts not sent to %s: %w", customer, err)
	}
	return res.Position, nil
}
