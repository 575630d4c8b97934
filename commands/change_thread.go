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

// ChangeThread runs read / unread / archive / unarchive.
type ChangeThread struct {
	Store eventstore.Store
	Now   func() time.Time
}

// Handle applies action to the thread of companyID and customer, on behalf
// of actor ("user:<id>"), and returns the position to wait for.
func (h ChangeThread) Handle(ctx context.Context, companyID string, customer phone.Number, action ThreadAction, actor string) (eventstore.Position, error) {
	at := h.Now().UTC()
	var cmd conversation.Command
	switch action {
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
	res, err := Execute(ctx, h.Store, conversationDecider, conversation.StreamID(companyID, customer), cmd, eventstore.Metadata{Actor: actor})
	if err != nil {
		return 0, fmt.Errorf("%s thread: %w", action, err)
	}
	return res.Position, nil
}
