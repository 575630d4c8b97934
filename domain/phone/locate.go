package phone

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Location is where the numbering plan places a number: what a send-time
// rule needs to know of the recipient's local time and local law. It is read
// from libphonenumber's metadata, which is data compiled into the module: no
// I/O, the same answer on every machine for a given module version.
type Location struct {
	// CallingCode is the country calling code: 1 for the North American
	// Numbering Plan (the United States, Canada, and 23 other countries and
	// territories), 44 for the United Kingdom. 0 when the number cannot be
	// read at all.
	CallingCode int
	// Region is the ISO 3166-1 alpha-2 code of the number's country or
	// territory ("US", "CA", "PR"); "" when the metadata cannot tell, as for
	// a possible number it does not call valid (+1 555 …) or a
	// non-geographic service (+800 …, satellite networks).
	Region string
	// Zones are the IANA time zones the metadata gives for the number's area,
	// sorted; an area can span several (Idaho's 208: America/Boise and
	// America/Los_Angeles). Nil when it places the number nowhere
	// (non-geographic services).
	Zones []string
	// CountryWide is true when the metadata knows no zone for the number's
	// own prefix and Zones are those of its whole calling code. For +1 that
	// is every zone of the plan, from Guam (UTC+10) to American Samoa
	// (UTC−11); for a country with one zone it changes nothing.
	CountryWide bool
	// State is the USPS code of the US state or district ("FL", "TX", "DC")
	// that the number's area code serves, for a +1 number of the United
	// States or of no known region; "" when the metadata does not name a
	// state (toll-free and other non-geographic codes, unassigned area codes)
	// and for every other number.
	State string
}

// unknownZone is libphonenumber's answer for a number it places nowhere.
const unknownZone = phonenumbers.UNKNOWN_TIMEZONE

// Locate returns where the metadata places n. It never fails: what the
// metadata cannot tell is left empty (a zero Location for a string that is
// not a number at all), and the caller decides what an unknown place means.
//
// n need only be a possible number: Locate does not require the metadata to
// call it valid, so a number on an area code newer than the metadata is
// placed by what its prefix tells (often its calling code only).
func Locate(n Number) Location {
	num, err := phonenumbers.Parse(string(n), DefaultRegion)
	if err != nil {
		return Location{}
	}
	loc := Location{CallingCode: int(num.GetCountryCode())}
	if region := phonenumbers.GetRegionCodeForNumber(num); region != phonenumbers.UNKNOWN_REGION && region != "001" {
		loc.Region = region
	}
	loc.Zones, loc.CountryWide = zones(num, loc.CallingCode)
	if loc.CallingCode == 1 && (loc.Region == "" || loc.Region == "US") {
		// The Go port answers for any number, valid or not, from the
		// longest prefix it knows: an unassigned exchange on a known area
		// code still names the area code's state.
		if geo, err := phonenumbers.GetGeocodingForNumber(num, "en"); err == nil {
			loc.State = usState(geo)
		}
	}
	return loc
}

// zones returns the metadata's time zones for num, and whether they are only
// those of its calling code.
func zones(num *phonenumbers.PhoneNumber, callingCode int) ([]string, bool) {
	own, err := phonenumbers.GetTimezonesForNumber(num)
	if err != nil || len(own) == 0 || slices.Contains(own, unknownZone) {
		return nil, false
	}
	own = slices.Sorted(slices.Values(own))
	country, err := phonenumbers.GetTimezonesForPrefix(strconv.Itoa(callingCode))
	if err != nil {
		return own, false
	}
	return own, slices.Equal(own, slices.Sorted(slices.Values(country)))
}

// usState reads the state out of libphonenumber's English description of a
// US number's area: a state's name ("Florida", "Washington State",
// "Washington D.C.") for an area code, or "City, ST" for an exchange. Any
// other description ("United States" for toll-free codes, a Canadian
// province) names no state.
func usState(geo string) string {
	if code, ok := stateByName[geo]; ok {
		return code
	}
	if i := strings.LastIndex(geo, ", "); i >= 0 {
		if code := geo[i+2:]; stateCodes[code] {
			return code
		}
	}
	return ""
}
