package quiethours

import (
	"slices"
	"time"
)

// nextAllowed is row 12: the first instant in (at, at+Horizon] that r's
// window, narrowed by company, allows in every zone; the zero Time when none
// does.
//
// The allowed instants are a union of spans, each opening at a moment when
// the last of r's zones enters its window. A zone enters its window either
// when its clocks reach the window's opening wall time, or when they jump
// into the window at a change of offset; never at midnight, since no window
// crosses it. So the first allowed instant is the first of those moments at
// which every zone is inside: nextAllowed lists them for each zone and tries
// them in order. Working from the zones' wall clocks, never by adding fixed
// hours, keeps the answer right across daylight-saving changes.
func nextAllowed(r recipient, company Window, at time.Time) time.Time {
	until := at.Add(Horizon)
	var candidates []time.Time
	for _, z := range r.zones {
		candidates = append(candidates, openings(z, r.hours, company, at, until)...)
	}
	slices.SortFunc(candidates, time.Time.Compare)
	for _, c := range candidates {
		if r.inside(company, c) {
			return c.UTC()
		}
	}
	return time.Time{}
}

// openings returns the instants in (from, until] at which zone's clocks may
// enter the window of h narrowed by company: each day's opening wall time,
// and each change of the zone's offset.
func openings(zone *time.Location, h hours, company Window, from, until time.Time) []time.Time {
	var out []time.Time
	keep := func(t time.Time) {
		if t.After(from) && !t.After(until) {
			out = append(out, t)
		}
	}
	// Calendar days in zone, from the day before from's to the day after
	// until's (a wall time's instant may fall on either side of the date).
	first, last := civilDay(from.In(zone)).AddDate(0, 0, -1), civilDay(until.In(zone)).AddDate(0, 0, 1)
	for day := first; !day.After(last); day = day.AddDate(0, 0, 1) {
		w := h.on(day.Weekday()).narrowed(company)
		if w.empty() {
			continue
		}
		for _, t := range wallInstants(zone, day, w.start) {
			keep(t)
		}
	}
	for _, t := range offsetChanges(zone, from, until) {
		keep(t)
	}
	return out
}

// offsetStep is how often offsetChanges reads a zone's offset. No zone
// changes its offset twice within 12 hours.
const offsetStep = 12 * time.Hour

// offsetChanges returns the instants in (from, until] at which zone's
// offset changes: it reads the offset every offsetStep and, where it
// differs, finds the first second of the new one by bisection.
//
// Time.ZoneBounds would name them directly, but in leap years that its zone
// files cover only by their closing rule (2040, 2044, ...) it answers, on 31
// December, an end before the instant asked about (Go issue 81583).
func offsetChanges(zone *time.Location, from, until time.Time) []time.Time {
	var out []time.Time
	offset := func(t time.Time) int { _, o := t.In(zone).Zone(); return o }
	for a := from; a.Before(until); a = a.Add(offsetStep) {
		b := a.Add(offsetStep)
		if b.After(until) {
			b = until
		}
		before := offset(a)
		if offset(b) == before {
			continue
		}
		// The offset at lo is before's, at hi it is not.
		lo, hi := a.Unix(), b.Unix()
		for hi-lo > 1 {
			mid := lo + (hi-lo)/2
			if offset(time.Unix(mid, 0)) == before {
				lo = mid
			} else {
				hi = mid
			}
		}
		out = append(out, time.Unix(hi, 0))
	}
	return out
}

// civilDay is t's calendar date, as midnight UTC of that date.
func civilDay(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// wallInstants returns the instants at which zone's clocks read minute
// (minutes after midnight) on day (a civilDay): none when the clocks skip
// it (spring forward), two when they read it twice (fall back), else one.
//
// The instant is the wall time less the zone's offset; the offset may be
// the one before or after a change near that day, so each is tried and
// kept only when the zone's clocks then read that very wall time.
func wallInstants(zone *time.Location, day time.Time, minute int) []time.Time {
	wall := day.Add(time.Duration(minute) * time.Minute) // as if the zone were UTC
	var out []time.Time
	for _, probe := range []time.Time{wall.Add(-26 * time.Hour), wall, wall.Add(26 * time.Hour)} {
		_, offset := probe.In(zone).Zone()
		t := wall.Add(-time.Duration(offset) * time.Second)
		if sameWallClock(t.In(zone), wall) && !slices.ContainsFunc(out, t.Equal) {
			out = append(out, t)
		}
	}
	return out
}

// sameWallClock reports whether local's clocks read wall's date and time
// (wall being a wall time written as UTC).
func sameWallClock(local, wall time.Time) bool {
	ly, lm, ld := local.Date()
	wy, wm, wd := wall.Date()
	return ly == wy && lm == wm && ld == wd &&
		local.Hour() == wall.Hour() && local.Minute() == wall.Minute() && local.Second() == wall.Second() &&
		local.Nanosecond() == 0
}
