package template_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/template"
)

var (
	at      = time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)
	co      = "acme"
	idHello = uuid.MustParse("0190a0b0-0000-7000-8000-000000000001")
	idBye   = uuid.MustParse("0190a0b0-0000-7000-8000-000000000002")
	idNew   = uuid.MustParse("0190a0b0-0000-7000-8000-000000000003")
)

type spec struct {
	name  string
	given []template.Event
	when  template.Command
	then  []template.Event
	err   error
	// field is the part of the template a refusal names (Error.Field):
	// rows 1 to 4 name the name or the body, the others nothing.
	field string
}

func fold(events []template.Event) template.State {
	var s template.State
	for _, e := range events {
		s = template.Evolve(s, e)
	}
	return s
}

func (tt spec) run(t *testing.T) {
	t.Helper()
	t.Run(tt.name, func(t *testing.T) {
		got, err := template.Decide(fold(tt.given), tt.when)
		if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
			t.Fatalf("error %v, want %v", err, tt.err)
		}
		var te *template.Error
		if err != nil && (!errors.As(err, &te) || te.Message == "") {
			t.Fatalf("error %v is no *template.Error with a message", err)
		}
		if err != nil && te.Field != tt.field {
			t.Fatalf("error %v names the field %q, want %q", err, te.Field, tt.field)
		}
		if !reflect.DeepEqual(got, tt.then) {
			t.Fatalf("events\n got %#v\nwant %#v", got, tt.then)
		}
	})
}

func created(id uuid.UUID, name, body string) template.TemplateCreated {
	return template.TemplateCreated{TemplateID: id, CompanyID: co, Name: name, Body: body, At: at}
}

func create(id uuid.UUID, name, body string) template.Create {
	return template.Create{TemplateID: id, CompanyID: co, Name: name, Body: body, At: at}
}

func update(id uuid.UUID, name, body string) template.Update {
	return template.Update{TemplateID: id, CompanyID: co, Name: name, Body: body, At: at}
}

func events(e ...template.Event) []template.Event { return e }

var catalogue = events(
	created(idHello, "Hello", "Hi {{first_name}}, this is {{company_name}}."),
	created(idBye, "Bye", "See you soon."),
)

func TestRow1Name(t *testing.T) {
	for _, tt := range []spec{
		{name: "a name is trimmed", when: create(idNew, "  Reminder \t", "Tomorrow at 10."),
			then: events(created(idNew, "Reminder", "Tomorrow at 10."))},
		{name: "no name", when: create(idNew, " ", "Tomorrow at 10."), err: template.ErrInvalid, field: "name"},
		{name: "100 characters", when: create(idNew, strings.Repeat("é", 100), "x"),
			then: events(created(idNew, strings.Repeat("é", 100), "x"))},
		{name: "101 characters", when: create(idNew, strings.Repeat("é", 101), "x"), err: template.ErrInvalid, field: "name"},
		{name: "a line break inside", when: create(idNew, "Re\nminder", "x"), err: template.ErrInvalid, field: "name"},
		{name: "invalid UTF-8", when: create(idNew, "Re\xffminder", "x"), err: template.ErrInvalid, field: "name"},
		{name: "update: no name", given: catalogue, when: update(idBye, "", "x"), err: template.ErrInvalid, field: "name"},
	} {
		tt.run(t)
	}
}

func TestRow2Body(t *testing.T) {
	for _, tt := range []spec{
		{name: "a body is kept as written", when: create(idNew, "Reminder", " Tomorrow\nat 10. "),
			then: events(created(idNew, "Reminder", " Tomorrow\nat 10. "))},
		{name: "no body", when: create(idNew, "Reminder", ""), err: template.ErrInvalid, field: "body"},
		{name: "only white space", when: create(idNew, "Reminder", " \n\t"), err: template.ErrInvalid, field: "body"},
		{name: "1,600 characters", when: create(idNew, "Long", strings.Repeat("😀", 1600)),
			then: events(created(idNew, "Long", strings.Repeat("😀", 1600)))},
		{name: "1,601 characters", when: create(idNew, "Long", strings.Repeat("a", 1601)), err: template.ErrInvalid, field: "body"},
		{name: "a NUL", when: create(idNew, "Nul", "a\x00b"), err: template.ErrInvalid, field: "body"},
		{name: "invalid UTF-8", when: create(idNew, "Bad", "a\xffb"), err: template.ErrInvalid, field: "body"},
		{name: "update: only white space", given: catalogue, when: update(idBye, "Bye", "  "), err: template.ErrInvalid, field: "body"},
	} {
		tt.run(t)
	}
}

func TestRow3Placeholders(t *testing.T) {
	for _, tt := range []spec{
		{name: "all four placeholders", when: create(idNew, "All", "{{first_name}} {{last_name}} {{full_name}} {{company_name}}"),
			then: events(created(idNew, "All", "{{first_name}} {{last_name}} {{full_name}} {{company_name}}"))},
		{name: "single braces are text", when: create(idNew, "Braces", "{first_name} }} {"),
			then: events(created(idNew, "Braces", "{first_name} }} {"))},
		{name: "an unknown placeholder", when: create(idNew, "Bad", "Hi {{nickname}}"), err: template.ErrUnknownPlaceholder, field: "body"},
		{name: "spaces inside the braces", when: create(idNew, "Bad", "Hi {{ first_name }}"), err: template.ErrUnknownPlaceholder, field: "body"},
		{name: "upper case", when: create(idNew, "Bad", "Hi {{FIRST_NAME}}"), err: template.ErrUnknownPlaceholder, field: "body"},
		{name: "an empty placeholder", when: create(idNew, "Bad", "Hi {{}}"), err: template.ErrUnknownPlaceholder, field: "body"},
		{name: "a {{ never closed", when: create(idNew, "Bad", "Hi {{first_name"), err: template.ErrUnknownPlaceholder, field: "body"},
		{name: "update: an unknown placeholder", given: catalogue, when: update(idBye, "Bye", "{{email}}"), err: template.ErrUnknownPlaceholder, field: "body"},
	} {
		tt.run(t)
	}
}

func TestRow4UniqueNames(t *testing.T) {
	for _, tt := range []spec{
		{name: "a name taken", given: catalogue, when: create(idNew, "Hello", "x"), err: template.ErrTemplateExists, field: "name"},
		{name: "another case and spacing is the same name", given: events(created(idHello, "Running late", "x")),
			when: create(idNew, " running   LATE", "y"), err: template.ErrTemplateExists, field: "name"},
		{name: "update to another template's name", given: catalogue, when: update(idBye, "HELLO", "x"), err: template.ErrTemplateExists, field: "name"},
		{name: "update keeping its own name in another case", given: catalogue, when: update(idBye, "BYE", "See you soon."),
			then: events(template.TemplateUpdated{TemplateID: idBye, CompanyID: co, Name: "BYE", Body: "See you soon.", At: at})},
		{name: "a deleted template's name is free (row 8)",
			given: append(catalogue, template.TemplateDeleted{TemplateID: idHello, CompanyID: co, At: at}),
			when:  create(idNew, "Hello", "x"), then: events(created(idNew, "Hello", "x"))},
		{name: "a renamed template's old name is free",
			given: append(catalogue, template.TemplateUpdated{TemplateID: idHello, CompanyID: co, Name: "Hi", Body: "x", At: at}),
			when:  create(idNew, "Hello", "x"), then: events(created(idNew, "Hello", "x"))},
	} {
		tt.run(t)
	}
}

func TestRow5Create(t *testing.T) {
	for _, tt := range []spec{
		{name: "created", given: catalogue, when: create(idNew, "Reminder", "Tomorrow at 10."),
			then: events(created(idNew, "Reminder", "Tomorrow at 10."))},
		{name: "a retry decides nothing", given: catalogue, when: create(idHello, "Hello", "Hi {{first_name}}, this is {{company_name}}.")},
		{name: "its ID with another body", given: catalogue, when: create(idHello, "Hello", "other"), err: template.ErrInvalid},
		{name: "a deleted template's ID", given: append(catalogue, template.TemplateDeleted{TemplateID: idBye, CompanyID: co, At: at}),
			when: create(idBye, "Bye", "See you soon."), err: template.ErrInvalid},
		{name: "no ID", when: create(uuid.Nil, "Reminder", "x"), err: template.ErrInvalid},
		{name: "no company", when: template.Create{TemplateID: idNew, Name: "Reminder", Body: "x", At: at}, err: template.ErrInvalid},
		{name: "no time", when: template.Create{TemplateID: idNew, CompanyID: co, Name: "Reminder", Body: "x"}, err: template.ErrInvalid},
	} {
		tt.run(t)
	}
}

func TestRow6Exists(t *testing.T) {
	gone := append(catalogue, template.TemplateDeleted{TemplateID: idBye, CompanyID: co, At: at})
	for _, tt := range []spec{
		{name: "update an unknown template", given: catalogue, when: update(idNew, "New", "x"), err: template.ErrTemplateNotFound},
		{name: "update a deleted template", given: gone, when: update(idBye, "Bye", "x"), err: template.ErrTemplateNotFound},
		{name: "delete an unknown template", given: catalogue,
			when: template.Delete{TemplateID: idNew, CompanyID: co, At: at}, err: template.ErrTemplateNotFound},
		{name: "delete twice", given: gone,
			when: template.Delete{TemplateID: idBye, CompanyID: co, At: at}, err: template.ErrTemplateNotFound},
		{name: "no catalogue at all", when: template.Delete{TemplateID: idBye, CompanyID: co, At: at}, err: template.ErrTemplateNotFound},
	} {
		tt.run(t)
	}
}

func TestRow7Update(t *testing.T) {
	for _, tt := range []spec{
		{name: "a new body", given: catalogue, when: update(idBye, "Bye", "Bye {{first_name}}!"),
			then: events(template.TemplateUpdated{TemplateID: idBye, CompanyID: co, Name: "Bye", Body: "Bye {{first_name}}!", At: at})},
		{name: "a new name", given: catalogue, when: update(idBye, "Farewell ", "See you soon."),
			then: events(template.TemplateUpdated{TemplateID: idBye, CompanyID: co, Name: "Farewell", Body: "See you soon.", At: at})},
		{name: "nothing changes", given: catalogue, when: update(idBye, " Bye", "See you soon.")},
	} {
		tt.run(t)
	}
}

func TestRow8Delete(t *testing.T) {
	spec{name: "deleted", given: catalogue, when: template.Delete{TemplateID: idHello, CompanyID: co, At: at},
		then: events(template.TemplateDeleted{TemplateID: idHello, CompanyID: co, At: at})}.run(t)
	s := fold(append(catalogue, template.TemplateDeleted{TemplateID: idHello, CompanyID: co, At: at}))
	if _, ok := s.Template(idHello); ok || s.Len() != 1 {
		t.Fatalf("after the delete: template still there (%v) or %d live, want 1", ok, s.Len())
	}
}

// TestEvolveSharesNothing: a folded state does not change when a later
// state is folded from it.
func TestEvolveSharesNothing(t *testing.T) {
	s := fold(catalogue)
	_ = template.Evolve(s, template.TemplateDeleted{TemplateID: idHello, CompanyID: co, At: at})
	_ = template.Evolve(s, created(idNew, "New", "x"))
	if _, ok := s.Template(idHello); !ok || s.Len() != 2 {
		t.Fatalf("the earlier state changed: %d live templates", s.Len())
	}
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, e := range []template.Event{
		created(idHello, "Hello", "Hi {{first_name}}"),
		template.TemplateUpdated{TemplateID: idHello, CompanyID: co, Name: "Hi", Body: "x", At: at},
		template.TemplateDeleted{TemplateID: idHello, CompanyID: co, At: at},
	} {
		data, err := jsonOf(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := template.Decode(e.EventType(), data)
		if err != nil || !reflect.DeepEqual(got, e) {
			t.Fatalf("%s: %#v, %v", e.EventType(), got, err)
		}
	}
	if _, err := template.Decode("Nope", []byte(`{}`)); !errors.Is(err, template.ErrUnknownEvent) {
		t.Fatalf("unknown type: %v", err)
	}
}
