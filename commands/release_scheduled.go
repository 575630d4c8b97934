package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ReleaseScheduled asks to decide on a scheduled message that is due (the
// due-scheduler, adapters/scheduler, asks).
type ReleaseScheduled struct {
	MessageRef
}

// ReleaseScheduledHandler releases due scheduled messages.
type ReleaseScheduledHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewReleaseScheduledHandler returns a handler that records in store.
func NewReleaseScheduledHandler(store eventstore.Store, now func() time.Time) *ReleaseScheduledHandler {
	return &ReleaseScheduledHandler{store: store, now: now}
}

// Handle decides whether the message goes: with the company and the consent
// read from their streams now, and the customer's hours at now (a text
// released late, when no server ran at its send_at, must not leave at a
// forbidden hour), it records it queued (the sender sends it) or canceled,
// and returns that event; nil when it decided nothing (released or canceled
// already, or not due at now). Two servers that release it at once record
// one decision: the second append fails on the thread's version, and the
// decision taken again finds it released.
func (h *ReleaseScheduledHandler) Handle(ctx context.Context, cmd ReleaseScheduled) (conversation.Event, error) {
	checks, err := SendChecksFor(ctx, h.store, cmd.MessageRef)
	if err != nil {
		return nil, err
	}
	release := conversation.ReleaseScheduled{MessageID: cmd.MessageID, Checks: checks, At: h.now().UTC()}
	res, err := Execute(ctx, h.store, outboundDecider, cmd.stream(), conversation.Command(release),
		eventstore.Metadata{Actor: ActorScheduler, CorrelationID: cmd.MessageID.String()})
	if err != nil {
		return nil, fmt.Errorf("release %s: %w", cmd.MessageID, err)
	}
	return only(res.Events), nil
}
