package lead

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func form() FormSubmitted {
	return FormSubmitted{CompanyID: "c1", Phone: "+12025550187", FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", OptIn: true, App: "text_us_now", Actor: "app:text_us_now",
		SubmittedAt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// One row per rule of CheckForm's table (form.go), refused and accepted.
func TestCheckForm(t *testing.T) {
	tests := []struct {
		name string
		edit func(f *FormSubmitted)
		// err is what it is refused with, nil when accepted; then check
		// says what is kept.
		err   error
		check func(f FormSubmitted) bool
	}{
		{"a complete form", func(*FormSubmitted) {}, nil, func(f FormSubmitted) bool { return f.LeadID == ID("c1", "+12025550187") }},

		// company, phone
		{"no company", func(f *FormSubmitted) { f.CompanyID = "" }, ErrInvalidForm, nil},
		{"no phone", func(f *FormSubmitted) { f.Phone = "" }, ErrInvalidForm, nil},

		// first_name, last_name
		{"names trimmed", func(f *FormSubmitted) { f.FirstName, f.LastName = " Ada ", "\tLovelace " }, nil,
			func(f FormSubmitted) bool { return f.FirstName == "Ada" && f.LastName == "Lovelace" }},
		{"no first name", func(f *FormSubmitted) { f.FirstName = "  " }, ErrInvalidForm, nil},
		{"no last name", func(f *FormSubmitted) { f.LastName = "" }, ErrInvalidForm, nil},
		{"a name of 100 characters", func(f *FormSubmitted) { f.FirstName = strings.Repeat("é", 100) }, nil, nil},
		{"a name of 101 characters", func(f *FormSubmitted) { f.FirstName = strings.Repeat("a", 101) }, ErrInvalidForm, nil},
		{"a control character", func(f *FormSubmitted) { f.LastName = "Love\x07lace" }, ErrInvalidForm, nil},
		{"not UTF-8", func(f *FormSubmitted) { f.FirstName = "A\xffda" }, ErrInvalidForm, nil},

		// email
		{"email trimmed", func(f *FormSubmitted) { f.Email = " ada@example.com " }, nil, func(f FormSubmitted) bool { return f.Email == "ada@example.com" }},
		{"no email", func(f *FormSubmitted) { f.Email = "" }, ErrInvalidEmail, nil},
		{"no at", func(f *FormSubmitted) { f.Email = "ada.example.com" }, ErrInvalidEmail, nil},
		{"no dot in the domain", func(f *FormSubmitted) { f.Email = "ada@localhost" }, ErrInvalidEmail, nil},
		{"a display name", func(f *FormSubmitted) { f.Email = "Ada <ada@example.com>" }, ErrInvalidEmail, nil},
		{"two ats", func(f *FormSubmitted) { f.Email = "ada@b@example.com" }, ErrInvalidEmail, nil},
		{"a space", func(f *FormSubmitted) { f.Email = "a da@example.com" }, ErrInvalidEmail, nil},
		{"a domain that is no host name", func(f *FormSubmitted) { f.Email = "ada@exa_mple.com" }, ErrInvalidEmail, nil},
		{"a label that starts with -", func(f *FormSubmitted) { f.Email = "ada@-example.com" }, ErrInvalidEmail, nil},
		{"an address literal", func(f *FormSubmitted) { f.Email = "ada@[192.0.2.1]" }, ErrInvalidEmail, nil},
		{"an email of 255 characters", func(f *FormSubmitted) { f.Email = strings.Repeat("a", 243) + "@example.com" }, ErrInvalidEmail, nil},

		// app
		{"no app", func(f *FormSubmitted) { f.App = "" }, ErrInvalidForm, nil},
		{"an app with a space", func(f *FormSubmitted) { f.App = "text us now" }, ErrInvalidForm, nil},
		{"an app of 65 characters", func(f *FormSubmitted) { f.App = strings.Repeat("a", 65) }, ErrInvalidForm, nil},
		{"smsinbox's automated texts", func(f *FormSubmitted) { f.App = "automated" }, ErrInvalidForm, nil},
		{"smsinbox's dashboard", func(f *FormSubmitted) { f.App = " Dashboard " }, ErrInvalidForm, nil},

		// ip
		{"no ip", func(f *FormSubmitted) { f.IP = "  " }, nil, func(f FormSubmitted) bool { return f.IP == "" }},
		{"an ip kept canonical", func(f *FormSubmitted) { f.IP = " 2001:DB8:0:0::1 " }, nil, func(f FormSubmitted) bool { return f.IP == "2001:db8::1" }},
		{"a bad ip", func(f *FormSubmitted) { f.IP = "300.1.1.1" }, ErrInvalidForm, nil},

		// user_agent
		{"a user agent of 512 characters", func(f *FormSubmitted) { f.UserAgent = strings.Repeat("x", 512) }, nil, nil},
		{"a user agent of 513 characters", func(f *FormSubmitted) { f.UserAgent = strings.Repeat("x", 513) }, ErrInvalidForm, nil},

		// consent_text
		{"a disclosure in paragraphs", func(f *FormSubmitted) { f.ConsentText = " I agree.\r\n\n\tReply STOP to end. " }, nil,
			func(f FormSubmitted) bool { return f.ConsentText == "I agree.\r\n\n\tReply STOP to end." }},
		{"a disclosure of 2,001 characters", func(f *FormSubmitted) { f.ConsentText = strings.Repeat("x", 2001) }, ErrInvalidForm, nil},
		{"a disclosure with a bell", func(f *FormSubmitted) { f.ConsentText = "I agree\x07" }, ErrInvalidForm, nil},

		// page_url
		{"a page", func(f *FormSubmitted) { f.PageURL = " https://acme.example/contact " }, nil,
			func(f FormSubmitted) bool { return f.PageURL == "https://acme.example/contact" }},
		{"a page that is no http URL", func(f *FormSubmitted) { f.PageURL = "ftp://acme.example/" }, ErrInvalidForm, nil},
		{"a page without a host", func(f *FormSubmitted) { f.PageURL = "https:///contact" }, ErrInvalidForm, nil},
		{"a page of 2,049 characters", func(f *FormSubmitted) { f.PageURL = "https://acme.example/" + strings.Repeat("a", 2028) }, ErrInvalidForm, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := form()
			tt.edit(&f)
			got, err := CheckForm(f)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if tt.check != nil && !tt.check(got) {
				t.Fatalf("kept %+v", got)
			}
		})
	}
}

// The lead's identity: one per (company, phone), the same for a form and
// the dashboard, in its own stream.
func TestLeadIdentity(t *testing.T) {
	id := ID("c1", "+12025550187")
	if id.Version() != 5 || id == ID("c2", "+12025550187") || id == ID("c1", "+12025550188") {
		t.Fatal("ID is not one per (company, phone)")
	}
	// The IDs already stored were made so (commands.LeadID's, before the
	// move): a change would part every customer from their lead.
	if got := ID("c1", "+12025550187").String(); got != "036b24fa-824d-5a54-9912-0994248725f3" {
		t.Fatalf("ID = %s", got)
	}
	if got := StreamID("c1", "+12025550187"); got != "lead-c1-+12025550187" {
		t.Fatalf("StreamID = %s", got)
	}
}
