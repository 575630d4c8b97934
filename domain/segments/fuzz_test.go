package segments_test

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/smsinbox/smsinbox/domain/segments"
)

// FuzzCount: for any two texts a and b (any bytes), Count of each and of a+b
//   - counts the code points as Characters, and no segment only for "";
//   - is GSM-7 exactly when every character is in the test's own GSM-7
//     tables, and otherwise names the first one that is not;
//   - answers the fewest segments the text fits in, by an independent
//     search over every way to cut it (not cutting a character in two);
//   - never costs a part more than the whole (adding text never lowers the
//     count), and, when a, b and a+b share an encoding, the two parts save at
//     most one segment (TestSplittingCanSaveSegments shows why they may
//     save one, and across encodings more).
func FuzzCount(f *testing.F) {
	f.Add("hello", " world")
	f.Add(rep("a", 160), rep("a", 160))         // two single segments, the whole three
	f.Add(rep("a", 152), "€"+rep("a", 152))     // an extension character on the boundary
	f.Add(rep("ó", 66), "😜"+rep("ó", 66))       // a surrogate pair on the boundary
	f.Add(rep("]", 153), "")                    // 306 septets in three segments
	f.Add(rep("a", 1000), "😀")                  // a GSM-7 text made UCS-2 by its end
	f.Add("Say “hi”", "’")                      // curly quotes
	f.Add("ok\xff", "\xf0\x9f")                 // invalid UTF-8, a cut emoji
	f.Add("", "")                               // the empty text
	f.Add("\r\n\f^{}\\[~]|€", "@£$¥èéùìòÇØøÅå") // both tables' edges
	f.Fuzz(func(t *testing.T, a, b string) {
		whole := check(t, a+b)
		for _, part := range []segments.Result{check(t, a), check(t, b)} {
			if part.Segments > whole.Segments {
				t.Fatalf("a part costs %d segments, the whole %d (a=%q b=%q)", part.Segments, whole.Segments, a, b)
			}
		}
		ra, rb := segments.Count(a), segments.Count(b)
		if ra.Encoding == whole.Encoding && rb.Encoding == whole.Encoding && ra.Segments+rb.Segments+1 < whole.Segments {
			t.Fatalf("the parts cost %d + %d segments, the whole %d (a=%q b=%q)", ra.Segments, rb.Segments, whole.Segments, a, b)
		}
	})
}

// check holds Count(s) to the properties of one text and returns it.
func check(t *testing.T, s string) segments.Result {
	t.Helper()
	got := segments.Count(s)
	if got.Characters != utf8.RuneCountInString(s) {
		t.Fatalf("%q: %d characters, want %d", s, got.Characters, utf8.RuneCountInString(s))
	}
	if (got.Segments == 0) != (s == "") {
		t.Fatalf("%q: %d segments", s, got.Segments)
	}
	encoding, culprit := segments.GSM7, ""
	for _, c := range s {
		if !strings.ContainsRune(gsm7Basic+gsm7Extension, c) {
			encoding, culprit = segments.UCS2, string(c)
			break
		}
	}
	if got.Encoding != encoding || got.Culprit != culprit {
		t.Fatalf("%q: %s with culprit %q, want %s with %q", s, got.Encoding, got.Culprit, encoding, culprit)
	}
	var sizes []int
	single, multi := segments.GSM7Single, segments.GSM7Multi
	for _, c := range s {
		switch {
		case encoding == segments.UCS2:
			sizes = append(sizes, len(utf16.Encode([]rune{c})))
		case strings.ContainsRune(gsm7Extension, c):
			sizes = append(sizes, 2)
		default:
			sizes = append(sizes, 1)
		}
	}
	if encoding == segments.UCS2 {
		single, multi = segments.UCS2Single, segments.UCS2Multi
	}
	if want := fewestSegments(sizes, single, multi); got.Segments != want {
		t.Fatalf("%q: %d segments, want %d", s, got.Segments, want)
	}
	return got
}

// fewestSegments is the fewest segments that characters of these sizes fit
// in, kept in order and whole: one when they all fit single, else the least
// number of consecutive runs of at most multi each (best[i]: the fewest for
// the first i characters, over every place the last run may start).
func fewestSegments(sizes []int, single, multi int) int {
	total := 0
	for _, s := range sizes {
		total += s
	}
	switch {
	case total == 0:
		return 0
	case total <= single:
		return 1
	}
	best := make([]int, len(sizes)+1)
	for i := 1; i <= len(sizes); i++ {
		best[i] = len(sizes) + 1
		run := 0
		for j := i; j > 0; j-- {
			run += sizes[j-1]
			if run > multi {
				break
			}
			best[i] = min(best[i], best[j-1]+1)
		}
	}
	return best[len(sizes)]
}
