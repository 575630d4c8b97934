package conversation

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// The rules of scheduled messages, one row each (the tests are named after
// them):
//
//	| #  | when                                                  | then                                                        |
//	|----|-------------------------------------------------------|-------------------------------------------------------------|
//	| S1 | scheduled less than 1 minute ahead, or more than 35 d | refused: ErrInvalidSendAt                                   |
//	| S2 | send_at outside the recipient's hours (quiethours.go) | refused: QuietHoursError with the next allowed moment;      |
//	|    |                                                       | the 24-hour reply exemption is counted to send_at           |
//	| S3 | otherwise                                             | OutboundMessageScheduled, status scheduled                  |
//	|    |                                                       | (and ThreadAssigned to the sender on an unassigned thread,  |
//	|    |                                                       | as a staff reply does: assign.go Row 7)                     |
//	| S4 | due, consent yes on the number it was scheduled from  | released: OutboundMessageQueued (the sender sends it)       |
//	| S5 | due, the number changed or consent is not yes         | OutboundMessageCanceled, reason consent; nothing is sent    |
//	|    | (or an opt-out text the consent has not decided yet)  |                                                             |
//	| S6 | due, Messages off or the company gone                 | OutboundMessageCanceled, reason not_allowed                 |
//	| S7 | released, canceled, or not due yet                    | a release decides nothing (two servers release it once)     |
//	| S8 | staff cancel a scheduled message                      | OutboundMessageCanceled, reason staff                       |
//	| S9 | staff cancel one already canceled                     | nothing (a second DELETE is answered as the first)          |
//	| S10| staff cancel one that has left (queued or later)      | refused: ErrNotScheduled                                    |
//	| S11| a STOP                                                | every text bound by consent (staff texts, the auto-reply)   |
//	|    |                                                       | scheduled, or queued and never handed to Twilio (no attempt |
//	|    |                                                       | in flight, no SID), is canceled, reason consent             |
//	| S12| due, but outside the recipient's hours at the moment  | OutboundMessageCanceled, reason quiet_hours: released late  |
//	|    | it is released (checked again as at S2)               | (no server ran at send_at), it would leave at a forbidden   |
//	|    |                                                       | hour                                                        |
//
// Consent is the caller's to check when scheduling (consent is another
// stream; see commands), as for QueueMessage.

// The shortest and longest time ahead a message may be scheduled.
const (
	MinScheduleAhead = time.Minute
	MaxScheduleAhead = 35 * 24 * time.Hour
)

// Reasons of OutboundMessageCanceled: CancelConsent, CancelNotAllowed and
// CancelQuietHours are the sender's reasons; CancelStaff is a user's cancel.
const (
	CancelStaff      = "staff"
	CancelConsent    = ReasonConsent
	CancelNotAllowed = ReasonNotAllowed
	CancelQuietHours = ReasonQuietHours
)

var (
	// ErrInvalidSendAt: send_at is less than MinScheduleAhead or more than
	// MaxScheduleAhead after the command's time (row S1).
	ErrInvalidSendAt = errors.New("invalid send_at")
	// ErrNotScheduled: the message to cancel has left already (row S10).
	ErrNotScheduled = errors.New("the message is not scheduled")
)

// ScheduleMessage records a staff text to go out at SendAt (status
// scheduled). It opens the thread if there is none.
type ScheduleMessage struct {
	// MessageID is the caller's: a retry with the same ID records nothing.
	MessageID     uuid.UUID
	CompanyID     string
	CustomerPhone phone.Number
	// From is the company's current messaging number.
	From phone.Number
	Body string // as QueueMessage's
	App  string // required
	// TemplateID is the company's template the body was filled from; nil
	// for a text written as it is. The release keeps it.
	TemplateID *uuid.UUID
	// SentBy is the staff user who scheduled it: scheduling is a staff
	// reply, so it assigns an unassigned thread to them at once (assign.go,
	// Row 7); its release, later, assigns nothing.
	SentBy string
	// SendAt is when it is due; At is now.
	SendAt time.Time
	// CompanyWindow is the company's own sending window (the zero Window
	// for none), which narrows the legal one.
	CompanyWindow quiethours.Window
	At            time.Time
}

// ReleaseScheduled decides, when message MessageID is due, whether it goes:
// released (queued for the sender) or canceled, from Checks read just before
// (the company, its window, the consent: rows S4 to S7, S12).
type ReleaseScheduled struct {
	MessageID uuid.UUID
	Checks    SendChecks
	At        time.Time
}

// CancelScheduled is a user's cancel of a scheduled message (rows S8 to S10).
type CancelScheduled struct {
	MessageID uuid.UUID
	At        time.Time
}

// CancelUnsent cancels every staff text of the thread that Twilio has not
// been handed: scheduled, or queued with no attempt in flight and no SID
// (row S11). Reason is a Cancel* constant.
type CancelUnsent struct {
	Reason      string
	Explanation string
	At          time.Time
}

func (ScheduleMessage) isCommand()  {}
func (ReleaseScheduled) isCommand() {}
func (CancelScheduled) isCommand()  {}
func (CancelUnsent) isCommand()     {}

func schedule(s State, c ScheduleMessage) ([]Event, error) {
	q := QueueMessage{MessageID: c.MessageID, CompanyID: c.CompanyID, CustomerPhone: c.CustomerPhone, From: c.From,
		Body: c.Body, App: c.App, TemplateID: c.TemplateID, At: c.At}
	q, err := checkQueue(s, q)
	if err != nil {
		return nil, err
	}
	if _, known := s.Outbound(c.MessageID); known {
		return nil, nil
	}
	// Row S1 | less than 1 minute ahead, or more than 35 days | refused
	if ahead := c.SendAt.Sub(c.At); c.SendAt.IsZero() || ahead < MinScheduleAhead || ahead > MaxScheduleAhead {
		return nil, fmt.Errorf("%w: a message is scheduled from 1 minute to 35 days ahead; %s is %s from now",
			ErrInvalidSendAt, c.SendAt.UTC().Format(time.RFC3339), c.SendAt.Sub(c.At).Round(time.Second))
	}
	// Row S2 | outside the recipient's hours at send_at | refused
	if err := CheckQuietHours(s, SendTime{To: c.CustomerPhone, CompanyWindow: c.CompanyWindow, At: c.SendAt}); err != nil {
		return nil, err
	}
	// Row S3 | scheduled
	e := OutboundMessageScheduled{
		MessageID: q.MessageID, Thread: threadOf(q), From: q.From, To: q.CustomerPhone,
		Body: q.Body, App: q.App, TemplateID: q.TemplateID, SendAt: c.SendAt.UTC(), ScheduledAt: c.At,
	}
	return append([]Event{e}, replyAssigns(s, OutboundMessageQueued{MessageID: e.MessageID, Thread: e.Thread, QueuedAt: e.ScheduledAt}, c.SentBy)...), nil
}

func release(s State, c ReleaseScheduled) ([]Event, error) {
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	// Row S7 | released, canceled, or not due yet | nothing
	if m.Status != StatusScheduled || c.At.Before(m.SendAt) {
		return nil, nil
	}
	// Rows S5, S6 and S12 | consent, the company or the hour no longer allow it | canceled
	if why, code := c.Checks.releaseRefusal(s, m, c.At); why != "" {
		return []Event{OutboundMessageCanceled{MessageID: m.MessageID, Thread: s.Thread, Reason: code, Explanation: why, At: c.At}}, nil
	}
	// Row S4 | released
	return []Event{OutboundMessageQueued{
		MessageID: m.MessageID, Thread: s.Thread, From: m.From, To: m.To, Body: m.Body, App: m.App,
		TemplateID: m.TemplateID, QueuedAt: c.At, SendAt: m.SendAt,
	}}, nil
}

// releaseRefusal is why scheduled message m may not go at instant at, when
// it is released, and the cancel reason: the sender's refusal, but a
// messaging number that changed since is a consent reason, since consent
// belongs to the number (rows S5, S6 and S12).
func (c SendChecks) releaseRefusal(s State, m OutboundMessage, at time.Time) (why, code string) {
	if c.CompanyFound && c.MessagingNumber != m.From {
		return fmt.Sprintf("canceled: the company's messaging number changed from %s to %s after the text was scheduled, and consent does not follow the number", m.From, c.MessagingNumber), CancelConsent
	}
	return c.refusal(s, m, at)
}

func cancelScheduled(s State, c CancelScheduled) ([]Event, error) {
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	switch {
	case m.Status == StatusCanceled: // Row S9
		return nil, nil
	case m.Status != StatusScheduled: // Row S10
		return nil, fmt.Errorf("%w: message %s is %s", ErrNotScheduled, m.MessageID, m.Status)
	}
	// Row S8
	return []Event{OutboundMessageCanceled{MessageID: m.MessageID, Thread: s.Thread, Reason: CancelStaff,
		Explanation: "canceled by staff before it was due", At: c.At}}, nil
}

func cancelUnsent(s State, c CancelUnsent) ([]Event, error) {
	if !s.Exists() {
		return nil, nil
	}
	if c.At.IsZero() {
		return nil, invalid("time")
	}
	code, err := reason(c.Reason)
	if err != nil {
		return nil, err
	}
	var out []Event
	for m := range s.outbound.latest {
		// Row S11 | texts bound by consent Twilio has not been handed
		if !m.ConsentBound() || !(m.Status == StatusScheduled || m.WaitsToBeSent()) {
			continue
		}
		out = append(out, OutboundMessageCanceled{MessageID: m.MessageID, Thread: s.Thread, Reason: code,
			Explanation: c.Explanation, At: c.At})
	}
	slices.Reverse(out) // in the order they were recorded
	return out, nil
}
