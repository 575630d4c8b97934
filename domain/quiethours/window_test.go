package quiethours_test

import (
	"errors"
	"testing"

	"github.com/smsinbox/smsinbox/domain/quiethours"
)

func TestParseWindow(t *testing.T) {
	for _, tt := range []struct{ start, end, want string }{
		{"08:00", "20:00", "08:00–20:00"},
		{"00:00", "23:59", "00:00–23:59"},
		{"12:30", "12:31", "12:30–12:31"},
	} {
		w, err := quiethours.ParseWindow(tt.start, tt.end)
		if err != nil {
			t.Fatalf("ParseWindow(%q, %q): %v", tt.start, tt.end, err)
		}
		if w.String() != tt.want || w.Start() != tt.start || w.End() != tt.end || w.IsZero() {
			t.Fatalf("ParseWindow(%q, %q) = %s (%s, %s)", tt.start, tt.end, w, w.Start(), w.End())
		}
	}
	for _, tt := range []struct{ name, start, end string }{
		{"start after end (across midnight)", "20:00", "08:00"},
		{"start equals end", "09:00", "09:00"},
		{"hour 24", "08:00", "24:00"},
		{"minute 60", "08:60", "20:00"},
		{"one-digit hour", "8:00", "20:00"},
		{"seconds", "08:00:00", "20:00"},
		{"empty", "", "20:00"},
		{"empty end", "08:00", ""},
		{"letters", "ab:cd", "20:00"},
		{"sign", "+8:00", "20:00"},
		{"white space", " 8:00", "20:00"},
		{"dot", "08.00", "20:00"},
		{"full-width digits", "０８:００", "20:00"},
	} {
		if w, err := quiethours.ParseWindow(tt.start, tt.end); !errors.Is(err, quiethours.ErrInvalidWindow) {
			t.Errorf("%s: ParseWindow(%q, %q) = %s, %v; want ErrInvalidWindow", tt.name, tt.start, tt.end, w, err)
		}
	}
	if !(quiethours.Window{}).IsZero() {
		t.Fatal("the zero Window is not zero")
	}
}
