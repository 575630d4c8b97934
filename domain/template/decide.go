package template

import (
	"errors"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Template is one live template of the catalogue.
type Template struct {
	ID   uuid.UUID
	Name string
	Body string
}

// State is a company's catalogue, folded from its stream.
type State struct {
	// live are the templates not deleted, by ID.
	live map[uuid.UUID]Template
	// used are every ID the catalogue ever had, deleted ones included.
	used map[uuid.UUID]bool
}

// Template returns the live template id.
func (s State) Template(id uuid.UUID) (Template, bool) {
	t, ok := s.live[id]
	return t, ok
}

// Len is how many live templates the catalogue holds.
func (s State) Len() int { return len(s.live) }

// named returns the live template other than except whose name is the same
// as name (NameKey), if any.
func (s State) named(name string, except uuid.UUID) (Template, bool) {
	key := NameKey(name)
	for id, t := range s.live {
		if id != except && NameKey(t.Name) == key {
			return t, true
		}
	}
	return Template{}, false
}

// NameKey is what makes two names the same (row 4): lower case, with every
// run of white space one space.
func NameKey(name string) string {
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// Evolve folds one event. It never shares maps with s: a state once folded
// does not change under its holder.
func Evolve(s State, e Event) State {
	next := State{live: make(map[uuid.UUID]Template, len(s.live)+1), used: make(map[uuid.UUID]bool, len(s.used)+1)}
	for id, t := range s.live {
		next.live[id] = t
	}
	for id := range s.used {
		next.used[id] = true
	}
	switch e := e.(type) {
	case TemplateCreated:
		next.live[e.TemplateID] = Template{ID: e.TemplateID, Name: e.Name, Body: e.Body}
		next.used[e.TemplateID] = true
	case TemplateUpdated:
		next.live[e.TemplateID] = Template{ID: e.TemplateID, Name: e.Name, Body: e.Body}
	case TemplateDeleted:
		delete(next.live, e.TemplateID)
	}
	return next
}

// Command is what can be asked of a catalogue: Create, Update or Delete.
type Command interface{ isCommand() }

// Create saves a new template. The caller makes its ID.
type Create struct {
	TemplateID uuid.UUID
	CompanyID  string
	Name, Body string
	At         time.Time
}

// Update gives a template a new name and body.
type Update struct {
	TemplateID uuid.UUID
	CompanyID  string
	Name, Body string
	At         time.Time
}

// Delete removes a template.
type Delete struct {
	TemplateID uuid.UUID
	CompanyID  string
	At         time.Time
}

func (Create) isCommand() {}
func (Update) isCommand() {}
func (Delete) isCommand() {}

// Decide returns the events that command c causes on catalogue s (the rule
// table is the package's doc); none when it changes nothing. Every refusal is
// an *Error.
func Decide(s State, c Command) ([]Event, error) {
	switch c := c.(type) {
	case Create:
		if err := checkCommand(c.TemplateID, c.CompanyID, c.At); err != nil {
			return nil, err
		}
		name, body, err := checkContent(c.Name, c.Body)
		if err != nil {
			return nil, err
		}
		if s.used[c.TemplateID] {
			// Row 5: a retry of this very creation decides nothing.
			if t, ok := s.live[c.TemplateID]; ok && t.Name == name && t.Body == body {
				return nil, nil
			}
			return nil, errorf(ErrInvalid, "template ID %s is taken", c.TemplateID)
		}
		if err := uniqueName(s, name, c.TemplateID); err != nil {
			return nil, err
		}
		return []Event{TemplateCreated{TemplateID: c.TemplateID, CompanyID: c.CompanyID, Name: name, Body: body, At: c.At}}, nil
	case Update:
		if err := checkCommand(c.TemplateID, c.CompanyID, c.At); err != nil {
			return nil, err
		}
		name, body, err := checkContent(c.Name, c.Body)
		if err != nil {
			return nil, err
		}
		t, ok := s.live[c.TemplateID]
		if !ok {
			return nil, notFound(c.TemplateID) // row 6
		}
		if err := uniqueName(s, name, c.TemplateID); err != nil {
			return nil, err
		}
		if t.Name == name && t.Body == body {
			return nil, nil // row 7: nothing changes
		}
		return []Event{TemplateUpdated{TemplateID: c.TemplateID, CompanyID: c.CompanyID, Name: name, Body: body, At: c.At}}, nil
	case Delete:
		if err := checkCommand(c.TemplateID, c.CompanyID, c.At); err != nil {
			return nil, err
		}
		if _, ok := s.live[c.TemplateID]; !ok {
			return nil, notFound(c.TemplateID) // row 6
		}
		return []Event{TemplateDeleted{TemplateID: c.TemplateID, CompanyID: c.CompanyID, At: c.At}}, nil // row 8
	}
	return nil, errorf(ErrInvalid, "unknown template command %T", c)
}

func checkCommand(id uuid.UUID, companyID string, at time.Time) error {
	switch {
	case id == uuid.Nil:
		return errorf(ErrInvalid, "a template ID is required")
	case companyID == "":
		return errorf(ErrInvalid, "a company ID is required")
	case at.IsZero():
		return errorf(ErrInvalid, "a time is required")
	}
	return nil
}

// checkContent applies rows 1 to 3 and answers the name trimmed.
func checkContent(name, body string) (string, string, error) {
	name = strings.TrimSpace(name)
	switch {
	case !utf8.ValidString(name):
		return "", "", fieldErrorf(FieldName, ErrInvalid, "name: it must be valid UTF-8")
	case name == "": // row 1
		return "", "", fieldErrorf(FieldName, ErrInvalid, "name: give the template a name")
	case utf8.RuneCountInString(name) > MaxNameLength:
		return "", "", fieldErrorf(FieldName, ErrInvalid, "name: at most %d characters", MaxNameLength)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", "", fieldErrorf(FieldName, ErrInvalid, "name: no control characters (line breaks, tabs)")
	case !utf8.ValidString(body):
		return "", "", fieldErrorf(FieldBody, ErrInvalid, "body: it must be valid UTF-8")
	case strings.TrimSpace(body) == "": // row 2
		return "", "", fieldErrorf(FieldBody, ErrInvalid, "body: write the template's text")
	case utf8.RuneCountInString(body) > MaxBodyLength:
		return "", "", fieldErrorf(FieldBody, ErrInvalid, "body: a text is at most %d characters", MaxBodyLength)
	case strings.ContainsRune(body, 0):
		return "", "", fieldErrorf(FieldBody, ErrInvalid, "body: no NUL characters")
	}
	if _, err := Placeholders(body); err != nil { // row 3
		var te *Error
		if errors.As(err, &te) {
			te.Field = FieldBody
		}
		return "", "", err
	}
	return name, body, nil
}

// uniqueName is row 4.
func uniqueName(s State, name string, self uuid.UUID) error {
	if other, ok := s.named(name, self); ok {
		return fieldErrorf(FieldName, ErrTemplateExists, "the template %q already has this name", other.Name)
	}
	return nil
}
