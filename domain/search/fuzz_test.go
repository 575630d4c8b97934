package search_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/smsinbox/smsinbox/domain/search"
)

// FuzzParse: whatever is typed, Parse answers a query PostgreSQL takes
// (valid UTF-8, no control character, no NUL, not empty, bounded) or one
// of its two errors; Digits are the query's own digits, at least MinDigits.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{"booking", "(202) 555-0187", "0187", "12", "", "\x00", "a\xff", "😀 ok", "+1 202"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := search.Parse(q)
		if err != nil {
			if !errors.Is(err, search.ErrEmpty) && !errors.Is(err, search.ErrInvalid) {
				t.Fatalf("Parse(%q): %v", q, err)
			}
			return
		}
		switch {
		case got.Text == "" || got.Text != strings.TrimSpace(got.Text):
			t.Fatalf("Parse(%q): text %q", q, got.Text)
		case !utf8.ValidString(got.Text) || strings.ContainsFunc(got.Text, unicode.IsControl):
			t.Fatalf("Parse(%q): text %q holds what PostgreSQL refuses", q, got.Text)
		case utf8.RuneCountInString(got.Text) > search.MaxLength:
			t.Fatalf("Parse(%q): text of %d characters", q, utf8.RuneCountInString(got.Text))
		}
		if got.Digits == "" {
			return
		}
		if len(got.Digits) < search.MinDigits || strings.Trim(got.Digits, "0123456789") != "" {
			t.Fatalf("Parse(%q): digits %q", q, got.Digits)
		}
		if only := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, q); only != got.Digits {
			t.Fatalf("Parse(%q): digits %q, the query's are %q", q, got.Digits, only)
		}
	})
}
