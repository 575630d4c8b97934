package commands

import (
	"context"
	"fmt"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// AppAutomated is the app of every automated text.
const AppAutomated = "automated"

// automatedTexts are the texts that records call for, in order.
func automatedTexts(records []consentRecord, correlationID string) []QueueAutomatedText {
	var out []QueueAutomatedText
	for _, r := range records {
		c := r.Event.Base()
		if c.AutomatedText == consent.TextNone || c.AutomatedText == "" || c.AutomatedTextBody == "" {
			continue
		}
		out = append(out, QueueAutomatedText{
			CompanyID: c.CompanyID, Customer: c.CustomerPhone, Kind: c.AutomatedText, Body: c.AutomatedTextBody,
			Hidden: !c.AutomatedText.ShownInThread(), MessageID: consent.AutomatedMessageID(r.ID), ConsentEventID: r.ID,
			CorrelationID: correlationID,
		})
	}
	return out
}

// queueTexts queues texts in order and returns the last position (from when
// nothing was queued).
func queueTexts(ctx context.Context, queue Handler[QueueAutomatedText, eventstore.Position], texts []QueueAutomatedText, from eventstore.Position) (eventstore.Position, error) {
	pos := from
	if len(texts) == 0 {
		return pos, nil
	}
	if queue == nil {
		return pos, fmt.Errorf("no text queue to send %d automated text(s)", len(texts))
	}
	for _, t := range texts {
		p, err := queue.Handle(ctx, t)
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
