package quiethours

import (
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// Row 7 | a +1 number, US or no known region, no state | every state's law at once
func TestRow7Hours(t *testing.T) {
	strictest := everyDay(Window{clock(9, 0), clock(20, 0)})
	strictest[time.Sunday] = Window{clock(12, 0), clock(20, 0)}
	if strictestHours != strictest {
		t.Fatalf("strictest hours %v, want 09:00–20:00 Monday to Saturday, 12:00–20:00 Sunday", strictestHours)
	}
	chicago := []string{"America/Chicago"}
	for _, tt := range []struct {
		name  string
		where phone.Location
		want  hours
	}{
		{"US, no state", phone.Location{CallingCode: 1, Region: "US", Zones: chicago}, strictestHours},
		{"no region, no state", phone.Location{CallingCode: 1, Zones: chicago}, strictestHours},
		{"no region, Texas's area code", phone.Location{CallingCode: 1, Zones: chicago, State: "TX"}, texasHours},
		{"US, Illinois", phone.Location{CallingCode: 1, Region: "US", Zones: chicago, State: "IL"}, defaultHours},
		{"Canada", phone.Location{CallingCode: 1, Region: "CA", Zones: chicago}, defaultHours},
		{"Puerto Rico", phone.Location{CallingCode: 1, Region: "PR", Zones: []string{"America/Puerto_Rico"}}, defaultHours},
		{"Mexico", phone.Location{CallingCode: 52, Region: "MX", Zones: []string{"America/Mexico_City"}}, defaultHours},
	} {
		if got := hoursOf(tt.where); got != tt.want {
			t.Errorf("%s: hours %v, want %v", tt.name, got, tt.want)
		}
	}

	// A Chicago number with no state, on a Sunday and a Wednesday.
	chicagoZone, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	r := recipient{zones: []*time.Location{chicagoZone}, hours: hoursOf(phone.Location{CallingCode: 1, Region: "US", Zones: chicago})}
	at := func(wall string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", wall, chicagoZone)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for _, tt := range []struct {
		wall string
		in   bool
		next string
	}{
		{"2026-07-15 08:30", false, "2026-07-15 09:00"}, // Texas opens at 09:00
		{"2026-07-15 09:00", true, ""},
		{"2026-07-15 19:59", true, ""},
		{"2026-07-15 20:00", false, "2026-07-16 09:00"}, // Florida closes at 20:00
		{"2026-07-19 11:00", false, "2026-07-19 12:00"}, // Texas's Sunday
		{"2026-07-19 12:00", true, ""},
	} {
		if got := r.inside(Window{}, at(tt.wall)); got != tt.in {
			t.Errorf("%s: inside %v, want %v", tt.wall, got, tt.in)
		}
		if tt.next != "" {
			if got := nextAllowed(r, Window{}, at(tt.wall)); !got.Equal(at(tt.next)) {
				t.Errorf("%s: next allowed %s, want %s", tt.wall, got.In(chicagoZone), tt.next)
			}
		}
	}
}
