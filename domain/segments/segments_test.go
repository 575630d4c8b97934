package segments_test

import (
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/segments"
)

func rep(s string, n int) string { return strings.Repeat(s, n) }

// TestCount: one row a rule. The counts of the first rows are Twilio's own
// documented examples (its "What the heck is a segment" post, its SMS
// character limit and GSM-7 / UCS-2 glossary pages, and the test cases of its
// message segment calculator); the rest follow from the same rules.
func TestCount(t *testing.T) {
	const gsm, ucs = segments.GSM7, segments.UCS2
	tests := []struct {
		rule       string
		body       string
		encoding   segments.Encoding
		characters int
		segments   int
		culprit    string
	}{
		// GSM-7: 160 in one segment, 153 each when split.
		{"160 GSM-7 characters are one segment", rep("a", 160), gsm, 160, 1, ""},
		{"161 are two", rep("a", 161), gsm, 161, 2, ""},
		{"306 are two (153 + 153)", rep("a", 306), gsm, 306, 2, ""},
		{"307 are three", rep("a", 307), gsm, 307, 3, ""},
		{"1,530 are ten", rep("a", 1530), gsm, 1530, 10, ""},
		{"1,600 are eleven", rep("a", 1600), gsm, 1600, 11, ""},
		{"one character is one segment", "a", gsm, 1, 1, ""},

		// UCS-2: 70 in one segment, 67 each when split. A curly quote is
		// not GSM-7 and switches the whole text.
		{"a curly apostrophe makes the text UCS-2: 70 are one segment", "’" + rep("a", 69), ucs, 70, 1, "’"},
		{"71 are two", "’" + rep("a", 70), ucs, 71, 2, "’"},
		{"134 are two (67 + 67)", "’" + rep("a", 133), ucs, 134, 2, "’"},
		{"135 are three", "’" + rep("a", 134), ucs, 135, 3, "’"},
		{"a left double quote makes it UCS-2", "Say “hi", ucs, 7, 1, "“"},
		{"a right double quote makes it UCS-2", "hi”", ucs, 3, 1, "”"},
		{"70 UCS-2 letters are one segment", rep("ó", 70), ucs, 70, 1, "ó"},
		{"71 are two", rep("ó", 71), ucs, 71, 2, "ó"},

		// An emoji beyond the Basic Multilingual Plane is two UTF-16 units
		// (Twilio's calculator: 😜 and 68 digits are one segment, 😜 and 69
		// are two, 😜 and 133 are three).
		{"an emoji makes the text UCS-2 and counts two units: 70 units are one segment", "😜" + rep("2", 68), ucs, 69, 1, "😜"},
		{"71 units are two", "😜" + rep("2", 69), ucs, 70, 2, "😜"},
		{"135 units are three", "😜" + rep("2", 133), ucs, 134, 3, "😜"},
		{"35 emoji are one segment", rep("😀", 35), ucs, 35, 1, "😀"},
		{"36 emoji are two", rep("😀", 36), ucs, 36, 2, "😀"},
		{"a flag is two characters of two units each", "🇮🇹" + rep("2", 66), ucs, 68, 1, "🇮"},
		{"a flag and 67 more units are two segments", "🇮🇹" + rep("2", 67), ucs, 69, 2, "🇮"},

		// A surrogate pair is never cut in two: 66 units and an emoji
		// leave one unit of the first segment empty.
		{"a surrogate pair is not split across segments", rep("ó", 66) + "😜" + rep("ó", 66), ucs, 133, 3, "ó"},
		{"a pair that fits the end of a segment stays there", rep("ó", 65) + "😜" + rep("ó", 67), ucs, 133, 2, "ó"},
		{"67 emoji (134 units) take three segments of 33 emoji", rep("😀", 67), ucs, 67, 3, "😀"},

		// Extension characters count two septets.
		{"an extension character and 158 more septets are one segment", "]" + rep("1", 158), gsm, 159, 1, ""},
		{"an extension character and 159 more septets are two", "]" + rep("1", 159), gsm, 160, 2, ""},
		{"80 euro signs are one segment", rep("€", 80), gsm, 80, 1, ""},
		{"81 are two", rep("€", 81), gsm, 81, 2, ""},
		// ... and their two septets are never split: 153 "]" are 306
		// septets, but a segment holds 76 of them (152 septets), so three
		// (Twilio bills it so: message-segment-calculator issue 39).
		{"153 extension characters are three segments, not two", rep("]", 153), gsm, 153, 3, ""},
		{"152 are two", rep("]", 152), gsm, 152, 2, ""},
		{"an extension character is not split across segments", rep("a", 152) + "€" + rep("a", 152), gsm, 305, 3, ""},
		{"an extension character that fits the end of a segment stays there", rep("a", 151) + "€" + rep("a", 153), gsm, 305, 2, ""},

		// UCS-2 counts every character of the Basic Multilingual Plane as
		// one unit, extension characters included.
		{"in UCS-2 an extension character is one unit", "😀" + rep("]", 68), ucs, 69, 1, "😀"},
		{"and 71 units are two segments", "😀" + rep("]", 69), ucs, 70, 2, "😀"},

		// The culprit is the first character outside GSM-7.
		{"the first character outside GSM-7 is the culprit", "Hi ç 😀 ’", ucs, 8, 1, "ç"},
		{"a tab is not GSM-7", "a\tb", ucs, 3, 1, "\t"},
		{"the escape code is not a character", "a\x1bb", ucs, 3, 1, "\x1b"},
		{"a non-breaking space is not GSM-7", "a\u00a0b", ucs, 3, 1, "\u00a0"},
		{"a combining accent is not GSM-7", "e\u0301", ucs, 2, 1, "\u0301"},
		{"invalid UTF-8 is the replacement character", "ok\xff", ucs, 3, 1, "\ufffd"},

		// The empty text.
		{"the empty text is no segment", "", gsm, 0, 0, ""},
		{"white space is a text", " ", gsm, 1, 1, ""},
		{"line breaks are one septet each", "a\r\nb\n", gsm, 5, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got := segments.Count(tc.body)
			want := segments.Result{Encoding: tc.encoding, Characters: tc.characters, Segments: tc.segments, Culprit: tc.culprit}
			if got != want {
				t.Errorf("Count = %+v, want %+v", got, want)
			}
		})
	}
}

// gsm7Basic and gsm7Extension are GSM 03.38's tables, written out here apart
// from the code (not in code order, and with the letters and digits spelled
// out), so that a character dropped from or added to the code's switch fails.
const (
	gsm7Basic = "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉÄÖÑÜ§¿äöñüà¡¤\r\n" +
		" !\"#%&'()*+,-./:;<=>?" +
		"0123456789" +
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ" +
		"abcdefghijklmnopqrstuvwxyz"
	gsm7Extension = "€[]{}~^|\\\f"
)

// TestEveryBasicCharacterIsOneSeptet: each of the 127 characters of the
// basic table alone is GSM-7, and 160 of it are one segment, 161 two.
func TestEveryBasicCharacterIsOneSeptet(t *testing.T) {
	if n := len([]rune(gsm7Basic)); n != 127 {
		t.Fatalf("the test's basic table has %d characters, want 127 (128 codes less the escape)", n)
	}
	for _, c := range gsm7Basic {
		for n, want := range map[int]int{1: 1, 160: 1, 161: 2} {
			got := segments.Count(rep(string(c), n))
			if got.Encoding != segments.GSM7 || got.Segments != want || got.Culprit != "" {
				t.Errorf("%d × %q: %+v, want GSM-7 in %d", n, c, got, want)
			}
		}
	}
}

// TestEveryExtensionCharacterIsTwoSeptets: each of the 10 characters of the
// extension table is GSM-7 and takes two septets: 80 are one segment, 81 two.
func TestEveryExtensionCharacterIsTwoSeptets(t *testing.T) {
	if n := len([]rune(gsm7Extension)); n != 10 {
		t.Fatalf("the test's extension table has %d characters, want 10", n)
	}
	for _, c := range gsm7Extension {
		for n, want := range map[int]int{1: 1, 80: 1, 81: 2, 152: 2, 153: 3} {
			got := segments.Count(rep(string(c), n))
			if got.Encoding != segments.GSM7 || got.Segments != want || got.Culprit != "" {
				t.Errorf("%d × %q: %+v, want GSM-7 in %d", n, c, got, want)
			}
		}
	}
}

// TestLatin1OutsideTheTables: the Latin-1 letters and signs that GSM-7 does
// not have make a text UCS-2 (a frequent surprise: ç, á, í, ó, ú).
func TestLatin1OutsideTheTables(t *testing.T) {
	for c := rune(0xA0); c <= 0xFF; c++ {
		if strings.ContainsRune(gsm7Basic, c) {
			continue
		}
		if got := segments.Count("a" + string(c)); got.Encoding != segments.UCS2 || got.Culprit != string(c) {
			t.Errorf("%q: %+v, want UCS-2 because of it", c, got)
		}
	}
}

// TestSplittingCanSaveSegments: two texts of 160 are two segments, the same
// 320 characters as one text three (the headers of a split text take room).
// So the segments of a text's parts may add up to fewer than the whole's:
// the fuzz test checks only what does hold (a part never costs more than the
// whole; in one encoding the parts save at most one segment).
func TestSplittingCanSaveSegments(t *testing.T) {
	half := rep("a", 160)
	if a, whole := segments.Count(half).Segments, segments.Count(half+half).Segments; a+a != 2 || whole != 3 {
		t.Fatalf("two halves %d + %d, whole %d; want 1 + 1 and 3", a, a, whole)
	}
	// Across encodings more: the emoji alone is one segment, and the GSM-7
	// text alone seven, but together they are UCS-2.
	long := rep("a", 1000)
	if a, b, whole := segments.Count(long).Segments, segments.Count("😀").Segments, segments.Count(long+"😀").Segments; a != 7 || b != 1 || whole != 15 {
		t.Fatalf("%d + %d, whole %d; want 7 + 1 and 15", a, b, whole)
	}
}
