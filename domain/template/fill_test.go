package template_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/template"
)

var ada = template.Values{FirstName: "Ada", LastName: "Lovelace", CompanyName: "Acme Dental"}

// TestRow9Fill: every placeholder filled, or an error naming the missing
// ones; never a text with a hole.
func TestRow9Fill(t *testing.T) {
	for _, tt := range []struct {
		name   string
		body   string
		values template.Values
		want   string
		err    error
		names  []string // the placeholders the error names
	}{
		{"no placeholder", "See you Tuesday.", template.Values{}, "See you Tuesday.", nil, nil},
		{"every placeholder", "{{first_name}} {{last_name}}: {{full_name}} of {{company_name}}", ada,
			"Ada Lovelace: Ada Lovelace of Acme Dental", nil, nil},
		{"one placeholder twice", "{{first_name}}, {{first_name}}!", ada, "Ada, Ada!", nil, nil},
		{"values are trimmed", "Hi {{full_name}}.", template.Values{FirstName: " Ada ", LastName: "Lovelace "}, "Hi Ada Lovelace.", nil, nil},
		{"a value that looks like a placeholder is text", "Hi {{first_name}}", template.Values{FirstName: "{{last_name}}"},
			"Hi {{last_name}}", nil, nil},
		{"no lead: the company name alone fills", "Thanks from {{company_name}}", template.Values{CompanyName: "Acme"},
			"Thanks from Acme", nil, nil},
		{"no lead: a name is missing", "Hi {{first_name}} from {{company_name}}", template.Values{CompanyName: "Acme"},
			"", template.ErrValueMissing, []string{"{{first_name}}"}},
		{"every missing one is named once", "{{full_name}} {{last_name}} {{full_name}}", template.Values{CompanyName: "Acme"},
			"", template.ErrValueMissing, []string{"{{full_name}}", "{{last_name}}"}},
		{"a full name needs both names", "Hi {{full_name}}", template.Values{FirstName: "Ada", LastName: " "},
			"", template.ErrValueMissing, []string{"{{full_name}}"}},
		{"an unknown placeholder is refused before values", "Hi {{nick}}", ada, "", template.ErrUnknownPlaceholder, nil},
	} {
		got, err := template.Fill(tt.body, tt.values)
		if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) || got != tt.want {
			t.Errorf("%s: %q, %v; want %q, %v", tt.name, got, err, tt.want, tt.err)
			continue
		}
		for _, n := range tt.names {
			if !strings.Contains(err.Error(), n) {
				t.Errorf("%s: %q does not name %s", tt.name, err, n)
			}
		}
	}
}

func TestPlaceholders(t *testing.T) {
	got, err := template.Placeholders("{{company_name}}: {{first_name}} {{company_name}}")
	if err != nil || !reflect.DeepEqual(got, []string{"company_name", "first_name"}) {
		t.Fatalf("%v, %v", got, err)
	}
	if got, err := template.Placeholders("plain"); err != nil || got != nil {
		t.Fatalf("plain: %v, %v", got, err)
	}
	if !reflect.DeepEqual(template.Known(), []string{"first_name", "last_name", "full_name", "company_name"}) {
		t.Fatalf("Known: %v", template.Known())
	}
}
