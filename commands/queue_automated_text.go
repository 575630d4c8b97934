package commands

import (
	"context"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// QueueAutomatedText asks to queue an automated text that a consent event
// calls for (consent.Change.AutomatedText): ReceiveInbound and SubmitForm
// ask, once their consent events are recorded.
type QueueAutomatedText struct {
	CompanyID string
	Customer  phone.Number
	Kind      consent.AutomatedText
	Body      string
	// Hidden: not shown in the thread nor its export (the opt-out
	// confirmation); the audit shows it.
	Hidden bool
	// MessageID is consent.AutomatedMessageID of the consent event: the same for
	// every attempt, so a retry queues nothing twice.
	MessageID uuid.UUID
	// ConsentEventID is the event that called for the text.
	ConsentEventID uuid.UUID
	// CorrelationID ties the text to its cause (the inbound MessageSid).
	CorrelationID string
}

// QueueAutomatedTextHandler queues automated texts through QueueOutbound.
type QueueAutomatedTextHandler struct {
	queue Handler[QueueOutbound, eventstore.Position]
}

// NewQueueAutomatedTextHandler returns a handler that queues through queue.
func NewQueueAutomatedTextHandler(queue Handler[QueueOutbound, eventstore.Position]) *QueueAutomatedTextHandler {
	return &QueueAutomatedTextHandler{queue: queue}
}

// Handle queues the text (recorded first, then sent by the outbound sender),
// marked automated (app "automated", sent whatever the consent status),
// hidden when the text is not shown in the thread, under the message ID that
// the consent event gave it: queuing the same text again records nothing.
func (h *QueueAutomatedTextHandler) Handle(ctx context.Context, t QueueAutomatedText) (eventstore.Position, error) {
	return h.queue.Handle(ctx, QueueOutbound{
		CompanyID: t.CompanyID, Customer: t.Customer, Body: t.Body, App: AppAutomated, Automated: true,
		Hidden: t.Hidden, MessageID: t.MessageID, Actor: consent.ActorSystem, CorrelationID: t.CorrelationID,
	})
}
