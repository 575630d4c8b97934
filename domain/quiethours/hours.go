package quiethours

import "time"

// hours are a place's allowed windows, one for each day of the week
// (indexed by time.Weekday), in the recipient's local time.
type hours [7]Window

// on is the window of weekday d.
func (h hours) on(d time.Weekday) Window { return h[d] }

// everyDay is w on all seven days.
func everyDay(w Window) hours {
	var h hours
	for d := range h {
		h[d] = w
	}
	return h
}

// intersection is, day by day, what both a and b allow.
func intersection(a, b hours) hours {
	for d := range a {
		a[d] = a[d].intersect(b[d])
	}
	return a
}

// The rule table's windows (rows 4 to 7). Every window opens at 08:00 or
// later and closes at 21:00 or earlier, and a company's window only narrows
// them: no allowed span ever crosses midnight.
var (
	// Row 4: the default, everywhere rows 5 to 7 do not apply.
	defaultHours = everyDay(Window{clock(8, 0), clock(21, 0)})
	// Row 5: Florida, Oklahoma, Maryland.
	eightToEight = everyDay(Window{clock(8, 0), clock(20, 0)})
	// Row 6: Texas.
	texasHours = func() hours {
		h := everyDay(Window{clock(9, 0), clock(21, 0)})
		h[time.Sunday] = Window{clock(12, 0), clock(21, 0)}
		return h
	}()

	// stateHours are the US states whose own law is stricter than row 4,
	// by USPS code.
	stateHours = map[string]hours{
		"FL": eightToEight,
		"OK": eightToEight,
		"MD": eightToEight,
		"TX": texasHours,
	}

	// Row 7: the state is unknown, so every state's law must hold: the
	// default and each state's hours at once, which works out to
	// 09:00–20:00 Monday to Saturday and 12:00–20:00 on Sunday.
	strictestHours = func() hours {
		h := defaultHours
		for _, state := range stateHours {
			h = intersection(h, state)
		}
		return h
	}()
)
