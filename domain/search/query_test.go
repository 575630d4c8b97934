package search_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/search"
)

type row struct {
	q    string
	want search.Query
	err  error
}

func check(t *testing.T, rows []row) {
	t.Helper()
	for _, r := range rows {
		got, err := search.Parse(r.q)
		if !errors.Is(err, r.err) || (err != nil) != (r.err != nil) || got != r.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, %v", r.q, got, err, r.want, r.err)
		}
	}
}

func TestRow1Words(t *testing.T) {
	check(t, []row{
		{"booking", search.Query{Text: "booking"}, nil},
		{"  Tuesday booking ", search.Query{Text: "Tuesday booking"}, nil},
		{"Ada\tLovelace\n", search.Query{Text: "Ada Lovelace"}, nil},
		{"don't", search.Query{Text: "don't"}, nil},
		{"Zürich", search.Query{Text: "Zürich"}, nil},
		{"order 12345", search.Query{Text: "order 12345"}, nil},
		// Two digits are a word, not a phone number.
		{"10", search.Query{Text: "10"}, nil},
		{"(10)", search.Query{Text: "(10)"}, nil},
	})
}

func TestRow2PhoneDigits(t *testing.T) {
	check(t, []row{
		{"0187", search.Query{Text: "0187", Digits: "0187"}, nil},
		{"555", search.Query{Text: "555", Digits: "555"}, nil},
		{"(202) 555-0187", search.Query{Text: "(202) 555-0187", Digits: "2025550187"}, nil},
		{"+1 202.555.0187", search.Query{Text: "+1 202.555.0187", Digits: "12025550187"}, nil},
		{"12-3", search.Query{Text: "12-3", Digits: "123"}, nil},
		// A letter makes it words.
		{"555-0187 x2", search.Query{Text: "555-0187 x2"}, nil},
		// Digits of other scripts are words.
		{"٠١٢٣", search.Query{Text: "٠١٢٣"}, nil},
	})
}

func TestRow3Empty(t *testing.T) {
	for _, q := range []string{"", "   ", "\t\n", "!!!", "+-()", "😀", "..."} {
		check(t, []row{{q, search.Query{}, search.ErrEmpty}})
	}
}

func TestRow4Invalid(t *testing.T) {
	check(t, []row{
		{strings.Repeat("a", 200), search.Query{Text: strings.Repeat("a", 200)}, nil},
		{strings.Repeat("é", 201), search.Query{}, search.ErrInvalid},
		{"book\xffing", search.Query{}, search.ErrInvalid},
		// A NUL is a control character: a space.
		{"book\x00ing", search.Query{Text: "book ing"}, nil},
	})
}
