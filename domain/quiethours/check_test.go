package quiethours_test

import (
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// Row 1 | one of consent's automated texts | allowed at any hour
func TestRow1AutomatedTextsAreExempt(t *testing.T) {
	automated := func(in quiethours.Input) quiethours.Input { in.Automated = true; return in }
	exempt := quiethours.Decision{Allowed: true, Exempt: quiethours.ExemptAutomated}
	runRows(t,
		row{"Florida at 03:00", automated(send(florida, local(t, eastern, "2026-07-15 03:00"))), exempt},
		row{"Texas on Sunday at 08:00", automated(send(texas, local(t, central, "2026-07-19 08:00"))), exempt},
		row{"a number placed nowhere", automated(send(freephone, utc(t, "2026-07-15 12:00"))), exempt},
		row{"inside the window too", automated(send(california, local(t, pacific, "2026-07-15 12:00"))), exempt},
	)
}

// Row 2 | the customer texted within the last 24 hours | allowed at any hour
func TestRow2RepliesWithin24HoursAreExempt(t *testing.T) {
	at := local(t, eastern, "2026-07-15 23:00") // Florida, Wednesday, outside 08:00–20:00
	next := local(t, eastern, "2026-07-16 08:00")
	after := func(d time.Duration) quiethours.Input {
		in := send(florida, at)
		in.LastInbound = at.Add(-d)
		return in
	}
	exempt := quiethours.Decision{Allowed: true, Exempt: quiethours.ExemptReply}
	runRows(t,
		row{"customer texted 23h59 before", after(23*time.Hour + 59*time.Minute), exempt},
		row{"customer texted 24h01 before: the window applies", after(24*time.Hour + time.Minute), refusedUntil(next)},
		row{"exactly 24h before: the exemption is over", after(24 * time.Hour), refusedUntil(next)},
		row{"one nanosecond less than 24h", after(24*time.Hour - time.Nanosecond), exempt},
		row{"customer texted at the send instant", after(0), exempt},
		row{"a text after the send instant does not count", after(-time.Minute), refusedUntil(next)},
		row{"customer never texted", send(florida, at), refusedUntil(next)},
	)
}

// Row 3 | any other text | inside the window in every zone of the number
func TestRow3EveryZoneOfTheNumber(t *testing.T) {
	// Idaho's 208 is both Mountain (Boise) and Pacific time: the window
	// opens at 08:00 Pacific (09:00 Mountain) and closes at 21:00 Mountain
	// (20:00 Pacific).
	runRows(t,
		row{"Idaho 08:30 Mountain, 07:30 Pacific: refused until 08:00 Pacific",
			send(idaho, local(t, boise, "2026-07-15 08:30")), refusedUntil(local(t, pacific, "2026-07-15 08:00"))},
		row{"Idaho 09:00 Mountain, 08:00 Pacific", send(idaho, local(t, boise, "2026-07-15 09:00")), allowed},
		row{"Idaho 20:59 Mountain", send(idaho, local(t, boise, "2026-07-15 20:59")), allowed},
		row{"Idaho 21:00 Mountain, 20:00 Pacific: refused until 08:00 Pacific tomorrow",
			send(idaho, local(t, boise, "2026-07-15 21:00")), refusedUntil(local(t, pacific, "2026-07-16 08:00"))},
		// Alaska's 907: Anchorage (UTC−8 in summer) and Adak (UTC−9).
		row{"Alaska 08:30 Anchorage, 07:30 Adak", send(alaska, local(t, "America/Anchorage", "2026-07-15 08:30")),
			refusedUntil(local(t, "America/Adak", "2026-07-15 08:00"))},
		row{"Alaska 20:30 Anchorage", send(alaska, local(t, "America/Anchorage", "2026-07-15 20:30")), allowed},
	)
}

// Row 4 | the default | 08:00–21:00 every day
func TestRow4DefaultWindow(t *testing.T) {
	runRows(t,
		row{"California 20:30", send(california, local(t, pacific, "2026-07-15 20:30")), allowed},
		row{"California 20:59:59", send(california, local(t, pacific, "2026-07-15 20:59:59")), allowed},
		row{"California 21:00: refused until 08:00", send(california, local(t, pacific, "2026-07-15 21:00")),
			refusedUntil(local(t, pacific, "2026-07-16 08:00"))},
		row{"California 07:59:59", send(california, local(t, pacific, "2026-07-15 07:59:59")),
			refusedUntil(local(t, pacific, "2026-07-15 08:00"))},
		row{"California 08:00", send(california, local(t, pacific, "2026-07-15 08:00")), allowed},
		row{"California on Sunday 08:00", send(california, local(t, pacific, "2026-07-19 08:00")), allowed},
		row{"Washington D.C. (federal) 20:30", send(washington, local(t, eastern, "2026-07-15 20:30")), allowed},
		row{"Washington D.C. 21:15: refused until 08:00", send(washington, local(t, eastern, "2026-07-15 21:15")),
			refusedUntil(local(t, eastern, "2026-07-16 08:00"))},
		row{"New York 08:00 on Sunday", send(newYork, local(t, eastern, "2026-07-19 08:00")), allowed},
		row{"London 20:30 (no US state)", send(london, local(t, londonTZ, "2026-07-15 20:30")), allowed},
		row{"London 21:00: refused until 08:00", send(london, local(t, londonTZ, "2026-07-15 21:00")),
			refusedUntil(local(t, londonTZ, "2026-07-16 08:00"))},
	)
}

// Row 5 | a Florida, Oklahoma or Maryland number | 08:00–20:00 every day
func TestRow5FloridaOklahomaMaryland(t *testing.T) {
	runRows(t,
		row{"Florida 21:30: refused until 08:00 tomorrow", send(florida, local(t, eastern, "2026-07-15 21:30")),
			refusedUntil(local(t, eastern, "2026-07-16 08:00"))},
		row{"Florida 20:00: refused", send(florida, local(t, eastern, "2026-07-15 20:00")),
			refusedUntil(local(t, eastern, "2026-07-16 08:00"))},
		row{"Florida 19:59:59", send(florida, local(t, eastern, "2026-07-15 19:59:59")), allowed},
		row{"Florida 08:00", send(florida, local(t, eastern, "2026-07-15 08:00")), allowed},
		row{"Florida 07:00: refused until 08:00", send(florida, local(t, eastern, "2026-07-15 07:00")),
			refusedUntil(local(t, eastern, "2026-07-15 08:00"))},
		row{"Florida Sunday 08:00", send(florida, local(t, eastern, "2026-07-19 08:00")), allowed},
		row{"Oklahoma 20:30: refused until 08:00 tomorrow", send(oklahoma, local(t, central, "2026-07-15 20:30")),
			refusedUntil(local(t, central, "2026-07-16 08:00"))},
		row{"Oklahoma 19:30", send(oklahoma, local(t, central, "2026-07-15 19:30")), allowed},
		row{"Maryland 20:30: refused until 08:00 tomorrow", send(maryland, local(t, eastern, "2026-07-15 20:30")),
			refusedUntil(local(t, eastern, "2026-07-16 08:00"))},
		row{"Maryland 08:00", send(maryland, local(t, eastern, "2026-07-15 08:00")), allowed},
	)
}

// Row 6 | a Texas number | 09:00–21:00 Monday to Saturday, 12:00–21:00 Sunday
func TestRow6Texas(t *testing.T) {
	runRows(t,
		row{"Saturday 22:00: refused until Sunday 12:00", send(texas, local(t, central, "2026-07-18 22:00")),
			refusedUntil(local(t, central, "2026-07-19 12:00"))},
		row{"Sunday 09:00: refused until 12:00", send(texas, local(t, central, "2026-07-19 09:00")),
			refusedUntil(local(t, central, "2026-07-19 12:00"))},
		row{"Sunday 11:59:59: refused until 12:00", send(texas, local(t, central, "2026-07-19 11:59:59")),
			refusedUntil(local(t, central, "2026-07-19 12:00"))},
		row{"Sunday 12:00", send(texas, local(t, central, "2026-07-19 12:00")), allowed},
		row{"Sunday 20:59", send(texas, local(t, central, "2026-07-19 20:59")), allowed},
		row{"Sunday 21:00: refused until Monday 09:00", send(texas, local(t, central, "2026-07-19 21:00")),
			refusedUntil(local(t, central, "2026-07-20 09:00"))},
		row{"Wednesday 08:30: refused until 09:00", send(texas, local(t, central, "2026-07-15 08:30")),
			refusedUntil(local(t, central, "2026-07-15 09:00"))},
		row{"Wednesday 09:00", send(texas, local(t, central, "2026-07-15 09:00")), allowed},
		row{"Wednesday 20:30 (not 20:00 as in Florida)", send(texas, local(t, central, "2026-07-15 20:30")), allowed},
		row{"Saturday 09:00", send(texas, local(t, central, "2026-07-18 09:00")), allowed},
		row{"El Paso, on Mountain time: Sunday 11:30 refused until 12:00 Mountain", send(elPaso, local(t, mountain, "2026-07-19 11:30")),
			refusedUntil(local(t, mountain, "2026-07-19 12:00"))},
	)
}

// Row 7 | a +1 number, US or no known region, no state | every state's law at once
//
// Only numbers with no zone either have no state in libphonenumber's data,
// so row 7 is shown with row 8 here and alone in TestRow7Hours.
func TestRow7And8UnknownStateAndZone(t *testing.T) {
	// Monday to Saturday from 09:00 in Hawaii (UTC−10) to 20:00 Eastern,
	// Sunday from 12:00 in Hawaii.
	for name, num := range map[string]phone.Number{"+1 555": unassigned, "US toll-free": tollFree} {
		t.Run(name, func(t *testing.T) {
			runRows(t,
				row{"summer Wednesday 14:59 Eastern: refused until 15:00 Eastern, 09:00 Hawaii",
					send(num, local(t, eastern, "2026-07-15 14:59")), refusedUntil(local(t, hawaii, "2026-07-15 09:00"))},
				row{"summer Wednesday 15:00 Eastern", send(num, local(t, eastern, "2026-07-15 15:00")), allowed},
				row{"summer Wednesday 19:59 Eastern", send(num, local(t, eastern, "2026-07-15 19:59")), allowed},
				row{"summer Wednesday 20:00 Eastern: refused until Thursday 15:00 Eastern",
					send(num, local(t, eastern, "2026-07-15 20:00")), refusedUntil(local(t, eastern, "2026-07-16 15:00"))},
				row{"California's 20:30 is Eastern's 23:30: refused", send(num, local(t, pacific, "2026-07-15 20:30")),
					refusedUntil(local(t, eastern, "2026-07-16 15:00"))},
				row{"summer Saturday 20:00 Eastern: refused until Sunday 18:00 Eastern, 12:00 Hawaii",
					send(num, local(t, eastern, "2026-07-18 20:00")), refusedUntil(local(t, hawaii, "2026-07-19 12:00"))},
				row{"summer Sunday 18:00 Eastern", send(num, local(t, eastern, "2026-07-19 18:00")), allowed},
				row{"winter Wednesday 14:00 Eastern", send(num, local(t, eastern, "2026-01-14 14:00")), allowed},
				row{"winter Wednesday 13:59 Eastern: refused until 14:00 Eastern",
					send(num, local(t, eastern, "2026-01-14 13:59")), refusedUntil(local(t, eastern, "2026-01-14 14:00"))},
				row{"winter Sunday 16:59 Eastern: refused until 17:00 Eastern",
					send(num, local(t, eastern, "2026-01-18 16:59")), refusedUntil(local(t, eastern, "2026-01-18 17:00"))},
			)
		})
	}
}

// Row 9 | another number, zone unknown | every zone of its calling code
func TestRow9UnknownZoneOutsideTheUS(t *testing.T) {
	// +7 300 … is not valid: the zones of +7, from Bucharest (UTC+2 in
	// winter) to Kamchatka (UTC+12); 08:00–21:00 in all of them is 06:00 to
	// 09:00 UTC in winter.
	runRows(t,
		row{"05:59 UTC: Bucharest 07:59, refused until 06:00 UTC", send(russia, utc(t, "2026-01-14 05:59")),
			refusedUntil(utc(t, "2026-01-14 06:00"))},
		row{"06:00 UTC", send(russia, utc(t, "2026-01-14 06:00")), allowed},
		row{"08:59 UTC", send(russia, utc(t, "2026-01-14 08:59")), allowed},
		row{"09:00 UTC: Kamchatka 21:00, refused until 06:00 UTC tomorrow", send(russia, utc(t, "2026-01-14 09:00")),
			refusedUntil(utc(t, "2026-01-15 06:00"))},
	)
}

// Row 10 | a number placed nowhere | refused, with no next allowed moment
func TestRow10PlacedNowhere(t *testing.T) {
	runRows(t,
		row{"international freephone", send(freephone, utc(t, "2026-07-15 16:00")), never},
		row{"not a number", send("hello", utc(t, "2026-07-15 16:00")), never},
		row{"no number", send("", utc(t, "2026-07-15 16:00")), never},
	)
}

// Row 11 | the company's own window | narrows the window; never widens it
func TestRow11CompanyWindow(t *testing.T) {
	with := func(in quiethours.Input, start, end string) quiethours.Input {
		in.CompanyWindow = companyWindow(t, start, end)
		return in
	}
	runRows(t,
		row{"narrower: California 09:00 before 10:00–18:00, refused until 10:00",
			with(send(california, local(t, pacific, "2026-07-15 09:00")), "10:00", "18:00"), refusedUntil(local(t, pacific, "2026-07-15 10:00"))},
		row{"narrower: California 17:59", with(send(california, local(t, pacific, "2026-07-15 17:59")), "10:00", "18:00"), allowed},
		row{"narrower: California 18:00, refused until 10:00 tomorrow",
			with(send(california, local(t, pacific, "2026-07-15 18:00")), "10:00", "18:00"), refusedUntil(local(t, pacific, "2026-07-16 10:00"))},
		row{"wider is ignored: Florida 21:30 inside 07:00–22:00, refused until 08:00",
			with(send(florida, local(t, eastern, "2026-07-15 21:30")), "07:00", "22:00"), refusedUntil(local(t, eastern, "2026-07-16 08:00"))},
		row{"wider is ignored: Florida 07:30 inside 07:00–22:00, refused until 08:00",
			with(send(florida, local(t, eastern, "2026-07-15 07:30")), "07:00", "22:00"), refusedUntil(local(t, eastern, "2026-07-15 08:00"))},
		row{"wider is ignored: Florida 12:00", with(send(florida, local(t, eastern, "2026-07-15 12:00")), "07:00", "22:00"), allowed},
		row{"half narrower: Florida 07:30 in 07:00–19:00, refused until 08:00, not 07:00",
			with(send(florida, local(t, eastern, "2026-07-15 07:30")), "07:00", "19:00"), refusedUntil(local(t, eastern, "2026-07-15 08:00"))},
		row{"half narrower: Florida 19:00 in 07:00–19:00, refused until 08:00 tomorrow",
			with(send(florida, local(t, eastern, "2026-07-15 19:00")), "07:00", "19:00"), refusedUntil(local(t, eastern, "2026-07-16 08:00"))},
		row{"Texas Saturday 22:00 with 09:00–11:00: no Sunday hour, refused until Monday 09:00",
			with(send(texas, local(t, central, "2026-07-18 22:00")), "09:00", "11:00"), refusedUntil(local(t, central, "2026-07-20 09:00"))},
		row{"in every zone: Idaho with 08:00–20:30 closes at 20:30 Mountain",
			with(send(idaho, local(t, boise, "2026-07-15 20:30")), "08:00", "20:30"), refusedUntil(local(t, pacific, "2026-07-16 08:00"))},
		row{"California 20:45 inside 20:30–21:00", with(send(california, local(t, pacific, "2026-07-15 20:45")), "20:30", "21:00"), allowed},
		row{"Florida with 20:30–21:00: no day has an hour", with(send(florida, local(t, eastern, "2026-07-15 20:45")), "20:30", "21:00"), never},
	)
}

// Row 12 | refused | the next allowed moment within 35 days, from the zones'
// own clocks: right across daylight-saving changes.
func TestRow12NextAllowedAcrossDaylightSaving(t *testing.T) {
	// 2026-03-08: clocks in the US go from 02:00 to 03:00 (EST → EDT).
	// 2026-11-01: clocks go from 02:00 back to 01:00 (EDT → EST).
	runRows(t,
		row{"spring forward: Saturday 21:30 EST, refused until Sunday 08:00 EDT (12:00 UTC, not 13:00)",
			send(newYork, local(t, eastern, "2026-03-07 21:30")), refusedUntil(utc(t, "2026-03-08 12:00"))},
		row{"spring forward: 01:59 EST, refused until 08:00 EDT", send(newYork, utc(t, "2026-03-08 06:59")),
			refusedUntil(utc(t, "2026-03-08 12:00"))},
		row{"spring forward: 07:59 EDT, refused until 08:00 EDT", send(newYork, utc(t, "2026-03-08 11:59")),
			refusedUntil(utc(t, "2026-03-08 12:00"))},
		row{"spring forward: 08:00 EDT", send(newYork, utc(t, "2026-03-08 12:00")), allowed},
		row{"the morning before spring forward: Saturday 07:00 EST, refused until 08:00 EST",
			send(newYork, local(t, eastern, "2026-03-07 07:00")), refusedUntil(utc(t, "2026-03-07 13:00"))},
		row{"the morning after spring forward: Monday 07:00 EDT, refused until 08:00 EDT",
			send(newYork, local(t, eastern, "2026-03-09 07:00")), refusedUntil(utc(t, "2026-03-09 12:00"))},
		row{"spring forward: Florida 19:59 EDT", send(florida, utc(t, "2026-03-08 23:59")), allowed},
		row{"spring forward: Florida 20:00 EDT, refused until 08:00 EDT", send(florida, utc(t, "2026-03-09 00:00")),
			refusedUntil(utc(t, "2026-03-09 12:00"))},
		row{"spring forward: Texas Saturday 22:00 CST, refused until Sunday 12:00 CDT (17:00 UTC)",
			send(texas, local(t, central, "2026-03-07 22:00")), refusedUntil(utc(t, "2026-03-08 17:00"))},
		row{"spring forward: Texas Sunday 12:00 CDT", send(texas, utc(t, "2026-03-08 17:00")), allowed},
		row{"spring forward: Texas Sunday 11:59 CDT", send(texas, utc(t, "2026-03-08 16:59")), refusedUntil(utc(t, "2026-03-08 17:00"))},
		row{"fall back: Saturday 21:30 EDT, refused until Sunday 08:00 EST (13:00 UTC, not 12:00)",
			send(newYork, local(t, eastern, "2026-10-31 21:30")), refusedUntil(utc(t, "2026-11-01 13:00"))},
		row{"fall back: the first 01:30 (EDT), refused until 08:00 EST", send(newYork, utc(t, "2026-11-01 05:30")),
			refusedUntil(utc(t, "2026-11-01 13:00"))},
		row{"fall back: the second 01:30 (EST), refused until 08:00 EST", send(newYork, utc(t, "2026-11-01 06:30")),
			refusedUntil(utc(t, "2026-11-01 13:00"))},
		row{"fall back: 07:30 EST, refused until 08:00 EST", send(newYork, utc(t, "2026-11-01 12:30")),
			refusedUntil(utc(t, "2026-11-01 13:00"))},
		row{"fall back: 08:00 EST", send(newYork, utc(t, "2026-11-01 13:00")), allowed},
		row{"the morning before fall back: Saturday 07:00 EDT, refused until 08:00 EDT",
			send(newYork, local(t, eastern, "2026-10-31 07:00")), refusedUntil(utc(t, "2026-10-31 12:00"))},
		row{"the morning after fall back: Monday 07:00 EST, refused until 08:00 EST",
			send(newYork, local(t, eastern, "2026-11-02 07:00")), refusedUntil(utc(t, "2026-11-02 13:00"))},
		row{"fall back: 20:59 EST", send(newYork, utc(t, "2026-11-02 01:59")), allowed},
		row{"fall back: 21:00 EST, refused until Monday 08:00 EST", send(newYork, utc(t, "2026-11-02 02:00")),
			refusedUntil(utc(t, "2026-11-02 13:00"))},
		row{"fall back, +1 555: Saturday 20:00 EDT, refused until Sunday 12:00 Hawaii (17:00 EST)",
			send(unassigned, local(t, eastern, "2026-10-31 20:00")), refusedUntil(utc(t, "2026-11-01 22:00"))},
	)
}

// Row 12 | refused | a zone can also enter its window by a jump of its
// clocks: on 1 April 1979 Athens went from 08:59:59 to 10:00, so a window
// opening at 09:30 opened at 10:00 that day.
func TestRow12ClocksJumpIntoTheWindow(t *testing.T) {
	const athens = "Europe/Athens"
	in := send(greece, local(t, athens, "1979-04-01 08:30"))
	in.CompanyWindow = companyWindow(t, "09:30", "21:00")
	runRows(t,
		row{"Athens 08:30, company window from 09:30: refused until the jump to 10:00", in,
			refusedUntil(local(t, athens, "1979-04-01 10:00"))},
	)
}

// Row 12 | refused | none when no instant within 35 days is allowed
func TestRow12NoAllowedMomentWithin35Days(t *testing.T) {
	if quiethours.Horizon != 35*24*time.Hour {
		t.Fatalf("Horizon %s, want 35 days", quiethours.Horizon)
	}
	runRows(t,
		row{"zones spanning the whole day: placed nowhere", send(freephone, utc(t, "2026-07-15 16:00")), never},
		row{"a company window outside every legal hour", quiethours.Input{
			Recipient: florida, At: local(t, eastern, "2026-07-15 12:00"), CompanyWindow: companyWindow(t, "20:00", "23:00"),
		}, never},
	)
}
