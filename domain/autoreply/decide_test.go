package autoreply_test

import (
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/autoreply"
)

var newYork = func() *time.Location {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return loc
}()

// on is Default's hours (09:00–17:00 Monday to Friday), enabled.
func on() autoreply.Settings {
	s := autoreply.Default()
	s.Enabled = true
	return s
}

// local is a wall-clock instant in New York.
func local(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, newYork)
}

// tuesdayNight is 22:00 on a Tuesday in New York, outside the hours.
var tuesdayNight = local(2026, 11, 24, 22, 0)

// after is an inbound text at instant at that the auto-reply answers under
// on(): Messages on, no keyword, consent yes, no auto-reply before.
func after(at time.Time) autoreply.Inbound {
	return autoreply.Inbound{At: at.UTC(), Location: newYork, MessagesOn: true, ConsentYes: true}
}

func check(t *testing.T, s autoreply.Settings, in autoreply.Inbound, want autoreply.Decision) {
	t.Helper()
	if got := autoreply.Decide(s, in); got != want {
		t.Fatalf("Decide(%+v) = %+v, want %+v", in, got, want)
	}
}

func sent() autoreply.Decision {
	return autoreply.Decision{Send: true, Reason: autoreply.ReasonAfterHours}
}

func TestRow1Off(t *testing.T) {
	s := on()
	s.Enabled = false
	check(t, s, after(tuesdayNight), autoreply.Decision{Reason: autoreply.ReasonOff})
}

func TestRow2MessagesOff(t *testing.T) {
	in := after(tuesdayNight)
	in.MessagesOn = false
	check(t, on(), in, autoreply.Decision{Reason: autoreply.ReasonMessagesOff})
}

func TestRow3Keyword(t *testing.T) {
	in := after(tuesdayNight)
	in.Keyword = true
	check(t, on(), in, autoreply.Decision{Reason: autoreply.ReasonKeyword})
}

func TestRow4ConsentNotYes(t *testing.T) {
	in := after(tuesdayNight)
	in.ConsentYes = false
	check(t, on(), in, autoreply.Decision{Reason: autoreply.ReasonNoConsent})
}

func TestRow5InsideHours(t *testing.T) {
	open := autoreply.Decision{Reason: autoreply.ReasonOpen}
	for _, tt := range []struct {
		name string
		at   time.Time
		want autoreply.Decision
	}{
		{"Tuesday 09:00, the opening minute", local(2026, 11, 24, 9, 0), open},
		{"Tuesday 16:59", local(2026, 11, 24, 16, 59), open},
		{"Tuesday 17:00, the closing minute, is outside", local(2026, 11, 24, 17, 0), sent()},
		{"Tuesday 08:59", local(2026, 11, 24, 8, 59), sent()},
		{"Saturday noon: closed all day", local(2026, 11, 28, 12, 0), sent()},
		// 14:30 UTC is 09:30 in New York in winter (open) but 10:30 in
		// summer: the wall clock of the company's zone decides, not UTC.
		{"the company's zone, not UTC: 13:30 UTC is 08:30 in New York in winter", time.Date(2026, 11, 24, 13, 30, 0, 0, time.UTC), sent()},
		{"13:30 UTC is 09:30 in New York in summer", time.Date(2026, 7, 14, 13, 30, 0, 0, time.UTC), open},
		// 8 March 2026: clocks go from 02:00 to 03:00 in New York (a Sunday).
		{"the Monday after spring-forward opens at 09:00 on the wall", local(2026, 3, 9, 9, 0), open},
	} {
		t.Run(tt.name, func(t *testing.T) { check(t, on(), after(tt.at), tt.want) })
	}
}

func TestRow5SplitAndNightHours(t *testing.T) {
	s := on()
	var err error
	s.Hours, err = autoreply.ParseWeek(map[string][][]string{
		"tue": {{"00:00", "02:00"}, {"09:00", "12:00"}, {"13:00", "24:00"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	open := autoreply.Decision{Reason: autoreply.ReasonOpen}
	check(t, s, after(local(2026, 11, 24, 1, 0)), open)
	check(t, s, after(local(2026, 11, 24, 12, 30)), sent()) // lunch
	check(t, s, after(local(2026, 11, 24, 23, 59)), open)   // 24:00 closes the day
	check(t, s, after(local(2026, 11, 25, 0, 30)), sent())  // Wednesday: closed
}

func TestRow6OncePer12Hours(t *testing.T) {
	for _, tt := range []struct {
		name string
		last time.Time
		want autoreply.Decision
	}{
		{"an auto-reply 1 minute ago", tuesdayNight.Add(-time.Minute), autoreply.Decision{Reason: autoreply.ReasonRecent}},
		{"11 h 59 min ago", tuesdayNight.Add(-12*time.Hour + time.Minute), autoreply.Decision{Reason: autoreply.ReasonRecent}},
		{"exactly 12 hours ago: due again", tuesdayNight.Add(-12 * time.Hour), sent()},
		{"a day ago", tuesdayNight.Add(-24 * time.Hour), sent()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := after(tuesdayNight)
			in.LastAutoReply = tt.last.UTC()
			check(t, on(), in, tt.want)
		})
	}
}

func TestRow7OutsideHours(t *testing.T) {
	check(t, on(), after(tuesdayNight), sent())
}

func TestDecideWithoutZoneIsUTC(t *testing.T) {
	in := after(time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)) // a Tuesday, 10:00 UTC
	in.Location = nil
	check(t, on(), in, autoreply.Decision{Reason: autoreply.ReasonOpen})
}
