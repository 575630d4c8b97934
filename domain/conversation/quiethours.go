package conversation

import (
	"errors"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// Quiet hours bind every staff text: typed, from a template or scheduled. A
// staff text may leave only while the recipient's local clocks are inside
// the allowed window (by the law of the number's state, narrowed by the
// company's own window; domain/quiethours holds the rule and its table),
// unless it answers the customer: their last text in this thread (any text,
// a YES or a START too) arrived less than 24 hours before the moment the
// text leaves. Consent's automated texts (the confirmation request, the
// opt-out confirmation, the help reply, the re-subscribed text) are never
// held to the window.
//
// The thread decides it twice: when the text is queued (QueueMessage, with
// the instant it is to leave: now, or when a scheduled text is due), and
// when the sender is about to hand it to Twilio (StartSend), because the law
// binds the moment it actually leaves: a text the sender could not send
// before the window closed is not sent (ReasonQuietHours).

// ErrQuietHours is matched (errors.Is) by a *QuietHoursError.
var ErrQuietHours = errors.New("outside the recipient's allowed sending hours")

// ReasonQuietHours: not sent because the moment it would have left was
// outside the recipient's allowed hours (OutboundMessageFailed).
const ReasonQuietHours = "quiet_hours"

// QuietHoursError refuses a staff text outside the recipient's window.
type QuietHoursError struct {
	To phone.Number
	At time.Time
	// NextAllowed is the first instant after At at which the text would be
	// allowed, in UTC; the zero Time when no instant within
	// quiethours.Horizon is (a number placed nowhere, or whose zones
	// together leave no hour of the day).
	NextAllowed time.Time
}

func (e *QuietHoursError) Error() string {
	if e.NextAllowed.IsZero() {
		return fmt.Sprintf("%s at %s: no moment in the next %d days is inside the recipient's window",
			ErrQuietHours, e.At.UTC().Format(time.RFC3339), int(quiethours.Horizon/(24*time.Hour)))
	}
	return fmt.Sprintf("%s at %s: the next allowed moment is %s", ErrQuietHours,
		e.At.UTC().Format(time.RFC3339), e.NextAllowed.UTC().Format(time.RFC3339))
}

func (e *QuietHoursError) Unwrap() error { return ErrQuietHours }

// SendTime is a text about to leave, as the quiet-hours rule needs it
// beside its thread.
type SendTime struct {
	// To is the recipient.
	To phone.Number
	// Automated: one of consent's automated texts (never held to the window).
	Automated bool
	// CompanyWindow is the company's own window (company.State.QuietHours);
	// the zero Window when it has none.
	CompanyWindow quiethours.Window
	// At is the instant the text leaves: now for a text sent at once, when
	// it is due for a scheduled one.
	At time.Time
}

// CheckQuietHours decides whether the text t to the customer of thread s may
// leave at t.At: nil, or a *QuietHoursError with the next allowed moment.
// The customer's last text is the thread's latest inbound message (the zero
// State: they never texted). Queuing and sending call it; so may anyone who
// decides a send instant ahead (a scheduled text's send_at).
func CheckQuietHours(s State, t SendTime) error {
	d := quiethours.Check(quiethours.Input{
		Recipient: t.To, At: t.At, CompanyWindow: t.CompanyWindow,
		LastInbound: s.LastCustomerReplyAt, Automated: t.Automated,
	})
	if d.Allowed {
		return nil
	}
	return &QuietHoursError{To: t.To, At: t.At, NextAllowed: d.NextAllowed}
}
