package conversation_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

func noteID(name string) uuid.UUID { return uuid.NewSHA1(uuid.NameSpaceX500, []byte(name)) }

func addNote(name, body string, min int) conversation.AddNote {
	return conversation.AddNote{NoteID: noteID(name), AuthorID: "ann", Body: body, At: at(min)}
}

func noteAdded(name, body string, min int) conversation.NoteAdded {
	return conversation.NoteAdded{Thread: thread, NoteID: noteID(name), AuthorID: "ann", Body: body, At: at(min)}
}

func TestDecideNotes(t *testing.T) {
	open := received("SM1", 0)
	longest := strings.Repeat("é", conversation.MaxNoteLength)
	tests := []decideCase{
		{"Row 1: a note", events(open), addNote("n1", "She prefers mornings.", 1), events(noteAdded("n1", "She prefers mornings.", 1)), nil},
		{"Row 1: one character", events(open), addNote("n1", "x", 1), events(noteAdded("n1", "x", 1)), nil},
		{"Row 1: 2,000 characters (not bytes)", events(open), addNote("n1", longest, 1), events(noteAdded("n1", longest, 1)), nil},
		{"Row 1: a second note", events(open, noteAdded("n1", "a", 1)), addNote("n2", "b", 2), events(noteAdded("n2", "b", 2)), nil},
		{"Row 1: invalid UTF-8 is made safe", events(open), addNote("n1", "ok\xff\x00", 1), events(noteAdded("n1", "ok\uFFFD\uFFFD", 1)), nil},
		{"Row 2: the same note again", events(open, noteAdded("n1", "a", 1)), addNote("n1", "a", 2), nil, nil},
		{"Row 3: empty", events(open), addNote("n1", "", 1), nil, conversation.ErrInvalidCommand},
		{"Row 3: blank", events(open), addNote("n1", " \n\t ", 1), nil, conversation.ErrInvalidCommand},
		{"Row 3: 2,001 characters", events(open), addNote("n1", longest+"x", 1), nil, conversation.ErrInvalidCommand},
		{"Row 3: no author", events(open), conversation.AddNote{NoteID: noteID("n1"), Body: "a", At: at(1)}, nil, conversation.ErrInvalidCommand},
		{"Row 3: no ID", events(open), conversation.AddNote{AuthorID: "ann", Body: "a", At: at(1)}, nil, conversation.ErrInvalidCommand},
		{"Row 3: no time", events(open), conversation.AddNote{NoteID: noteID("n1"), AuthorID: "ann", Body: "a"}, nil, conversation.ErrInvalidCommand},
		{"Row 4: a missing thread", nil, addNote("n1", "a", 1), nil, conversation.ErrThreadNotFound},
	}
	runDecide(t, tests)
}

// A note is not a message: it changes neither unread, nor activity, nor the
// count of messages (so nothing that is derived from them).
func TestEvolveNoteIsNotAMessage(t *testing.T) {
	before := given(received("SM1", 0), conversation.ThreadRead{Thread: thread, At: at(1)})
	after := conversation.Evolve(before, noteAdded("n1", "call back Tuesday", 9))
	if after.Unread || after.Archived || !after.LastActivityAt.Equal(before.LastActivityAt) ||
		!after.LastCustomerReplyAt.Equal(before.LastCustomerReplyAt) || after.Messages != before.Messages {
		t.Fatalf("a note changed the thread: before %+v after %+v", before, after)
	}
	if after.Notes != 1 || before.Notes != 0 {
		t.Fatalf("Notes %d then %d, want 0 then 1", before.Notes, after.Notes)
	}
}

func TestNoteAddedRoundTrip(t *testing.T) {
	e := noteAdded("n1", "She prefers mornings.", 1)
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := conversation.Decode(e.EventType(), data)
	if err != nil || !reflect.DeepEqual(got, conversation.Event(e)) {
		t.Fatalf("round trip %#v, %v", got, err)
	}
}
