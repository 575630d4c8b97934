package template_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/template"
)

// FuzzFill: whatever the body, Fill and Placeholders agree, a filled text
// holds no placeholder left unfilled, and a refusal is one of the two
// errors.
func FuzzFill(f *testing.F) {
	for _, seed := range []string{"", "Hi {{first_name}}", "{{", "}}{{", "{{{first_name}}}", "{{full_name}}{{company_name}}", "a{{b}}c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		names, perr := template.Placeholders(body)
		out, err := template.Fill(body, ada)
		switch {
		case perr != nil:
			if !errors.Is(perr, template.ErrUnknownPlaceholder) || !errors.Is(err, template.ErrUnknownPlaceholder) {
				t.Fatalf("Placeholders %v, Fill %v", perr, err)
			}
		case err != nil:
			t.Fatalf("every placeholder has a value, yet %v", err)
		default:
			// Taking the values out of the filled text leaves the body's
			// text between placeholders, in order.
			for _, n := range names {
				if !strings.Contains(body, "{{"+n+"}}") {
					t.Fatalf("placeholder %s not in %q", n, body)
				}
			}
			if len(names) == 0 && out != body {
				t.Fatalf("no placeholder, yet %q became %q", body, out)
			}
		}
		// With no values, only a body without name placeholders fills.
		_, err = template.Fill(body, template.Values{CompanyName: "Acme"})
		needsName := false
		for _, n := range names {
			needsName = needsName || n != template.CompanyName
		}
		if perr == nil && needsName != errors.Is(err, template.ErrValueMissing) {
			t.Fatalf("names %v, Fill without a lead: %v", names, err)
		}
	})
}
