package phone

import (
	"errors"
	"fmt"
	"testing"
)

// A Memo answers what Parse answers, for inputs met before and new ones,
// past its size, and for refusals; a nil Memo parses.
func TestMemoAnswersAsParse(t *testing.T) {
	m := NewMemo(3)
	var none *Memo
	inputs := []string{"+1 202 555 0123", "(202) 555-0187", "+12025550123", "+44 20 7946 0958", "202-555-0199", "letters", "+1 202 555 0123", "12", "(202) 555-0187"}
	for round := range 2 {
		for _, in := range inputs {
			want, wantErr := Parse(in, "US")
			for name, p := range map[string]func(string, string) (Number, error){"memo": m.Parse, "nil memo": none.Parse} {
				got, err := p(in, "US")
				if got != want || fmt.Sprint(err) != fmt.Sprint(wantErr) || errors.Is(err, ErrInvalid) != (wantErr != nil) {
					t.Fatalf("round %d, %s: Parse(%q) = %q, %v; want %q, %v", round, name, in, got, err, want, wantErr)
				}
			}
		}
	}
	if n := len(m.known); n > 3 {
		t.Fatalf("the memo holds %d inputs, more than its size 3", n)
	}
	if got, _ := m.Parse("202 555 0123", "GB"); got == MustParse("202 555 0123", "US") {
		t.Fatal("an input read in another region answered the US reading")
	}
}

func BenchmarkParse(b *testing.B) {
	b.Run("parse", func(b *testing.B) {
		for b.Loop() {
			_, _ = Parse("+12025550123", "US")
		}
	})
	b.Run("memo", func(b *testing.B) {
		m := NewMemo(0)
		for b.Loop() {
			_, _ = m.Parse("+12025550123", "US")
		}
	})
}
