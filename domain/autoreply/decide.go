package autoreply

import "time"

// The auto-reply rule, row for row; the first row that holds decides.
//
//	| # | the customer's text                                   | auto-reply |
//	|---|-------------------------------------------------------|------------|
//	| 1 | the company's auto-reply is off                       | no         |
//	| 2 | the company's Messages are off (sms_enabled false)    | no         |
//	| 3 | is a keyword (STOP, START, YES, HELP, ... families)   | no         |
//	| 4 | comes from a customer whose consent is not yes        | no         |
//	| 5 | arrives inside business hours (company's zone)        | no         |
//	| 6 | the thread had an auto-reply less than 12 hours ago   | no         |
//	| 7 | otherwise                                             | yes        |
//
// Readings, decided here:
//   - Row 2: Messages off means the company texts nothing but what consent
//     requires (a STOP's confirmation); an auto-reply is not that.
//   - Row 3: a keyword is answered by consent's own texts (or by none), and
//     a customer who just wrote STOP must get nothing else.
//   - Row 4: consent is the customer's on the company's current messaging
//     number, as after the text itself was decided (a YES that makes consent
//     yes is a keyword anyway).
//   - Row 5: the hours are read on the wall clock of the company's zone at
//     the text's instant, so a clock change moves nothing: 09:00 is 09:00.
//   - Row 6: "once per thread per 12 hours" counts from the last auto-reply
//     queued in the thread; at exactly 12 hours another is due.

// Every is the least time between two auto-replies of one thread.
const Every = 12 * time.Hour

// Inbound is what the rule needs to know about a customer's text.
type Inbound struct {
	// At is when the text arrived.
	At time.Time
	// Location is the company's time zone (UTC when nil).
	Location *time.Location
	// MessagesOn is the company's sms_enabled.
	MessagesOn bool
	// Keyword: the text is a consent keyword (consent.InboundKeyword is not
	// None, or Twilio's OptOutType named one).
	Keyword bool
	// ConsentYes: the customer's consent on the company's current number is
	// yes.
	ConsentYes bool
	// LastAutoReply is when the thread's last auto-reply was queued (zero
	// for none).
	LastAutoReply time.Time
}

// Reason says which row decided.
type Reason string

const (
	ReasonOff         Reason = "auto_reply_off"   // row 1
	ReasonMessagesOff Reason = "messages_off"     // row 2
	ReasonKeyword     Reason = "keyword"          // row 3
	ReasonNoConsent   Reason = "consent_not_yes"  // row 4
	ReasonOpen        Reason = "inside_hours"     // row 5
	ReasonRecent      Reason = "replied_recently" // row 6
	ReasonAfterHours  Reason = "outside_hours"    // row 7: sent
)

// Decision is the rule's answer: Send, and the row that decided.
type Decision struct {
	Send   bool
	Reason Reason
}

// Decide applies the rule to a customer's text under settings s.
func Decide(s Settings, in Inbound) Decision {
	loc := in.Location
	if loc == nil {
		loc = time.UTC
	}
	switch {
	// Row 1 | the auto-reply is off | no
	case !s.Enabled:
		return Decision{Reason: ReasonOff}
	// Row 2 | Messages are off | no
	case !in.MessagesOn:
		return Decision{Reason: ReasonMessagesOff}
	// Row 3 | a keyword | no
	case in.Keyword:
		return Decision{Reason: ReasonKeyword}
	// Row 4 | consent is not yes | no
	case !in.ConsentYes:
		return Decision{Reason: ReasonNoConsent}
	// Row 5 | inside business hours | no
	case s.Hours.Open(in.At.In(loc)):
		return Decision{Reason: ReasonOpen}
	// Row 6 | an auto-reply less than 12 hours ago | no
	case !Due(in.LastAutoReply, in.At):
		return Decision{Reason: ReasonRecent}
	// Row 7 | otherwise | yes
	default:
		return Decision{Send: true, Reason: ReasonAfterHours}
	}
}

// Due reports whether a thread whose last auto-reply was queued at last
// (zero: none) may have another at instant at (row 6).
func Due(last, at time.Time) bool {
	return last.IsZero() || at.Sub(last) >= Every
}
