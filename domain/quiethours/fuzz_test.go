package quiethours_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// span is a window in minutes after midnight, [start, end).
type span struct{ start, end int }

// The legal hours, written again here from the rule table, independently of
// the package: a day's span for each weekday.
var (
	defaultSpan   = func(time.Weekday) span { return span{8 * 60, 21 * 60} }
	eightToEight  = func(time.Weekday) span { return span{8 * 60, 20 * 60} }
	texasSpan     = sundayOr(span{12 * 60, 21 * 60}, span{9 * 60, 21 * 60})
	strictestSpan = sundayOr(span{12 * 60, 20 * 60}, span{9 * 60, 20 * 60})
)

func sundayOr(sunday, other span) func(time.Weekday) span {
	return func(d time.Weekday) span {
		if d == time.Sunday {
			return sunday
		}
		return other
	}
}

// allUSZones are all the zones of the 50 states and DC in the time zone
// database (zone1970.tab), where the package keeps one zone per clock: the
// oracle checks that those stand for all of these.
var allUSZones = []string{
	"America/New_York", "America/Detroit", "America/Kentucky/Louisville", "America/Kentucky/Monticello",
	"America/Indiana/Indianapolis", "America/Indiana/Vincennes", "America/Indiana/Winamac", "America/Indiana/Marengo",
	"America/Indiana/Petersburg", "America/Indiana/Vevay", "America/Chicago", "America/Indiana/Tell_City",
	"America/Indiana/Knox", "America/Menominee", "America/North_Dakota/Center", "America/North_Dakota/New_Salem",
	"America/North_Dakota/Beulah", "America/Denver", "America/Boise", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "America/Juneau", "America/Sitka", "America/Metlakatla", "America/Yakutat",
	"America/Nome", "America/Adak", "Pacific/Honolulu",
}

// fixture is a recipient whose place the oracle knows.
type fixture struct {
	number phone.Number
	zones  []*time.Location
	hours  func(time.Weekday) span
}

func zones(names ...string) []*time.Location {
	out := make([]*time.Location, len(names))
	for i, name := range names {
		z, err := time.LoadLocation(name)
		if err != nil {
			panic(err)
		}
		out[i] = z
	}
	return out
}

var fixtures = []fixture{
	{florida, zones(eastern), eightToEight},                           // Row 5
	{oklahoma, zones(central), eightToEight},                          // Row 5
	{maryland, zones(eastern), eightToEight},                          // Row 5
	{texas, zones(central), texasSpan},                                // Row 6
	{elPaso, zones(mountain), texasSpan},                              // Row 6
	{california, zones(pacific), defaultSpan},                         // Row 4
	{washington, zones(eastern), defaultSpan},                         // Row 4
	{idaho, zones(boise, pacific), defaultSpan},                       // Row 3
	{alaska, zones("America/Anchorage", "America/Adak"), defaultSpan}, // Row 3
	{unassigned, zones(allUSZones...), strictestSpan},                 // Rows 7 and 8
	{tollFree, zones(allUSZones...), strictestSpan},                   // Rows 7 and 8
	{london, zones(londonTZ), defaultSpan},                            // Row 4
	{russia, zones(phone.Locate(russia).Zones...), defaultSpan},       // Row 9
}

// oracleAllows reports whether f's window, narrowed by company (when set),
// holds at t in every one of f's zones.
func oracleAllows(f fixture, company *span, at time.Time) bool {
	for _, zone := range f.zones {
		local := at.In(zone)
		s := f.hours(local.Weekday())
		if company != nil {
			s = span{max(s.start, company.start), min(s.end, company.end)}
		}
		if m := local.Hour()*60 + local.Minute(); m < s.start || m >= s.end {
			return false
		}
	}
	return true
}

// fuzzEpoch and fuzzYears bound the send instants the fuzzer tries: zones
// kept whole-minute offsets over those years.
var fuzzEpoch = time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC)

const fuzzYears = 110

// FuzzCheck: Check never panics; the exemptions are exactly rows 1 and 2; for
// a recipient the oracle knows, a text is allowed exactly when the oracle's
// window holds in every zone; a next allowed instant is after the send
// instant, within 35 days, allowed, and the first one (nothing allowed
// before it); none only when nothing in the 35 days is allowed.
func FuzzCheck(f *testing.F) {
	seed := func(n int, at time.Time, start, end int, inboundAgo time.Duration, automated bool) {
		f.Add(uint8(n), "", int64(at.Sub(fuzzEpoch)/time.Second), uint16(start), uint16(end), int64(inboundAgo/time.Second), automated)
	}
	idx := func(n phone.Number) int {
		for i, fx := range fixtures {
			if fx.number == n {
				return i
			}
		}
		panic(n)
	}
	f.Add(uint8(len(fixtures)), "+80012345678", int64(1e9), uint16(0), uint16(0), int64(0), false)      // Row 10
	f.Add(uint8(len(fixtures)), "hello", int64(1e9), uint16(0), uint16(0), int64(0), false)             // Row 10
	seed(idx(florida), local(f, eastern, "2026-07-15 21:30"), 0, 0, 0, true)                            // Row 1
	seed(idx(florida), local(f, eastern, "2026-07-15 23:00"), 0, 0, 23*time.Hour+59*time.Minute, false) // Row 2
	seed(idx(florida), local(f, eastern, "2026-07-15 23:00"), 0, 0, 24*time.Hour+time.Minute, false)    // Row 2
	seed(idx(idaho), local(f, boise, "2026-07-15 08:30"), 0, 0, 0, false)                               // Row 3
	seed(idx(california), local(f, pacific, "2026-07-15 20:30"), 0, 0, 0, false)                        // Row 4
	seed(idx(florida), local(f, eastern, "2026-07-15 21:30"), 0, 0, 0, false)                           // Row 5
	seed(idx(texas), local(f, central, "2026-07-18 22:00"), 0, 0, 0, false)                             // Row 6
	seed(idx(unassigned), local(f, eastern, "2026-07-15 14:59"), 0, 0, 0, false)                        // Rows 7 and 8
	seed(idx(russia), utc(f, "2026-01-14 09:00"), 0, 0, 0, false)                                       // Row 9
	seed(idx(california), local(f, pacific, "2026-07-15 09:00"), 10*60, 18*60, 0, false)                // Row 11
	seed(idx(florida), local(f, eastern, "2026-07-15 21:30"), 7*60, 22*60, 0, false)                    // Row 11
	seed(idx(florida), local(f, eastern, "2026-07-15 12:00"), 20*60+30, 21*60, 0, false)                // Row 12: never
	seed(idx(washington), local(f, eastern, "2026-03-07 21:30"), 0, 0, 0, false)                        // Row 12: spring forward
	seed(idx(washington), local(f, eastern, "2026-10-31 21:30"), 0, 0, 0, false)                        // Row 12: fall back
	seed(idx(texas), local(f, central, "2026-03-07 22:00"), 0, 0, 0, false)                             // Row 12: spring forward, Sunday
	seed(idx(washington), local(f, eastern, "2040-12-15 22:00"), 0, 0, 0, false)                        // Row 12: over Go's ZoneBounds quirk

	f.Fuzz(func(t *testing.T, n uint8, raw string, atSeconds int64, start, end uint16, inboundAgoSeconds int64, automated bool) {
		at := fuzzEpoch.Add(time.Duration(mod(atSeconds, fuzzYears*365*24*3600)) * time.Second)
		in := quiethours.Input{At: at, Automated: automated}
		var fx *fixture
		if i := int(n) % (len(fixtures) + 1); i < len(fixtures) {
			fx = &fixtures[i]
			in.Recipient = fx.number
		} else {
			in.Recipient = phone.Number(raw)
		}
		var company *span
		if start != 0 || end != 0 {
			s, e := int(start)%(24*60), int(end)%(24*60)
			w, err := quiethours.ParseWindow(clockOf(s), clockOf(e))
			if (err == nil) != (s < e) {
				t.Fatalf("ParseWindow(%s, %s): %v", clockOf(s), clockOf(e), err)
			}
			if err == nil {
				in.CompanyWindow, company = w, &span{s, e}
			}
		}
		if ago := inboundAgoSeconds; ago != 0 {
			const days3 = 3 * 24 * 3600
			if ago < -days3 || ago > days3 {
				ago = mod(ago, 2*days3) - days3 // -3 to +3 days: a text after the send instant too
			}
			in.LastInbound = at.Add(-time.Duration(ago) * time.Second)
		}

		got := quiethours.Check(in)

		switch reply := !in.LastInbound.IsZero() && !in.LastInbound.After(at) && at.Sub(in.LastInbound) < 24*time.Hour; {
		case automated:
			if got != (quiethours.Decision{Allowed: true, Exempt: quiethours.ExemptAutomated}) {
				t.Fatalf("automated text: %s", describe(got))
			}
			return
		case reply:
			if got != (quiethours.Decision{Allowed: true, Exempt: quiethours.ExemptReply}) {
				t.Fatalf("reply %s after the customer's text: %s", at.Sub(in.LastInbound), describe(got))
			}
			return
		}
		if got.Exempt != "" {
			t.Fatalf("exempt %q without a reason", got.Exempt)
		}
		if got.Allowed && !got.NextAllowed.IsZero() {
			t.Fatalf("allowed, with a next allowed instant %s", got.NextAllowed)
		}
		// allows is the oracle for a fixture, else Check itself.
		allows := func(at time.Time) bool {
			if fx != nil {
				return oracleAllows(*fx, company, at)
			}
			again := in
			again.At, again.LastInbound = at, time.Time{}
			return quiethours.Check(again).Allowed
		}
		if fx != nil && got.Allowed != allows(at) {
			t.Fatalf("%s at %s: Check says allowed=%v, the oracle the opposite", fx.number, at.Format(time.RFC3339), got.Allowed)
		}
		if got.Allowed {
			return
		}

		next := got.NextAllowed
		until := at.Add(quiethours.Horizon)
		if !next.IsZero() {
			if !next.After(at) || next.After(until) || next.Location() != time.UTC {
				t.Fatalf("at %s: next allowed %s is not in (at, at+35 days], UTC", at.Format(time.RFC3339), next)
			}
			again := in
			again.At = next
			if d := quiethours.Check(again); !d.Allowed || !allows(next) {
				t.Fatalf("at %s: next allowed %s is refused: %s", at.Format(time.RFC3339), next.Format(time.RFC3339), describe(d))
			}
			if before := next.Add(-time.Nanosecond); before.After(at) && allows(before) {
				t.Fatalf("at %s: next allowed %s, yet a nanosecond earlier is allowed", at.Format(time.RFC3339), next.Format(time.RFC3339))
			}
		}
		// Nothing before next (or in the 35 days, when there is none) is
		// allowed. Windows open on whole minutes of whole-minute offsets, so
		// every minute is enough; for a fixture only (Check is the oracle
		// otherwise, and too slow to ask 50,400 times).
		if fx == nil {
			return
		}
		scanTo := next
		if scanTo.IsZero() {
			scanTo = until.Add(time.Nanosecond)
		}
		for m := at.Truncate(time.Minute).Add(time.Minute); m.Before(scanTo); m = m.Add(time.Minute) {
			if allows(m) {
				t.Fatalf("at %s: next allowed %s, yet %s is allowed", at.Format(time.RFC3339), describe(got), m.Format(time.RFC3339))
			}
		}
	})
}

func mod(a, b int64) int64 {
	if m := a % b; m >= 0 {
		return m
	}
	return a%b + b
}

func clockOf(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }
