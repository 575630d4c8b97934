package conversation

// What the carrier's answer to an attempt means, which the sender
// (adapters/sender) reads off Twilio's answer and then records; it decides
// nothing itself. One row a rule, the first that applies:
//
//	| # | the carrier's answer                         | means         | the sender records                   |
//	|---|----------------------------------------------|---------------|--------------------------------------|
//	| 1 | it took the text (its answer names it)       | sent          | RecordSent, then the SID index       |
//	| 2 | error 21610: the customer opted out of the   | carrier       | FailSend (twilio_refused, carrier    |
//	|   |   number at the carrier (replied STOP to it) |   opt-out     |   opt-out), then consent's row 7     |
//	| 3 | HTTP 429 or 5xx, or the request never left   | surely not    | DeferSend: attempted again after a   |
//	|   |   (connection refused, host name unknown)    |   taken       |   backoff, or failed past the budget |
//	| 4 | any other HTTP 4xx                           | refused       | FailSend (twilio_refused)            |
//	| 5 | anything else: a time-out, a connection      | unknown       | RecordOutcomeUnknown: never attempted|
//	|   |   dropped once the request was out, an       |               |   again; a status callback that      |
//	|   |   answer that names no message               |               |   names it settles it                |
//
// Row 5 is what makes "never sent twice" hold: whatever may have reached
// the carrier is never attempted again.

// CarrierOptOutCode is the carrier's error 21610: the recipient opted out
// of texts from the number at the carrier, which refuses to text them.
const CarrierOptOutCode = 21610

// CarrierAnswer is what the sender learned from its call to the carrier.
type CarrierAnswer struct {
	// Taken: the carrier answered with the message (its SID).
	Taken bool
	// HTTPStatus is the status of the carrier's answer when it did not take
	// it, 0 when no answer came.
	HTTPStatus int
	// ErrorCode is the carrier's error code, 0 when it gave none.
	ErrorCode int
	// NeverLeft: no connection was made to send the request on (refused,
	// or the host name did not resolve), so the carrier has nothing.
	NeverLeft bool
}

// AnswerMeaning is what an answer means (the table above).
type AnswerMeaning int

const (
	AnswerSent           AnswerMeaning = iota + 1 // row 1
	AnswerCarrierOptOut                           // row 2
	AnswerSurelyNotTaken                          // row 3
	AnswerRefused                                 // row 4
	AnswerOutcomeUnknown                          // row 5
)

// Meaning reads an answer by the table above.
func (a CarrierAnswer) Meaning() AnswerMeaning {
	switch {
	case a.Taken:
		return AnswerSent // row 1
	case a.ErrorCode == CarrierOptOutCode:
		return AnswerCarrierOptOut // row 2
	case a.HTTPStatus == 429 || a.HTTPStatus >= 500 || (a.HTTPStatus == 0 && a.NeverLeft):
		return AnswerSurelyNotTaken // row 3
	case a.HTTPStatus >= 400:
		return AnswerRefused // row 4
	}
	return AnswerOutcomeUnknown // row 5
}

// RefusedForCarrierOptOut reports whether the carrier refused m with error
// 21610 (row 2): it failed with that code and no SID, the carrier never
// took it.
func (m OutboundMessage) RefusedForCarrierOptOut() bool {
	return m.Status == StatusFailed && m.ErrorCode == CarrierOptOutCode && m.SID == ""
}
