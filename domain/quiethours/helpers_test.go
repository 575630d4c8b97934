package quiethours_test

import (
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// Recipients, with where libphonenumber's metadata places them.
const (
	florida    phone.Number = "+13055550123"  // Florida, America/New_York
	oklahoma   phone.Number = "+14055550123"  // Oklahoma, America/Chicago
	maryland   phone.Number = "+14105550123"  // Maryland, America/New_York
	texas      phone.Number = "+12145550123"  // Texas, America/Chicago
	elPaso     phone.Number = "+19155550123"  // Texas, America/Denver
	california phone.Number = "+14155550123"  // San Francisco, CA: America/Los_Angeles
	newYork    phone.Number = "+16465550123"  // New York, America/New_York
	washington phone.Number = "+12025550123"  // Washington D.C., America/New_York
	idaho      phone.Number = "+12085550123"  // Idaho: America/Boise and America/Los_Angeles
	alaska     phone.Number = "+19075550123"  // Alaska: America/Anchorage and America/Adak
	unassigned phone.Number = "+15551230001"  // possible, not valid: no zone, no region, no state
	tollFree   phone.Number = "+18005550199"  // US, no zone, no state
	london     phone.Number = "+442079460958" // Europe/London
	russia     phone.Number = "+73001234567"  // possible, not valid: every zone of +7
	greece     phone.Number = "+302101234567" // Athens, Europe/Athens
	freephone  phone.Number = "+80012345678"  // international freephone: placed nowhere
)

// Zones of the recipients above.
const (
	eastern  = "America/New_York"
	central  = "America/Chicago"
	mountain = "America/Denver"
	pacific  = "America/Los_Angeles"
	boise    = "America/Boise"
	hawaii   = "Pacific/Honolulu"
	londonTZ = "Europe/London"
)

// local is the instant at which zone's clocks read wall ("2006-01-02 15:04"
// or "2006-01-02 15:04:05"), in UTC. It is for wall times that occur once;
// the fall-back hour is written in UTC.
func local(t testing.TB, zone, wall string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation(zone)
	if err != nil {
		t.Fatal(err)
	}
	layout := "2006-01-02 15:04"
	if len(wall) > len(layout) {
		layout += ":05"
	}
	at, err := time.ParseInLocation(layout, wall, loc)
	if err != nil {
		t.Fatal(err)
	}
	return at.UTC()
}

// utc is an instant written in UTC, "2006-01-02 15:04".
func utc(t testing.TB, wall string) time.Time { return local(t, "UTC", wall) }

func companyWindow(t testing.TB, start, end string) quiethours.Window {
	t.Helper()
	w, err := quiethours.ParseWindow(start, end)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// row is one case: when in, then want.
type row struct {
	name string
	in   quiethours.Input
	want quiethours.Decision
}

func (tt row) run(t *testing.T) {
	t.Helper()
	t.Run(tt.name, func(t *testing.T) {
		got := quiethours.Check(tt.in)
		if got.Allowed != tt.want.Allowed || got.Exempt != tt.want.Exempt || !got.NextAllowed.Equal(tt.want.NextAllowed) {
			t.Fatalf("Check(%s at %s)\n got %s\nwant %s", tt.in.Recipient, tt.in.At.Format(time.RFC3339), describe(got), describe(tt.want))
		}
		if !got.NextAllowed.IsZero() && got.NextAllowed.Location() != time.UTC {
			t.Fatalf("next allowed %s is not in UTC", got.NextAllowed)
		}
	})
}

func runRows(t *testing.T, rows ...row) {
	t.Helper()
	for _, tt := range rows {
		tt.run(t)
	}
}

func describe(d quiethours.Decision) string {
	switch {
	case d.Allowed && d.Exempt != "":
		return "allowed, exempt: " + string(d.Exempt)
	case d.Allowed:
		return "allowed"
	case d.NextAllowed.IsZero():
		return "refused, never within 35 days"
	default:
		return "refused, next allowed " + d.NextAllowed.Format(time.RFC3339)
	}
}

// send is a staff text to n at at, with no company window and no customer
// text.
func send(n phone.Number, at time.Time) quiethours.Input {
	return quiethours.Input{Recipient: n, At: at}
}

var (
	allowed = quiethours.Decision{Allowed: true}
	// never is a refusal with no allowed moment within 35 days.
	never = quiethours.Decision{}
)

func refusedUntil(next time.Time) quiethours.Decision {
	return quiethours.Decision{NextAllowed: next}
}
