package commands

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// AppAutomated is the app of every automated text.
const AppAutomated = "automated"

// AutomatedText is an automated text that a consent event calls for
// (consent.Change.AutomatedText), ready to queue.
type AutomatedText struct {
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

// TextQueue queues an automated text for sending (recorded first, then sent
// by the outbound sender). Queuing the same MessageID again records nothing.
type TextQueue func(ctx context.Context, t AutomatedText) (eventstore.Position, error)

// automatedTexts are the texts that records call for, in order.
func automatedTexts(records []consentRecord, correlationID string) []AutomatedText {
	var out []AutomatedText
	for _, r := range records {
		c := r.Event.Base()
		if c.AutomatedText == consent.TextNone || c.AutomatedText == "" || c.AutomatedTextBody == "" {
			continue
		}
		out = append(out, AutomatedText{
			CompanyID: c.CompanyID, Customer: c.CustomerPhone, Kind: c.AutomatedText, Body: c.AutomatedTextBody,
			Hidden: !c.AutomatedText.ShownInThread(), MessageID: consent.AutomatedMessageID(r.ID), ConsentEventID: r.ID,
			CorrelationID: correlationID,
		})
	}
	return out
}

// queueTexts queues texts in order and returns the last position (from when
// nothing was queued).
func queueTexts(ctx context.Context, queue TextQueue, texts []AutomatedText, from eventstore.Position) (eventstore.Position, error) {
	pos := from
	if len(texts) == 0 {
		return pos, nil
	}
	if queue == nil {
		return pos, fmt.Errorf("no text queue to send %d automated text(s)", len(texts))
	}
	for _, t := range texts {
		p, err := queue(ctx, t)
		if err != nil {
			return pos, fmt.Errorf("queue %s %s: %w", t.Kind, t.MessageID, err)
		}
		pos = max(pos, p)
	}
	return pos, nil
}

// tail is the records at the end of history that match: they may still need
// their texts queued after a retry (an earlier attempt may have stopped
// between the consent append and the queue). Records followed by others are
// left alone: a text that late would answer a superseded state.
func tail(history []consentRecord, match func(consentRecord) bool) []consentRecord {
	i := len(history)
	for i > 0 && match(history[i-1]) {
		i--
	}
	return history[i:]
}
