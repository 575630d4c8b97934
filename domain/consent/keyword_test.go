package consent_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/smsinbox/smsinbox/domain/consent"
)

var allKeywords = map[string]consent.Keyword{
	"STOP": consent.OptOut, "STOPALL": consent.OptOut, "STOP ALL": consent.OptOut, "UNSUBSCRIBE": consent.OptOut,
	"CANCEL": consent.OptOut, "END": consent.OptOut, "QUIT": consent.OptOut, "OPTOUT": consent.OptOut,
	"OPT OUT": consent.OptOut, "REVOKE": consent.OptOut, "stop texting me": consent.OptOut, "unsubscribe me": consent.OptOut,
	"START": consent.OptIn, "UNSTOP": consent.OptIn, "YES": consent.OptIn,
	"HELP": consent.Help, "INFO": consent.Help,
}

func TestClassifyKeywords(t *testing.T) {
	for word, want := range allKeywords {
		for _, body := range variants(word) {
			if got := consent.Classify(body); got != want {
				t.Errorf("Classify(%q) = %s, want %s", body, got, want)
			}
		}
	}
}

func TestClassifyExamples(t *testing.T) {
	for _, tt := range []struct {
		body string
		want consent.Keyword
	}{
		{"STOP.", consent.OptOut},
		{"stop!!", consent.OptOut},
		{"  Stop  ", consent.OptOut},
		{"Stop!", consent.OptOut},
		{"sToP", consent.OptOut},
		{"STOP\u00a0", consent.OptOut}, // no-break space
		{"\u3000STOP", consent.OptOut}, // ideographic space
		{"stop\u2026", consent.OptOut}, // ellipsis
		{"stop¡", consent.OptOut},
		{"Stop Texting Me!", consent.OptOut},
		{"stop  texting\tme", consent.OptOut},
		{"Unsubscribe me.", consent.OptOut},
		{"opt out", consent.OptOut},
		{"Opt  Out!", consent.OptOut},
		{"optout", consent.OptOut},
		{"stop all", consent.OptOut},
		{"StopAll", consent.OptOut},
		{"Cancel.", consent.OptOut},
		{"end", consent.OptOut},
		{"Quit!", consent.OptOut},
		{"revoke", consent.OptOut},
		{"Yes!", consent.OptIn},
		{"yes.", consent.OptIn},
		{" Start ", consent.OptIn},
		{"unstop", consent.OptIn},
		{"help?", consent.Help},
		{"Info", consent.Help},

		{"stop by tomorrow", consent.None},
		{"stopping", consent.None},
		{"stopped", consent.None},
		{"non-stop", consent.None},
		{"Please stop", consent.None},
		{"stop please", consent.None},
		{"stop texting", consent.None},
		{"texting me stop", consent.None},
		{"STOP STOP", consent.None},
		{"S TOP", consent.None},
		{"!STOP", consent.None},
		{"\"STOP\"", consent.None},
		{"STOP 😀", consent.None},
		{"opt-out", consent.None},
		{"stop, all", consent.None},
		{"yes please", consent.None},
		{"yeah", consent.None},
		{"y", consent.None},
		{"started", consent.None},
		{"helpful", consent.None},
		{"information", consent.None},
		{"I need help", consent.None},
		{"", consent.None},
		{"   ", consent.None},
		{"!!!", consent.None},
		{"\xff\xfe", consent.None},
	} {
		if got := consent.Classify(tt.body); got != tt.want {
			t.Errorf("Classify(%q) = %s, want %s", tt.body, got, tt.want)
		}
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"STOP", "stop!!", "  Stop  ", "STOP.", "stop texting me", "Unsubscribe  me", "opt out", "YES", "start", "HELP?", "info", "stop by tomorrow", "stopping", "", "!!!"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		k := consent.Classify(body)
		switch k {
		case consent.None, consent.OptOut, consent.OptIn, consent.Help:
		default:
			t.Fatalf("Classify(%q) = %q", body, k)
		}
		// Surrounding white space and trailing punctuation do not matter.
		for _, v := range []string{" " + body, body + " ", "\t" + body + "\n", body + ".", body + "!!", body + " ?"} {
			if got := consent.Classify(v); got != k {
				t.Fatalf("Classify(%q) = %s but Classify(%q) = %s", body, k, v, got)
			}
		}
		// Nor does ASCII case.
		if isASCII(body) {
			for _, v := range []string{strings.ToUpper(body), strings.ToLower(body)} {
				if got := consent.Classify(v); got != k {
					t.Fatalf("Classify(%q) = %s but Classify(%q) = %s", body, k, v, got)
				}
			}
		}
		// A keyword is the whole message: its words are exactly a keyword's.
		if k != consent.None {
			words := strings.Join(strings.Fields(strings.TrimRightFunc(body, func(r rune) bool {
				return unicode.IsSpace(r) || unicode.IsPunct(r)
			})), " ")
			want, ok := allKeywords[strings.ToUpper(words)]
			if !ok {
				want, ok = allKeywords[strings.ToLower(words)]
			}
			if !ok || want != k {
				t.Fatalf("Classify(%q) = %s, but its words %q are not that keyword", body, k, words)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Twilio's OptOutType decides the keyword when it names one; else the body.
func TestInboundKeyword(t *testing.T) {
	for _, tt := range []struct {
		body, optOutType string
		want             consent.Keyword
	}{
		{"STOP", "", consent.OptOut},
		{"ARRÊTE", "STOP", consent.OptOut},
		{"STOP", "START", consent.OptIn},
		{"hello", "help", consent.Help},
		{"STOP", "bogus", consent.OptOut},
		{"hello", "", consent.None},
	} {
		if got := consent.InboundKeyword(tt.body, tt.optOutType); got != tt.want {
			t.Errorf("InboundKeyword(%q, %q) = %s, want %s", tt.body, tt.optOutType, got, tt.want)
		}
	}
}
