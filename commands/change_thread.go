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

// conversationDecider is the conversation aggregate for Execute. An inbound
// message's event ID comes from its MessageSid, so Twilio's retries record
// nothing twice even when two copies race.
var conversationDecider = Decider[conversation.State, conversation.Event, conversation.Command]{
	Evolve:        conversation.Evolve,
	Decide:        conversation.Decide,
	Decode:        conversation.Decode,
	SchemaVersion: conversation.SchemaVersion,
	EventID: func(e conversation.Event) uuid.UUID {
		if m, ok := e.(conversation.MessageReceived); ok {
			return conversation.InboundEventID(m.MessageSID)
		}
		return uuid.Nil
	},
}

// ThreadAction is a staff action on a thread.
type ThreadAction string

const (
	MarkRead   ThreadAction = "read"
	MarkUnread ThreadAction = "unread"
	Archive    ThreadAction = "archive"
	Unarchive  ThreadAction = "unarchive"
)

// ChangeThread asks to mark a thread read or unread, or to archive or
// unarchive it.
type ChangeThread struct {
	CompanyID string
	Customer  phone.Number
	Action    ThreadAction
	// Actor is who asks ("user:<id>").
	Actor string
}

// ChangeThreadHandler runs read / unread / archive / unarchive.
type ChangeThreadHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewChangeThreadHandler returns a handler that records in store.
func NewChangeThreadHandler(store eventstore.Store, now func() time.Time) *ChangeThreadHandler {
	return &ChangeThreadHandler{store: store, now: now}
}

// Handle applies the action to the thread of the company and customer and
// returns the position to wait for.
func (h *ChangeThreadHandler) Handle(ctx context.Context, c ChangeThread) (eventstore.Position, error) {
	at := h.now().UTC()
	var cmd conversation.Command
	switch action := c.Action; action {
	case MarkRead:
		cmd = conversation.MarkRead{At: at}
	case MarkUnread:
		cmd = conversation.MarkUnread{At: at}
	case Archive:
		cmd = conversation.Archive{At: at}
	case Unarchive:
		cmd = conversation.Unarchive{At: at}
	default:
		return 0, fmt.Errorf("%w: unknown thread action %q", conversation.ErrInvalidCommand, action)
	}
	res, err := Execute(ctx, h.store, conversationDecider, conversation.StreamID(c.CompanyID, c.Customer), cmd, eventstore.Metadata{Actor: c.Actor})
	if err != nil {
		return 0, fmt.Errorf("%s thread: %w", c.Action, err)
	}
	return res.Position, nil
}
