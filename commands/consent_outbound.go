package commands

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// QueueAutomatedText is the TextQueue of production: QueueOutbound, marked
// automated (app "automated", sent whatever the consent status), hidden when
// the text is not shown in the thread, under the message ID that the consent
// event gave it (so a retry queues nothing twice).
func QueueAutomatedText(store eventstore.Store, now func() time.Time) TextQueue {
	return func(ctx context.Context, t AutomatedText) (eventstore.Position, error) {
		return QueueOutbound(ctx, store, now, OutboundRequest{
			CompanyID: t.CompanyID, Customer: t.Customer, Body: t.Body, App: AppAutomated, Automated: true,
			Hidden: t.Hidden, MessageID: t.MessageID, Actor: consent.ActorSystem, CorrelationID: t.CorrelationID,
		})
	}
}
