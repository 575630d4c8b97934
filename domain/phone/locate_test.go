package phone_test

import (
	"reflect"
	"testing"

	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestLocate(t *testing.T) {
	newYork := []string{"America/New_York"}
	chicago := []string{"America/Chicago"}
	tests := []struct {
		name   string
		number phone.Number
		want   phone.Location
	}{
		{"Florida by its area code's name", "+13055550123", phone.Location{CallingCode: 1, Region: "US", Zones: newYork, State: "FL"}},
		{"Oklahoma", "+14055550123", phone.Location{CallingCode: 1, Region: "US", Zones: chicago, State: "OK"}},
		{"Maryland", "+14105550123", phone.Location{CallingCode: 1, Region: "US", Zones: newYork, State: "MD"}},
		{"Texas, Central time", "+12145550123", phone.Location{CallingCode: 1, Region: "US", Zones: chicago, State: "TX"}},
		{"Texas, El Paso on Mountain time", "+19155550123", phone.Location{CallingCode: 1, Region: "US", Zones: []string{"America/Denver"}, State: "TX"}},
		{"California by an exchange's City, ST", "+14155550123", phone.Location{CallingCode: 1, Region: "US", Zones: []string{"America/Los_Angeles"}, State: "CA"}},
		{"Washington D.C.", "+12025550123", phone.Location{CallingCode: 1, Region: "US", Zones: newYork, State: "DC"}},
		{"Idaho spans two zones", "+12085550123", phone.Location{CallingCode: 1, Region: "US", Zones: []string{"America/Boise", "America/Los_Angeles"}, State: "ID"}},
		{"an unassigned exchange keeps its area code's place", "+12121234567", phone.Location{CallingCode: 1, Zones: newYork, State: "NY"}},
		{"+1 555: possible, not valid: the plan's zones, no region, no state", "+15551230001", phone.Location{CallingCode: 1, Zones: nanpZones, CountryWide: true}},
		{"US toll-free: the plan's zones, no state", "+18005550199", phone.Location{CallingCode: 1, Region: "US", Zones: nanpZones, CountryWide: true}},
		{"Canada: a province is no state", "+14385550123", phone.Location{CallingCode: 1, Region: "CA", Zones: []string{"America/Toronto"}}},
		{"Puerto Rico is its own region", "+17875550123", phone.Location{CallingCode: 1, Region: "PR", Zones: []string{"America/Puerto_Rico"}}},
		{"France: one zone for the country", "+33612345678", phone.Location{CallingCode: 33, Region: "FR", Zones: []string{"Europe/Paris"}, CountryWide: true}},
		{"Moscow", "+74951234567", phone.Location{CallingCode: 7, Region: "RU", Zones: []string{"Europe/Moscow"}}},
		{"international freephone: placed nowhere", "+80012345678", phone.Location{CallingCode: 800}},
		{"not a number", "hello", phone.Location{}},
		{"the zero Number", "", phone.Location{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := phone.Locate(tt.number); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Locate(%q)\n got %#v\nwant %#v", tt.number, got, tt.want)
			}
		})
	}
}

// nanpZones are the zones libphonenumber gives the +1 calling code as a
// whole, sorted.
var nanpZones = []string{
	"America/Adak", "America/Anchorage", "America/Anguilla", "America/Antigua", "America/Barbados",
	"America/Boise", "America/Cayman", "America/Chicago", "America/Denver", "America/Dominica",
	"America/Edmonton", "America/Fort_Nelson", "America/Grand_Turk", "America/Grenada", "America/Halifax",
	"America/Jamaica", "America/Juneau", "America/Los_Angeles", "America/Lower_Princes", "America/Montserrat",
	"America/Nassau", "America/New_York", "America/North_Dakota/Center", "America/Phoenix", "America/Port_of_Spain",
	"America/Puerto_Rico", "America/Regina", "America/Santo_Domingo", "America/St_Johns", "America/St_Kitts",
	"America/St_Lucia", "America/St_Thomas", "America/St_Vincent", "America/Toronto", "America/Tortola",
	"America/Vancouver", "America/Winnipeg", "Atlantic/Bermuda", "Pacific/Guam", "Pacific/Honolulu",
	"Pacific/Pago_Pago", "Pacific/Saipan",
}
