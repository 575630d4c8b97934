package template

import (
	"slices"
	"strings"
)

// The placeholders a body may hold, by name (written "{{name}}").
const (
	FirstName   = "first_name"
	LastName    = "last_name"
	FullName    = "full_name"
	CompanyName = "company_name"
)

// known lists every placeholder, in the order a message names them.
var known = []string{FirstName, LastName, FullName, CompanyName}

// Known returns the names of the placeholders a body may hold.
func Known() []string { return slices.Clone(known) }

// Placeholders returns the placeholders of body, each once, in order of
// first use. Anything written {{...}} that is not a known placeholder, and a
// "{{" that no "}}" closes, is an error matching ErrUnknownPlaceholder
// (row 3).
func Placeholders(body string) ([]string, error) {
	var names []string
	err := scan(body, func(name string) {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}, nil)
	return names, err
}

// scan walks body: text between placeholders goes to text (when not nil),
// each placeholder's name to field.
func scan(body string, field func(name string), text func(s string)) error {
	for {
		open := strings.Index(body, "{{")
		if open < 0 {
			if text != nil {
				text(body)
			}
			return nil
		}
		if text != nil {
			text(body[:open])
		}
		rest := body[open+2:]
		end := strings.Index(rest, "}}")
		if end < 0 {
			return errorf(ErrUnknownPlaceholder, "%q is not closed with }}; placeholders are %s", clip(body[open:]), list())
		}
		name := rest[:end]
		if !slices.Contains(known, name) {
			return errorf(ErrUnknownPlaceholder, "{{%s}} is not a placeholder smsinbox fills; placeholders are %s", clip(name), list())
		}
		field(name)
		body = rest[end+2:]
	}
}

// Values are what placeholders are filled with; "" is no value.
type Values struct {
	// FirstName and LastName are the thread's lead's; "" when the customer
	// has no lead.
	FirstName, LastName string
	// CompanyName is the company's name.
	CompanyName string
}

func (v Values) of(name string) string {
	switch name {
	case FirstName:
		return strings.TrimSpace(v.FirstName)
	case LastName:
		return strings.TrimSpace(v.LastName)
	case FullName:
		first, last := strings.TrimSpace(v.FirstName), strings.TrimSpace(v.LastName)
		if first == "" || last == "" {
			return ""
		}
		return first + " " + last
	case CompanyName:
		return strings.TrimSpace(v.CompanyName)
	}
	return ""
}

// Fill returns body with every placeholder replaced by its value. A
// placeholder without a value is an error matching ErrValueMissing that names
// each missing one (row 9): never a text with a hole in it. A body Decide
// would refuse is an error matching ErrUnknownPlaceholder.
func Fill(body string, v Values) (string, error) {
	var b strings.Builder
	var missing []string
	err := scan(body, func(name string) {
		value := v.of(name)
		if value == "" {
			if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			return
		}
		b.WriteString(value)
	}, func(s string) { b.WriteString(s) })
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return "", errorf(ErrValueMissing, "this thread has no value for %s (a name comes from the customer's lead: add one first)",
			braces(missing))
	}
	return b.String(), nil
}

func braces(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "{{" + n + "}}"
	}
	return strings.Join(out, ", ")
}

func list() string { return braces(known) }

// clip keeps an error message short whatever the body holds.
func clip(s string) string {
	const max = 40
	r := []rune(s)
	if len(r) > max {
		return string(r[:max]) + "…"
	}
	return s
}
