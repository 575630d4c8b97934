package conversation

import (
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// The rules of sending one outbound message, which the sender
// (adapters/sender) follows and the send commands decide:
//
//   - Whether it may go now (SendChecks, decided with the attempt by
//     StartSend). A staff text needs the company's messaging number to be
//     the one it was queued from, Messages on, consent yes on that number,
//     and no opt-out text in the thread that the consent read has not
//     decided yet, and the attempt's instant inside the recipient's allowed
//     hours unless the text answers the customer (CheckQuietHours).
//     Automated texts (consent confirmations, the help reply) go out
//     whatever consent, Messages and the hour say: a STOP is always
//     confirmed.
//   - What Twilio's answer to an attempt means: CarrierAnswer.Meaning
//     (send_answer.go).
//   - When Twilio surely did not take it (429, 5xx, no connection): another
//     attempt after a backoff, or Twilio's Retry-After when it asked for
//     longer, until RetryPolicy's time (or attempt) budget runs out: then it
//     fails with Twilio's last error code and reason.
//   - When the outcome of an attempt is unknown: never attempted again; a
//     status callback that names the message settles it; without one within
//     the wait (OutcomeWait), it fails with ReasonOutcomeUnknown.

// Reason codes of OutboundMessageFailed.
const (
	// ReasonConsent: not sent because the customer's consent no longer
	// allows a staff text (or an opt-out text came first).
	ReasonConsent = "consent"
	// ReasonNotAllowed: not sent because the company may no longer send it
	// (Messages off, the messaging number changed, the company is gone).
	ReasonNotAllowed = "not_allowed"
	// ReasonRefused: Twilio refused it (a 4xx other than 429; ErrorCode).
	ReasonRefused = "twilio_refused"
	// ReasonUnavailable: Twilio did not take it (429, 5xx, unreachable)
	// within the retry budget (ErrorCode is Twilio's last one).
	ReasonUnavailable = "twilio_unavailable"
	// ReasonOutcomeUnknown: an attempt's outcome stayed unknown (no answer,
	// no status callback in time); never sent again, so as never to send
	// twice.
	ReasonOutcomeUnknown = "outcome_unknown"
)

// SendChecks is what the sender read outside the thread just before it asks
// to attempt a text (StartSend): the company as its stream stands, and the
// customer's consent as its stream stands. StartSend decides the attempt and
// these checks in one decision, appended at the version of the thread it
// decided on.
//
// Why that makes a STOP win: an inbound text is recorded in the thread
// before the consent decides on it (commands.ReceiveInbound). Consent read
// before the STOP's consent event does not know the STOP's MessageSid; so if
// the STOP is in the thread the decision sees, the decision refuses (an
// opt-out text the consent has not decided yet), and if the STOP is
// recorded after the thread was read, the attempt's append fails on the
// thread's version and the decision is taken again, on a thread that holds
// the STOP. An attempt is thus recorded only before the STOP is.
type SendChecks struct {
	// CompanyFound: the company exists; MessagingNumber is its current
	// number, SMSEnabled its Messages setting.
	CompanyFound    bool
	MessagingNumber phone.Number
	SMSEnabled      bool
	// Consent is the customer's consent as read from its stream.
	Consent consent.State
	// QuietHours is the company's own sending window (the zero Window when
	// it has none).
	QuietHours quiethours.Window
}

// refusal is why message m of thread s may not go at instant at, given the
// checks, and its reason code; "" when it may.
func (c SendChecks) refusal(s State, m OutboundMessage, at time.Time) (reason, code string) {
	if !c.CompanyFound {
		return "not sent: the company does not exist", ReasonNotAllowed
	}
	if !m.ConsentBound() {
		return "", ""
	}
	if c.MessagingNumber != m.From {
		return fmt.Sprintf("not sent: the company's messaging number changed from %s to %s after the text was queued", m.From, c.MessagingNumber), ReasonNotAllowed
	}
	if !c.SMSEnabled {
		return "not sent: Messages were turned off for the company after the text was queued", ReasonNotAllowed
	}
	if !consent.CanSend(c.Consent, m.From) {
		return fmt.Sprintf("not sent: the customer's consent is %s (it changed after the text was queued)", c.Consent.Status), ReasonConsent
	}
	for _, sid := range s.optOuts {
		if !c.Consent.HasMessage(sid) {
			return "not sent: the customer withdrew consent (opt-out text " + sid + ") before the text was handed to Twilio", ReasonConsent
		}
	}
	if err := CheckQuietHours(s, SendTime{To: m.To, CompanyWindow: c.QuietHours, At: at}); err != nil {
		return "not sent: " + err.Error(), ReasonQuietHours
	}
	return "", ""
}

// RetryPolicy says when a text that Twilio surely did not take is attempted
// again, and when smsinbox gives up on it.
type RetryPolicy struct {
	// Backoff is the wait before the second attempt, doubled before each
	// next one, at most MaxBackoff. Twilio's Retry-After wins when longer.
	Backoff, MaxBackoff time.Duration
	// GiveUpAfter bounds the time from the first attempt to the last one
	// (0: no bound); MaxAttempts the number of attempts (0: no bound).
	GiveUpAfter time.Duration
	MaxAttempts int
}

// Wait is the backoff after attempt number attempts (1, 2, ...).
func (p RetryPolicy) Wait(attempts int) time.Duration {
	d := p.Backoff
	for i := 1; i < attempts && d < p.MaxBackoff; i++ {
		d *= 2
	}
	if p.MaxBackoff > 0 {
		d = min(d, p.MaxBackoff)
	}
	return max(d, 0)
}

// StepKind is what the sender does next with an outbound message.
type StepKind int

const (
	// StepAttempt: it waits to be sent; decide StartSend now.
	StepAttempt StepKind = iota + 1
	// StepRetryLater: Twilio did not take the last attempt; the next one
	// not before Step.Until.
	StepRetryLater
	// StepAwaitOutcome: an attempt's outcome is not known; a status
	// callback may settle it until Step.Until.
	StepAwaitOutcome
	// StepExpireOutcome: no callback came in time: decide ExpireOutcome.
	StepExpireOutcome
	// StepNamed: Twilio named it (its SID is known); nothing to send.
	StepNamed
	// StepFinal: it is final (failed, delivered, undelivered, canceled)
	// without a SID; nothing to send.
	StepFinal
	// StepNotReleased: it is scheduled and not released yet; nothing to
	// send: its release records it queued again, and that is sent.
	StepNotReleased
)

// Step is what the sender does next with a message, and until when.
type Step struct {
	Kind  StepKind
	Until time.Time
}

// NextStep is what the sender does with message m at time now, where
// outcomeWait is how long after an attempt a status callback may still
// settle an unknown outcome.
func NextStep(m OutboundMessage, now time.Time, outcomeWait time.Duration) Step {
	switch {
	case m.SID != "":
		return Step{Kind: StepNamed}
	case m.Status.Final():
		return Step{Kind: StepFinal}
	case m.Status == StatusScheduled:
		return Step{Kind: StepNotReleased}
	case m.InFlight:
		until := m.LastAttemptAt.Add(outcomeWait)
		if now.Before(until) {
			return Step{Kind: StepAwaitOutcome, Until: until}
		}
		return Step{Kind: StepExpireOutcome}
	case now.Before(m.RetryAt):
		return Step{Kind: StepRetryLater, Until: m.RetryAt}
	default:
		return Step{Kind: StepAttempt}
	}
}
