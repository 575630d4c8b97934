package conversation

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Notes (the team inbox) are remarks between staff on a thread. The rules,
// one row of TestDecideNotes each:
//
//	Row 1 A note of 1 to MaxNoteLength characters on a thread → NoteAdded
//	Row 2 The same note ID again (a retry)                     → nothing
//	Row 3 An empty, blank or too long note, or no author       → ErrInvalidCommand
//	Row 4 A note on a thread that does not exist               → ErrThreadNotFound
//
// A note is never texted, never exported, never the thread's preview, and
// changes neither its unread flag nor its activity time: NoteAdded is a fact
// of its own, which Evolve keeps apart from the messages (see State.Notes)
// and which no projector of messages reads.

// MaxNoteLength is the longest note, in characters.
const MaxNoteLength = 2000

// AddNote records a staff note on the thread.
type AddNote struct {
	// NoteID is the caller's: a retry with the same ID records nothing.
	NoteID   uuid.UUID
	AuthorID string
	Body     string
	At       time.Time
}

func (AddNote) isCommand() {}

// TypeNoteAdded is the event type of a note.
const TypeNoteAdded = "NoteAdded"

// NoteAdded: staff user AuthorID wrote Body on the thread.
type NoteAdded struct {
	Thread
	NoteID   uuid.UUID `json:"note_id"`
	AuthorID string    `json:"author_id"`
	Body     string    `json:"body"`
	At       time.Time `json:"occurred_at"`
}

func (NoteAdded) EventType() string       { return TypeNoteAdded }
func (e NoteAdded) OccurredAt() time.Time { return e.At }

func addNote(s State, c AddNote) ([]Event, error) {
	if err := onThread(s, c.At); err != nil {
		return nil, err
	}
	c.Body = clean(c.Body)
	switch {
	case c.NoteID == uuid.Nil:
		return nil, invalid("note ID")
	case c.AuthorID == "":
		return nil, invalid("author")
	case strings.TrimSpace(c.Body) == "":
		return nil, fmt.Errorf("%w: body: write the note", ErrInvalidCommand)
	case utf8.RuneCountInString(c.Body) > MaxNoteLength:
		return nil, fmt.Errorf("%w: body: a note is at most %d characters", ErrInvalidCommand, MaxNoteLength)
	}
	if s.notes.Has(c.NoteID.String()) {
		return nil, nil
	}
	return []Event{NoteAdded{Thread: s.Thread, NoteID: c.NoteID, AuthorID: c.AuthorID, Body: c.Body, At: c.At}}, nil
}
