package autoreply_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/autoreply"
)

func TestNewChecksTheWords(t *testing.T) {
	for _, tt := range []struct {
		name    string
		enabled bool
		body    string
		err     error
		naming  string
	}{
		{"words while enabled", true, "Closed now; we answer tomorrow.", nil, ""},
		{"the company's name", true, "{{company_name}}: closed.", nil, ""},
		{"no words while disabled", false, "", nil, ""},
		{"no words while enabled", true, "  ", autoreply.ErrInvalidBody, "required"},
		{"321 characters", true, strings.Repeat("a", 321), autoreply.ErrInvalidBody, "320"},
		{"320 characters", true, strings.Repeat("é", 320), nil, ""},
		{"another placeholder", true, "Hi {{first_name}}", autoreply.ErrInvalidBody, "placeholder"},
		{"a stray brace pair", true, "Hi }}", autoreply.ErrInvalidBody, "placeholder"},
		{"a control character", true, "Hi\x07", autoreply.ErrInvalidBody, "control"},
		{"a line break is fine", true, "Closed.\nBack at 9.", nil, ""},
		{"invalid UTF-8", true, "\xff", autoreply.ErrInvalidBody, "UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := autoreply.New(tt.enabled, tt.body, nil)
			if !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.naming) {
				t.Fatalf("error %q does not say %q", err, tt.naming)
			}
		})
	}
}

func TestParseWeek(t *testing.T) {
	for _, tt := range []struct {
		name   string
		days   map[string][][]string
		ok     bool
		naming string
	}{
		{"every day", map[string][][]string{"mon": {{"09:00", "17:00"}}, "tue": {}, "wed": {}, "thu": {}, "fri": {}, "sat": {}, "sun": {}}, true, ""},
		{"left-out days are closed", map[string][][]string{"sat": {{"10:00", "14:00"}}}, true, ""},
		{"ranges that touch", map[string][][]string{"mon": {{"09:00", "12:00"}, {"12:00", "17:00"}}}, true, ""},
		{"to the end of the day", map[string][][]string{"mon": {{"18:00", "24:00"}}}, true, ""},
		{"an unknown day", map[string][][]string{"monday": {{"09:00", "17:00"}}}, false, "monday"},
		{"not HH:MM", map[string][][]string{"mon": {{"9:00", "17:00"}}}, false, "HH:MM"},
		{"minutes past 59", map[string][][]string{"mon": {{"09:60", "17:00"}}}, false, "09:60"},
		{"hour 24 as a start", map[string][][]string{"mon": {{"24:00", "24:00"}}}, false, "24:00"},
		{"24:30", map[string][][]string{"mon": {{"09:00", "24:30"}}}, false, "24:30"},
		{"letters", map[string][][]string{"mon": {{"ab:cd", "17:00"}}}, false, "ab:cd"},
		{"a range that ends before it starts", map[string][][]string{"mon": {{"17:00", "09:00"}}}, false, "not before its end"},
		{"an empty range", map[string][][]string{"mon": {{"09:00", "09:00"}}}, false, "not before its end"},
		{"overlapping ranges", map[string][][]string{"mon": {{"09:00", "13:00"}, {"12:00", "17:00"}}}, false, "overlap"},
		{"ranges out of order", map[string][][]string{"mon": {{"13:00", "17:00"}, {"09:00", "12:00"}}}, false, "in order"},
		{"not a pair", map[string][][]string{"mon": {{"09:00"}}}, false, "pair"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := autoreply.ParseWeek(tt.days)
			if (err == nil) != tt.ok {
				t.Fatalf("error %v, want ok=%v", err, tt.ok)
			}
			if err != nil && (!errors.Is(err, autoreply.ErrInvalidHours) || !strings.Contains(err.Error(), tt.naming)) {
				t.Fatalf("error %q: want ErrInvalidHours naming %q", err, tt.naming)
			}
		})
	}
}

func TestSettingsJSONRoundTrip(t *testing.T) {
	s, err := autoreply.New(true, "{{company_name}}: closed", map[string][][]string{
		"mon": {{"09:00", "12:00"}, {"13:00", "17:00"}}, "sat": {{"10:00", "24:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"enabled":true,"body":"{{company_name}}: closed","business_hours":{"fri":[],"mon":[["09:00","12:00"],["13:00","17:00"]],"sat":[["10:00","24:00"]],"sun":[],"thu":[],"tue":[],"wed":[]}}`
	if string(doc) != want {
		t.Fatalf("JSON\n got %s\nwant %s", doc, want)
	}
	var back autoreply.Settings
	if err := json.Unmarshal(doc, &back); err != nil {
		t.Fatal(err)
	}
	if !back.Equal(s) {
		t.Fatalf("round trip %+v, want %+v", back, s)
	}
	if got := s.Render("Acme"); got != "Acme: closed" {
		t.Fatalf("Render = %q", got)
	}
}

func TestDefaultIsValid(t *testing.T) {
	d := autoreply.Default()
	if _, err := autoreply.New(true, d.Body, d.Hours.Days()); err != nil {
		t.Fatalf("the default does not pass its own checks: %v", err)
	}
}
