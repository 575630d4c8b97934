package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ScheduleOutbound asks to send a staff text at SendAt
// (POST /api/threads/{thread_id}/messages with send_at).
type ScheduleOutbound struct {
	QueueOutbound
	SendAt time.Time
}

// ScheduleOutboundHandler schedules staff texts.
type ScheduleOutboundHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewScheduleOutboundHandler returns a handler that records in store.
func NewScheduleOutboundHandler(store eventstore.Store, now func() time.Time) *ScheduleOutboundHandler {
	return &ScheduleOutboundHandler{store: store, now: now}
}

// Handle records a staff text to go out at req.SendAt from the company's
// current messaging number (status scheduled) and returns its position. It
// requires consent yes, as QueueOutbound does (consent.ErrConsentRequired);
// a send_at less than a minute or more than 35 days ahead is
// conversation.ErrInvalidSendAt, one outside the customer's hours a
// *conversation.QuietHoursError.
func (h *ScheduleOutboundHandler) Handle(ctx context.Context, req ScheduleOutbound) (eventstore.Position, error) {
	// A scheduled text is a staff text: consent is always required.
	req.Automated = false
	return recordText(ctx, h.store, h.now, req.QueueOutbound, "a scheduled text", "schedule text", func(co company.State) conversation.Command {
		return conversation.ScheduleMessage{
			MessageID: req.MessageID, CompanyID: req.CompanyID, CustomerPhone: req.Customer, From: co.MessagingNumber,
			Body: req.Body, App: req.App, TemplateID: req.TemplateID, SentBy: req.SentBy,
			SendAt: req.SendAt, CompanyWindow: co.QuietHours, At: h.now().UTC(),
		}
	})
}
