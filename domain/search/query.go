// Package search reads what a person types into the Messages page's search
// box. It is pure: Parse turns the text into a Query that the search read
// model answers (projections.Queries.Search).
//
// The rules, one row each (TestRowN in query_test.go):
//
//	| # | what is typed                                       | what it searches                         |
//	|---|-----------------------------------------------------|------------------------------------------|
//	| 1 | words                                               | message bodies holding every word (any   |
//	|   |                                                     | order, English stemming: "booking" finds |
//	|   |                                                     | "booked") and customers named by every   |
//	|   |                                                     | word                                     |
//	| 2 | only digits and what phone numbers are written with | also phone numbers holding those digits  |
//	|   | (+ - ( ) . and spaces), at least MinDigits digits   | in that order, wherever they stand       |
//	| 3 | nothing but white space, punctuation or symbols     | refused: ErrEmpty                        |
//	| 4 | more than MaxLength characters, or invalid UTF-8    | refused: ErrInvalid                      |
//
// Readings decided here:
//   - Control characters (a pasted tab or line break) are spaces.
//   - A phone query's digits are searched in E.164 without the "+", so the
//     national "(202) 555-0187" finds +12025550187, and "0187" finds it too.
//   - A phone query also searches message bodies for the digits as a word
//     (an order number), so "12345" finds "order 12345".
//   - Fewer than MinDigits digits are words only: "10" would match a third
//     of all numbers.
package search

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLength is the longest query, in characters.
const MaxLength = 200

// MinDigits is the fewest digits that search phone numbers (row 2).
const MinDigits = 3

var (
	// ErrEmpty: nothing to search for (row 3).
	ErrEmpty = errors.New("nothing to search for")
	// ErrInvalid: a query too long or not text (row 4).
	ErrInvalid = errors.New("invalid search query")
)

// Query is what to search for.
type Query struct {
	// Text is the query for message bodies and names: valid UTF-8, with no
	// control characters, trimmed, never empty. The read model gives it to
	// PostgreSQL's plainto_tsquery, which takes any text as words.
	Text string
	// Digits, when not empty, are at least MinDigits ASCII digits to find in
	// phone numbers (row 2).
	Digits string
}

// phonePunctuation is what a phone number is written with besides digits.
const phonePunctuation = "+-(). "

// Parse reads q (rows 1 to 4).
func Parse(q string) (Query, error) {
	if !utf8.ValidString(q) {
		return Query{}, errInvalid("the query is not valid text")
	}
	if utf8.RuneCountInString(q) > MaxLength {
		return Query{}, errInvalid("a query is at most 200 characters")
	}
	text := strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, q))
	if !strings.ContainsFunc(text, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return Query{}, ErrEmpty // row 3
	}
	out := Query{Text: text}
	var digits strings.Builder
	phoneLike := true
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			digits.WriteRune(r)
		case !strings.ContainsRune(phonePunctuation, r):
			phoneLike = false
		}
	}
	if phoneLike && digits.Len() >= MinDigits {
		out.Digits = digits.String() // row 2
	}
	return out, nil
}

type invalidError string

func (e invalidError) Error() string      { return string(e) }
func (invalidError) Is(target error) bool { return target == ErrInvalid }

func errInvalid(msg string) error { return invalidError(msg) }
