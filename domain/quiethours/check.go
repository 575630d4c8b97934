// Package quiethours decides whether a text may leave at a given instant,
// by the recipient's local time: the time-of-day rule of US telemarketing
// law (47 CFR 64.1200(c)(1) and the stricter laws of four states), which
// smsinbox applies, as careful platforms do, to every text that does not
// answer the customer. Check is a pure function: the instant comes in with
// the input, and the recipient's place comes from the phone number
// (domain/phone's Locate, libphonenumber's data).
//
// The rules, one row each; Check's cases carry their row numbers, and the
// tests are named after them.
//
//	| #  | when                                         | then                                                                                         |
//	|----|----------------------------------------------|----------------------------------------------------------------------------------------------|
//	| 1  | one of consent's automated texts             | allowed at any hour (confirmation request, opt-out confirmation, help reply, re-subscribed)  |
//	| 2  | the customer texted within the last 24 hours | allowed at any hour: it answers the customer                                                 |
//	| 3  | any other text                               | allowed only while the recipient's clocks are inside the window, in every zone of the number |
//	| 4  | the default (all that rows 5 to 7 leave)     | 08:00–21:00 every day                                                                        |
//	| 5  | a Florida, Oklahoma or Maryland number       | 08:00–20:00 every day                                                                        |
//	| 6  | a Texas number                               | 09:00–21:00 Monday to Saturday, 12:00–21:00 Sunday                                           |
//	| 7  | a +1 number, US or no known region, no state | every state's law at once: 09:00–20:00 Monday to Saturday, 12:00–20:00 Sunday                |
//	| 8  | a +1 number, zone unknown                    | the window must hold in every zone of the 50 states and DC, Eastern to Hawaii                |
//	| 9  | another number, zone unknown                 | the window must hold in every zone of its calling code                                       |
//	| 10 | a number placed nowhere                      | refused, with no next allowed moment                                                         |
//	| 11 | the company's own window                     | narrows the window of rows 4 to 7 on every day; never widens it                              |
//	| 12 | refused                                      | the next allowed moment: the first instant after the send instant that rows 3 to 11 allow,   |
//	|    |                                              | within 35 days; none when no instant in those 35 days is allowed                             |
//
// Readings of the rows, decided here:
//   - Windows include their opening minute and exclude their closing one:
//     "08:00–21:00" allows 08:00:00 to 20:59:59 (after 9 p.m. is refused,
//     and 21:00:00 is the first instant of it; the safe reading).
//   - Row 2: a text answers the customer when their last inbound text (any
//     text, a keyword too) arrived less than 24 hours before the send
//     instant and not after it: exactly 24 hours later the exemption is
//     over. For a scheduled text the send instant is when it is due.
//   - Rows 3 and 4 to 7: a number's local time is that of each zone
//     libphonenumber gives its area (Idaho's 208 is both Mountain and
//     Pacific time); every one must be inside its window, on its own
//     calendar day (Texas's Sunday is Sunday in that zone). Local time is
//     the zone's clock, daylight saving included, so 08:00 on the morning
//     the clocks change is 08:00 on the wall, whatever the offset.
//   - Rows 5 to 7 apply to +1 numbers of the United States, and to +1
//     numbers the metadata places in no country (an area code newer than
//     it, the fictional 555): their state is read from the area code, and
//     where it names none, row 7 applies, the strictest reading. Other
//     numbers, Canada's and Puerto Rico's included, take row 4.
//   - Row 8: the +1 calling code as a whole spans 21 hours of offsets, from
//     Guam to American Samoa, and no hour of the day would be allowed in
//     all of them; such a number is read as the plan's main country's, the
//     United States'. With row 7 (a +1 555 number has neither zone nor
//     state) it allows, Monday to Saturday, from 09:00 in Hawaii to 20:00
//     Eastern time (15:00–20:00 Eastern in summer, 14:00–20:00 in winter),
//     and on Sunday from 12:00 in Hawaii to 20:00 Eastern (18:00–20:00
//     Eastern in summer, 17:00–20:00 in winter).
//   - Row 10: non-geographic services (+800, satellite networks) have no
//     local time; the recipient could be at any offset, and no hour of the
//     day is inside a window everywhere. A zone that the time zone database
//     cannot load reads as an unknown zone: row 8 for +1 numbers, row 10
//     otherwise.
//   - Row 11: the company's window is in the recipient's local time, as the
//     legal one; where the two do not overlap on a day, that day allows
//     nothing.
package quiethours

import (
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// Horizon is how far after the send instant row 12 looks for the next
// allowed moment: as far as a text may be scheduled.
const Horizon = 35 * 24 * time.Hour

// ReplyWindow is how long after the customer's last text a text answers
// them (row 2).
const ReplyWindow = 24 * time.Hour

// Input is a text about to leave, and what the rule needs to know of it.
type Input struct {
	// Recipient is the customer's number. A possible number the metadata
	// does not call valid is fine (rows 7 and 8).
	Recipient phone.Number
	// At is the instant the text leaves (for a scheduled text, when it is
	// due).
	At time.Time
	// CompanyWindow is the company's own sending window, in the recipient's
	// local time; the zero Window when it has none (row 11).
	CompanyWindow Window
	// LastInbound is when the customer's last text arrived, at or before At;
	// the zero Time when they never texted (row 2).
	LastInbound time.Time
	// Automated is true for consent's automated texts (row 1).
	Automated bool
}

// Exemption is why a text was allowed without its window being looked at.
type Exemption string

// The exemptions.
const (
	ExemptAutomated Exemption = "automated" // row 1
	ExemptReply     Exemption = "reply"     // row 2
)

// Decision is Check's answer.
type Decision struct {
	// Allowed is true when the text may leave at the send instant.
	Allowed bool
	// Exempt is why an allowed text was not held to its window; "" when the
	// window allowed it, and when it was refused.
	Exempt Exemption
	// NextAllowed is, for a refused text, the first instant after the send
	// instant at which it would be allowed, in UTC; the zero Time when it is
	// allowed, and when no instant within Horizon is (row 12).
	NextAllowed time.Time
}

// Check decides whether the text in may leave at in.At.
func Check(in Input) Decision {
	// Row 1 | one of consent's automated texts | allowed at any hour
	if in.Automated {
		return Decision{Allowed: true, Exempt: ExemptAutomated}
	}
	// Row 2 | the customer texted within the last 24 hours | allowed at any hour
	if answersCustomer(in.LastInbound, in.At) {
		return Decision{Allowed: true, Exempt: ExemptReply}
	}
	// Rows 4 to 9 | the number's zones and hours (recipient.go, hours.go)
	r, ok := locate(in.Recipient)
	// Row 10 | a number placed nowhere | refused, with no next allowed moment
	if !ok {
		return Decision{}
	}
	// Rows 3 and 11 | inside the window, narrowed by the company's, in every zone
	if r.inside(in.CompanyWindow, in.At) {
		return Decision{Allowed: true}
	}
	// Row 12 | refused | the next allowed moment within 35 days, or none
	return Decision{NextAllowed: nextAllowed(r, in.CompanyWindow, in.At)}
}

// answersCustomer reports whether a text at at answers a customer whose last
// text arrived at lastInbound (row 2).
func answersCustomer(lastInbound, at time.Time) bool {
	return !lastInbound.IsZero() && !lastInbound.After(at) && at.Sub(lastInbound) < ReplyWindow
}
