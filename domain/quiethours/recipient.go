package quiethours

import (
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"

	// Zones are loaded with time.LoadLocation, which reads the machine's
	// time zone database first (/usr/share/zoneinfo, read-only reference
	// data, as domain/company reads it) and falls back to this copy, compiled
	// into the binary. With it every zone libphonenumber names loads on any
	// machine, a container image without zoneinfo included, so a recipient is
	// never misplaced for want of a file. A machine whose database is newer
	// (a government moved its clocks) answers by the newer rules, which are
	// the clocks the recipient actually lives by.
	_ "time/tzdata"
)

// usZones stand for every zone of the 50 states and the District of
// Columbia (row 8): one zone for each way their clocks run today, from
// Eastern to Hawaii. Every other US zone (America/Detroit, Indiana's,
// Boise, Juneau, ...) keeps the same clock as one of these, so the windows
// that hold in all of them are those that hold in these. The east end is
// Eastern time, the west end Hawaii (UTC−10 all year; the Aleutians are
// UTC−10 in winter and UTC−9 in summer).
var usZones = []string{
	"America/New_York",
	"America/Chicago",
	"America/Denver",
	"America/Phoenix",
	"America/Los_Angeles",
	"America/Anchorage",
	"America/Adak",
	"Pacific/Honolulu",
}

// recipient is where a number's clocks are and the hours that bind there.
type recipient struct {
	zones []*time.Location
	hours hours
}

// locate finds n's zones and hours (rows 4 to 10); false when n is placed
// nowhere (row 10).
func locate(n phone.Number) (recipient, bool) {
	where := phone.Locate(n)
	nanp := where.CallingCode == 1
	names := where.Zones
	// Row 8: a +1 number placed only by its calling code is read as the
	// plan's main country, the United States: the calling code's own list
	// runs from Guam (UTC+10) to American Samoa (UTC−11), which no hour of
	// the day would fit.
	if nanp && where.CountryWide {
		names = usZones
	}
	zones, ok := load(names)
	if !ok && nanp {
		zones, ok = load(usZones)
	}
	// Row 10: placed nowhere.
	if !ok {
		return recipient{}, false
	}
	return recipient{zones: zones, hours: hoursOf(where)}, true
}

// load loads every zone of names; false when there are none or one does
// not load (an unknown zone: the caller reads it as rows 8 and 10 do).
func load(names []string) ([]*time.Location, bool) {
	if len(names) == 0 {
		return nil, false
	}
	zones := make([]*time.Location, 0, len(names))
	for _, name := range names {
		z, err := time.LoadLocation(name)
		if err != nil {
			return nil, false
		}
		zones = append(zones, z)
	}
	return zones, true
}

// hoursOf is the hours of rows 4 to 7 for a number placed at where. State
// law is read for +1 numbers of the United States and of no known region;
// every other number, Puerto Rico's and Canada's included, takes the
// default.
func hoursOf(where phone.Location) hours {
	if where.CallingCode != 1 || (where.Region != "US" && where.Region != "") {
		return defaultHours // Row 4
	}
	if where.State == "" {
		return strictestHours // Row 7
	}
	if h, ok := stateHours[where.State]; ok {
		return h // Rows 5 and 6
	}
	return defaultHours // Row 4
}

// inside reports whether instant t is inside r's window, narrowed by the
// company's, in every one of r's zones (rows 3 and 11).
func (r recipient) inside(company Window, t time.Time) bool {
	for _, z := range r.zones {
		local := t.In(z)
		w := r.hours.on(local.Weekday()).narrowed(company)
		if !w.contains(local.Hour()*60 + local.Minute()) {
			return false
		}
	}
	return true
}
