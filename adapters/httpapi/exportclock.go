package httpapi

import "time"

// exportClock writes instants as an export's Created and Time cells
// ("2006-01-02,15:04:05") in a company's zone. An export's messages come
// oldest first, so most follow one another within the same local day and
// the same UTC offset: exportClock keeps that span's bounds and its date,
// and writes a time inside it from the seconds since local midnight alone,
// without converting each instant to the zone (a lookup of the zone's
// transitions) and splitting it into a date. An instant outside the span
// moves the span to its own day. The zero value is not ready: use
// newExportClock.
type exportClock struct {
	loc *time.Location
	// lo and hi bound the span, in Unix seconds: [lo, hi) lies within one
	// local day and one UTC offset. Empty (lo == hi) at first.
	lo, hi int64
	// midnight is that local day's midnight as a Unix second (it may lie
	// before lo, where the offset changed during the day).
	midnight int64
	date     [11]byte // "2006-01-02,"
}

func newExportClock(loc *time.Location) *exportClock {
	return &exportClock{loc: loc}
}

// appendDateTime appends t's Created and Time cells in the clock's zone,
// as appendDateTime(dst, t.In(loc)) does.
func (c *exportClock) appendDateTime(dst []byte, t time.Time) []byte {
	s := t.Unix() // seconds, rounded down, as the layout writes them
	if s < c.lo || s >= c.hi {
		if !c.moveTo(t) {
			return appendDateTime(dst, t.In(c.loc))
		}
	}
	sec := s - c.midnight
	h, mi, ss := sec/3600, sec/60%60, sec%60
	dst = append(dst, c.date[:]...)
	return append(dst, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+ss/10), byte('0'+ss%10))
}

// moveTo makes the span t's local day, cut to the zone's offset at t; it
// answers false (and leaves the span empty) for a year appendDateTime
// writes the slow way.
func (c *exportClock) moveTo(t time.Time) bool {
	c.lo, c.hi = 0, 0
	local := t.In(c.loc)
	y, mo, d := local.Date()
	if y < 0 || y > 9999 {
		return false
	}
	_, offset := local.Zone()
	s := t.Unix()
	wall := s + int64(offset) // seconds since 1970 on the local wall clock
	dayStart := wall - ((wall%86400)+86400)%86400
	c.midnight = dayStart - int64(offset)
	c.lo, c.hi = c.midnight, c.midnight+86400
	start, end := local.ZoneBounds() // zero where the offset has no bound
	if !start.IsZero() && start.Unix() > c.lo {
		c.lo = start.Unix()
	}
	if !end.IsZero() && end.Unix() < c.hi {
		c.hi = end.Unix()
	}
	c.date = [11]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + mo/10), byte('0' + mo%10), '-', byte('0' + d/10), byte('0' + d%10), ','}
	return true
}
