package autoreply

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// dayNames are the keys of business hours, by time.Weekday.
var dayNames = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// Range is an opening span of one day, in minutes after local midnight:
// Start included, End excluded (a range 09:00–17:00 takes a text at 09:00
// and not one at 17:00). End may be 24:00, the end of the day.
type Range struct {
	Start, End int
}

// Week is the business hours of each day (indexed by time.Weekday), ranges
// ordered and not overlapping; a day without ranges is closed. A span across
// midnight is two ranges, one on each day.
type Week [7][]Range

// ParseWeek reads business hours as a company gives them: day → list of
// ["HH:MM","HH:MM"] pairs, days "mon" to "sun". A day left out is closed.
// Each time is two-digit hours 00 to 23 and minutes 00 to 59, or 24:00 as an
// end; each range starts before it ends; a day's ranges come in order and do
// not overlap (one may start where the previous ended).
func ParseWeek(days map[string][][]string) (Week, error) {
	var w Week
	for name, ranges := range days {
		d := slices.Index(dayNames[:], name)
		if d < 0 {
			return Week{}, fmt.Errorf("%w: %q is not a day (mon, tue, wed, thu, fri, sat, sun)", ErrInvalidHours, name)
		}
		for i, pair := range ranges {
			if len(pair) != 2 {
				return Week{}, fmt.Errorf("%w: %s range %d is not a pair [\"HH:MM\",\"HH:MM\"]", ErrInvalidHours, name, i+1)
			}
			start, err := parseClock(pair[0], false)
			if err != nil {
				return Week{}, fmt.Errorf("%w: %s range %d: %w", ErrInvalidHours, name, i+1, err)
			}
			end, err := parseClock(pair[1], true)
			if err != nil {
				return Week{}, fmt.Errorf("%w: %s range %d: %w", ErrInvalidHours, name, i+1, err)
			}
			if start >= end {
				return Week{}, fmt.Errorf("%w: %s range %d starts at %s, not before its end %s", ErrInvalidHours, name, i+1, pair[0], pair[1])
			}
			if n := len(w[d]); n > 0 && start < w[d][n-1].End {
				return Week{}, fmt.Errorf("%w: %s range %d starts at %s, before the previous range ends (ranges come in order and do not overlap)",
					ErrInvalidHours, name, i+1, pair[0])
			}
			w[d] = append(w[d], Range{Start: start, End: end})
		}
	}
	return w, nil
}

// parseClock reads "HH:MM" into minutes after midnight; "24:00" only as an
// end.
func parseClock(s string, end bool) (int, error) {
	bad := fmt.Errorf("%q is not a time HH:MM (00:00 to 23:59, or 24:00 as an end)", s)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	digits := []byte{s[0], s[1], s[3], s[4]}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, bad
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	switch {
	case h == 24 && m == 0 && end:
		return 24 * 60, nil
	case h > 23 || m > 59:
		return 0, bad
	}
	return h*60 + m, nil
}

// Open reports whether the local instant t (already in the company's zone)
// lies inside the business hours: its weekday's ranges, by its wall clock.
func (w Week) Open(t time.Time) bool {
	minute := t.Hour()*60 + t.Minute()
	for _, r := range w[t.Weekday()] {
		if minute >= r.Start && minute < r.End {
			return true
		}
	}
	return false
}

// Equal reports whether w and o are the same hours.
func (w Week) Equal(o Week) bool {
	for d := range w {
		if !slices.Equal(w[d], o[d]) {
			return false
		}
	}
	return true
}

// Days is w as a company gives it: every day, "mon" to "sun", each with its
// ["HH:MM","HH:MM"] pairs ([] when closed).
func (w Week) Days() map[string][][]string {
	out := make(map[string][][]string, 7)
	for d, name := range dayNames {
		pairs := make([][]string, 0, len(w[d]))
		for _, r := range w[d] {
			pairs = append(pairs, []string{formatClock(r.Start), formatClock(r.End)})
		}
		out[name] = pairs
	}
	return out
}

func formatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// MarshalJSON writes Days.
func (w Week) MarshalJSON() ([]byte, error) { return json.Marshal(w.Days()) }

// UnmarshalJSON reads what MarshalJSON writes, with ParseWeek's checks.
func (w *Week) UnmarshalJSON(data []byte) error {
	var days map[string][][]string
	if err := json.Unmarshal(data, &days); err != nil {
		return err
	}
	parsed, err := ParseWeek(days)
	if err != nil {
		return err
	}
	*w = parsed
	return nil
}
