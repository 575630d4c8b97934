package quiethours

import (
	"errors"
	"fmt"
)

// ErrInvalidWindow is matched (errors.Is) by every error ParseWindow returns.
var ErrInvalidWindow = errors.New("invalid sending window")

// Window is a span of local wall-clock time within one day, from its start
// (inclusive) to its end (exclusive), so "08:00–21:00" allows 08:00:00 and
// 20:59:59 and refuses 21:00:00. The zero Window is no window: as a
// company's window it narrows nothing.
type Window struct {
	start, end int // minutes after midnight
}

// ParseWindow reads a company's own sending window, two "HH:MM" clock times
// (00:00 to 23:59) in the recipient's local time with start before end. A
// window across midnight is refused: the legal hours never cross it, so such
// a window could only narrow them to nothing, which is surely a typing error.
func ParseWindow(start, end string) (Window, error) {
	s, err := parseClock(start)
	if err != nil {
		return Window{}, fmt.Errorf("%w: start: %w", ErrInvalidWindow, err)
	}
	e, err := parseClock(end)
	if err != nil {
		return Window{}, fmt.Errorf("%w: end: %w", ErrInvalidWindow, err)
	}
	if s >= e {
		return Window{}, fmt.Errorf("%w: start %s is not before end %s", ErrInvalidWindow, start, end)
	}
	return Window{start: s, end: e}, nil
}

// parseClock reads "HH:MM", 00:00 to 23:59, as minutes after midnight.
func parseClock(s string) (int, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	return h*60 + m, nil
}

func digits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// clock is hh:mm as a Window bound; for the rule tables.
func clock(h, m int) int { return h*60 + m }

// IsZero reports whether w is no window.
func (w Window) IsZero() bool { return w == Window{} }

// Start is w's first allowed minute, "HH:MM".
func (w Window) Start() string { return formatClock(w.start) }

// End is the minute at which w closes, "HH:MM".
func (w Window) End() string { return formatClock(w.end) }

// String is "HH:MM–HH:MM".
func (w Window) String() string { return w.Start() + "–" + w.End() }

func formatClock(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }

// narrowed is w narrowed by a company's window: the part of w that company
// also allows, possibly empty. The zero Window (no company window) narrows
// nothing; a company window wider than w leaves w as it is.
func (w Window) narrowed(company Window) Window {
	if company.IsZero() {
		return w
	}
	return w.intersect(company)
}

// intersect is what both w and o allow, possibly empty.
func (w Window) intersect(o Window) Window {
	return Window{start: max(w.start, o.start), end: min(w.end, o.end)}
}

// contains reports whether the minute of the day (minutes after midnight,
// seconds dropped) is inside w.
func (w Window) contains(minute int) bool { return w.start <= minute && minute < w.end }

// empty reports whether w allows no minute.
func (w Window) empty() bool { return w.start >= w.end }
