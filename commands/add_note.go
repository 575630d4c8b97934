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

// AddNote records a staff note on a thread (POST /api/threads/{thread_id}/notes).
type AddNote struct {
	Store eventstore.Store
	Now   func() time.Time
}

// NoteAdded is what AddNote recorded.
type NoteAdded struct {
	NoteID   uuid.UUID
	Position eventstore.Position
}

// Handle records body as a note by authorID on the thread of companyID and
// customer. The note is never texted: it is a NoteAdded, which the sender
// never reads.
func (h AddNote) Handle(ctx context.Context, companyID string, customer phone.Number, authorID, body string) (NoteAdded, error) {
	id := uuid.Must(uuid.NewV7())
	cmd := conversation.AddNote{NoteID: id, AuthorID: authorID, Body: body, At: h.Now().UTC()}
	res, err := Execute(ctx, h.Store, conversationDecider, conversation.StreamID(companyID, customer), conversation.Command(cmd),
		eventstore.Metadata{Actor: "user:" + authorID})
	if err != nil {
		return NoteAdded{}, fmt.Errorf("add note: %w", err)
	}
	return NoteAdded{NoteID: id, Position: res.Position}, nil
}
