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

// AddNote asks to record a staff note on a thread
// (POST /api/threads/{thread_id}/notes).
type AddNote struct {
	CompanyID string
	Customer  phone.Number
	AuthorID  string
	Body      string
}

// AddNoteHandler records notes.
type AddNoteHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewAddNoteHandler returns a handler that records in store.
func NewAddNoteHandler(store eventstore.Store, now func() time.Time) *AddNoteHandler {
	return &AddNoteHandler{store: store, now: now}
}

// NoteAdded is what AddNote recorded.
type NoteAdded struct {
	NoteID   uuid.UUID
	Position eventstore.Position
}

// Handle records the body as a note by the author on the thread of the
// company and customer. The note is never texted: it is a NoteAdded, which
// the sender never reads.
func (h *AddNoteHandler) Handle(ctx context.Context, cmd AddNote) (NoteAdded, error) {
	id := uuid.Must(uuid.NewV7())
	add := conversation.AddNote{NoteID: id, AuthorID: cmd.AuthorID, Body: cmd.Body, At: h.now().UTC()}
	res, err := Execute(ctx, h.store, conversationDecider, conversation.StreamID(cmd.CompanyID, cmd.Customer), conversation.Command(add),
		eventstore.Metadata{Actor: "user:" + cmd.AuthorID})
	if err != nil {
		return NoteAdded{}, fmt.Errorf("add note: %w", err)
	}
	return NoteAdded{NoteID: id, Position: res.Position}, nil
}
