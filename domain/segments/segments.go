// Package segments says what a text costs as SMS: how Twilio encodes it and
// into how many segments (the unit Twilio bills and throttles) it splits.
//
// The rules, as Twilio applies them:
//   - A text whose every character is in GSM-7's tables (gsm7.go) is sent in
//     GSM-7: a basic character is one septet, an extension character
//     (€ [ ] { } ~ ^ | \ and form feed) two. Up to 160 septets are one
//     segment; a longer text is split into segments of at most 153 septets
//     (each carries a 6-byte header to reassemble them).
//   - Any other character makes the whole text UCS-2, counted in UTF-16 code
//     units: one for a character of the Basic Multilingual Plane, two (a
//     surrogate pair) for one beyond it, such as most emoji. Up to 70 units
//     are one segment; a longer text is split into segments of at most 67.
//   - A character is never cut in two: an extension character's two septets,
//     and a surrogate pair's two units, go into the same segment; when they
//     do not fit in what is left of one, the segment ends one short and the
//     character starts the next. So 153 "]" (306 septets) are three
//     segments, not two; Twilio bills them so.
//
// Readings decided here:
//   - The empty text is no segment: Twilio sends no SMS without a body (an
//     MMS with media only is billed as MMS, not in segments).
//   - Characters counts Unicode code points (Go runes), the unit of
//     smsinbox's 1,600-character limit on a text: an emoji is one character,
//     though it takes two UCS-2 units; a flag (two regional indicators) or an
//     emoji with a skin tone is two. Segments are counted in the encoding's
//     units, never in Characters.
//   - A code point is the smallest thing kept whole: a letter and a
//     combining accent that follows it may fall into different segments, as
//     the units they are sent in allow.
//   - Invalid UTF-8 counts as U+FFFD, the replacement character (UCS-2).
package segments

import (
	"unicode/utf16"
	"unicode/utf8"
)

// Encoding is how Twilio sends a text.
type Encoding string

// The encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// How much one segment holds, in the encoding's units (septets for GSM-7,
// UTF-16 code units for UCS-2): a text that fits Single is one segment; a
// longer one is split into segments of at most Multi.
const (
	GSM7Single = 160
	GSM7Multi  = 153
	UCS2Single = 70
	UCS2Multi  = 67
)

// Result is what a text costs.
type Result struct {
	Encoding Encoding
	// Characters is the number of Unicode code points.
	Characters int
	// Segments is the number of SMS segments; 0 for the empty text only.
	Segments int
	// Culprit is the first character outside GSM-7, the one that made the
	// text UCS-2; "" when the text is GSM-7.
	Culprit string
}

// Count says how Twilio encodes body and into how many segments it splits.
func Count(body string) Result {
	r := Result{Encoding: GSM7, Characters: utf8.RuneCountInString(body)}
	size, single, multi := septets, GSM7Single, GSM7Multi
	for _, c := range body {
		if septets(c) == 0 {
			r.Encoding, r.Culprit = UCS2, string(c)
			size, single, multi = utf16.RuneLen, UCS2Single, UCS2Multi
			break
		}
	}
	r.Segments = split(body, size, single, multi)
	return r
}

// split counts the segments of body whose characters are size(c) units each:
// none when it is empty, one when it fits single, else as many as filling
// segments of multi in order takes, never cutting a character in two.
// Filling in order is also the fewest segments possible: no segment can end
// later than where filling it ends.
func split(body string, size func(rune) int, single, multi int) int {
	total := 0
	for _, c := range body {
		total += size(c)
	}
	switch {
	case total == 0:
		return 0
	case total <= single:
		return 1
	}
	n, used := 1, 0
	for _, c := range body {
		s := size(c)
		if used+s > multi {
			n, used = n+1, 0
		}
		used += s
	}
	return n
}
