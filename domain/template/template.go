// Package template is a company's canned replies: named texts with
// placeholders that smsinbox fills in from the thread's lead and the company
// when a staff member sends one. It is pure: Decide checks a command against
// the company's catalogue folded from its stream and returns the events to
// record; Evolve folds them; Fill makes the text of one send.
//
// All of a company's templates live in one stream, "templates-<company>"
// (StreamID): that a name is unique in the company is then a rule decided
// inside one stream, and the store's optimistic concurrency makes it hold
// when two people save at once (the second append finds the stream moved,
// is decided again on the new catalogue, and meets the name). They are not
// events of the company stream, which every sign-in check and every send
// reads, and whose admin commands would then conflict with template edits.
//
// The rules, one row each (a commented case in decide.go or fill.go):
//
//	| # | command        | rule                                                               | refused with          |
//	|---|----------------|--------------------------------------------------------------------|-----------------------|
//	| 1 | Create, Update | a name: 1 to MaxNameLength characters once trimmed, no control     | ErrInvalid            |
//	|   |                | characters                                                         |                       |
//	| 2 | Create, Update | a body: 1 to MaxBodyLength characters, not only white space        | ErrInvalid            |
//	| 3 | Create, Update | every {{...}} in the body is one of Placeholders; a "{{" that no   | ErrUnknownPlaceholder |
//	|   |                | "}}" closes is no placeholder either                               |                       |
//	| 4 | Create, Update | no other live template of the company has the name (compared       | ErrTemplateExists     |
//	|   |                | without regard to case or runs of white space)                     |                       |
//	| 5 | Create         | TemplateCreated; the same ID again with the same name and body (a  | ErrInvalid otherwise  |
//	|   |                | retry) decides nothing                                             |                       |
//	| 6 | Update, Delete | the template exists and is not deleted                             | ErrTemplateNotFound   |
//	| 7 | Update         | TemplateUpdated, only when the name or the body changes            |                       |
//	| 8 | Delete         | TemplateDeleted; its name is free again                            |                       |
//	| 9 | Fill           | every placeholder of the body has a value (no lead: no names)      | ErrValueMissing       |
//
// Readings decided here:
//   - Placeholders are written exactly as listed, lower case, with no space
//     inside the braces: "{{ first_name }}" is refused as unknown (row 3)
//     rather than silently read, so what a template shows is what is filled.
//   - Single braces are ordinary text; so is a "}}" with no "{{" before it.
//   - A text filled from a template is checked again when queued (it may be
//     longer than MaxBodyLength once the names are in): see conversation.
//   - {{full_name}} is "first last"; a lead always has both names, so it has
//     a value exactly when the lead exists.
package template

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// MaxNameLength is the longest name, in characters.
const MaxNameLength = 100

// MaxBodyLength is the longest body, in characters: what one text may hold
// (conversation.MaxBodyLength).
const MaxBodyLength = 1600

var (
	// ErrInvalid: a command lacks what it needs or holds a value that is not
	// acceptable (HTTP 400 invalid_request).
	ErrInvalid = errors.New("invalid template")
	// ErrUnknownPlaceholder: the body names a placeholder smsinbox cannot
	// fill (HTTP 400 unknown_placeholder).
	ErrUnknownPlaceholder = errors.New("unknown placeholder")
	// ErrTemplateExists: another template of the company has the name (HTTP
	// 409 template_exists).
	ErrTemplateExists = errors.New("a template with this name exists")
	// ErrTemplateNotFound: the company has no such template (HTTP 404).
	ErrTemplateNotFound = errors.New("no such template")
	// ErrValueMissing: a placeholder has no value for this thread (HTTP 400
	// template_value_missing).
	ErrValueMissing = errors.New("a placeholder has no value")
	// ErrUnknownEvent: Decode met a type it does not know.
	ErrUnknownEvent = errors.New("unknown template event")
)

// Error is a refusal with a sentence for a person; it matches its Err.
type Error struct {
	Err     error
	Message string
	// Field names what a person must change when the refusal is about one
	// part of what they wrote (rows 1 to 4): FieldName or FieldBody; ""
	// otherwise. A form shows the message beside that field.
	Field string
}

// The fields of a template that a refusal may name (Error.Field).
const (
	FieldName = "name"
	FieldBody = "body"
)

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

func errorf(err error, format string, args ...any) *Error {
	return &Error{Err: err, Message: fmt.Sprintf(format, args...)}
}

// fieldErrorf is errorf about one field of the template.
func fieldErrorf(field string, err error, format string, args ...any) *Error {
	return &Error{Err: err, Message: fmt.Sprintf(format, args...), Field: field}
}

// StreamID is the stream of a company's templates.
func StreamID(companyID string) eventstore.StreamID {
	return eventstore.StreamID("templates-" + companyID)
}

// notFound is row 6's refusal.
func notFound(id uuid.UUID) *Error {
	return errorf(ErrTemplateNotFound, "there is no template %s", id)
}
