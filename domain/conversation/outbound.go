package conversation

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// MaxBodyLength is the longest text smsinbox sends, in characters (Twilio's
// limit for one message: 1,600).
const MaxBodyLength = 1600

// ErrMessageNotFound: the command names an outbound message the thread does
// not hold.
var ErrMessageNotFound = errors.New("outbound message not found")

var outboundEventNamespace = uuid.MustParse("6f1c2a8e-3f4b-4b53-9d55-8a0f2f7c1e42")

// OutboundEventID is the event ID of the OutboundMessageQueued that records
// the message messageID (a UUID v5): a caller that queues the same message
// again (a retry) appends the same event ID, which the store records once.
func OutboundEventID(messageID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(outboundEventNamespace, messageID[:])
}

// OutboundStatus is where an outbound message stands:
//
//	queued → sending → sent → delivered
//	                        ↘ undelivered | failed   (with Twilio's error code)
//
// A scheduled message (scheduled.go) stands at scheduled until it is due,
// then becomes queued (released) or canceled; a STOP also cancels a queued
// message that Twilio has not been handed yet. Canceled is final.
//
// Twilio's callbacks may come late or out of order, so a status only ever
// climbs (Rank); the three final statuses never change again: the first one
// recorded stands.
type OutboundStatus string

const (
	StatusQueued      OutboundStatus = "queued"      // recorded, not handed to Twilio yet
	StatusSending     OutboundStatus = "sending"     // handed to Twilio (or being handed)
	StatusSent        OutboundStatus = "sent"        // Twilio sent it to the carrier
	StatusDelivered   OutboundStatus = "delivered"   // the carrier delivered it (final)
	StatusUndelivered OutboundStatus = "undelivered" // the carrier could not (final)
	StatusFailed      OutboundStatus = "failed"      // never sent (final)
	StatusScheduled   OutboundStatus = "scheduled"   // waits for its send_at; not the sender's yet
	StatusCanceled    OutboundStatus = "canceled"    // will never be sent: nothing left (final)
)

// Rank orders statuses: scheduled and queued 0, sending 1, sent 2, the final
// ones 3; -1 for a status this package does not know.
func (s OutboundStatus) Rank() int {
	switch s {
	case StatusQueued, StatusScheduled:
		return 0
	case StatusSending:
		return 1
	case StatusSent:
		return 2
	case StatusDelivered, StatusUndelivered, StatusFailed, StatusCanceled:
		return 3
	default:
		return -1
	}
}

// Final reports whether the status never changes again.
func (s OutboundStatus) Final() bool { return s.Rank() == 3 }

// FromTwilio reads Twilio's MessageStatus of an outbound message: accepted,
// scheduled and queued are queued (Twilio holds it); sending, sent; delivered
// and read (a read receipt comes after delivery) are delivered; undelivered;
// failed and canceled are failed. ok is false for the statuses of inbound
// messages (receiving, received) and anything unknown.
func FromTwilio(twilioStatus string) (s OutboundStatus, ok bool) {
	switch strings.ToLower(strings.TrimSpace(twilioStatus)) {
	case "accepted", "scheduled", "queued":
		return StatusQueued, true
	case "sending":
		return StatusSending, true
	case "sent":
		return StatusSent, true
	case "delivered", "read":
		return StatusDelivered, true
	case "undelivered":
		return StatusUndelivered, true
	case "failed", "canceled":
		return StatusFailed, true
	default:
		return "", false
	}
}

// higher is the higher ranked of a and b (a when they rank the same).
func higher(a, b OutboundStatus) OutboundStatus {
	if b.Rank() > a.Rank() {
		return b
	}
	return a
}

// QueueMessage records a text to the customer (status queued); the sender
// then sends it. It opens the thread if there is none. Consent is the
// caller's to check (consent is another stream): see commands.QueueOutbound.
type QueueMessage struct {
	// MessageID is the caller's: a retry with the same ID records nothing.
	MessageID     uuid.UUID
	CompanyID     string
	CustomerPhone phone.Number
	// From is the company's current messaging number.
	From      phone.Number
	Body      string // 1 to MaxBodyLength characters, not only white space
	App       string // required: "dashboard", "automated", ...
	Automated bool
	Hidden    bool
	// AutoReply: the after-hours auto-reply (with Automated). It decides
	// nothing while the thread's last auto-reply is less than
	// autoreply.Every old: two texts at once get one.
	AutoReply bool
	// TemplateID is the company's template the body was filled from; nil
	// for a text written as it is.
	TemplateID *uuid.UUID
	// QuietHours is the company's own sending window (the zero Window when
	// it has none): a staff text is refused outside the recipient's window,
	// narrowed by it, at the instant it leaves (CheckQuietHours).
	QuietHours quiethours.Window
	// SentBy is the staff user who wrote the text (empty for automated
	// texts): a staff reply to an unassigned thread also assigns the thread
	// to them, in the same append (assign.go, Row 7).
	SentBy string
	At     time.Time
}

// StartSend records that the sender is about to call Twilio
// (OutboundSendAttempted), or, when Checks say the message may not go now,
// that it will not be sent (OutboundMessageFailed, ReasonConsent,
// ReasonNotAllowed or ReasonQuietHours): one decision, on the thread as it stands (see
// SendChecks). It decides nothing (and the sender must not call Twilio)
// unless the message waits to be sent: not final, no attempt in flight, no
// SID known. Only an OutboundSendAttempted lets the sender call Twilio.
type StartSend struct {
	MessageID uuid.UUID
	Checks    SendChecks
	At        time.Time
}

// DeferSend records that the attempt in flight surely did not reach Twilio
// (see OutboundSendDeferred), with the time of the next attempt: At plus
// Policy's backoff, or RetryAfter when Twilio asked for longer. When that
// time lies past Policy's budget, it records instead that the message failed
// (ReasonUnavailable), with Twilio's error code and reason. Nothing when no
// attempt is in flight.
type DeferSend struct {
	MessageID  uuid.UUID
	HTTPStatus int
	ErrorCode  int
	Reason     string
	// RetryAfter is Twilio's Retry-After (0 when it gave none).
	RetryAfter time.Duration
	Policy     RetryPolicy
	At         time.Time
}

// RecordOutcomeUnknown records that the call of the attempt in flight ended
// without an answer that says whether Twilio took the message
// (OutboundSendOutcomeUnknown); nothing unless an attempt is in flight with
// its call not known to have ended already.
type RecordOutcomeUnknown struct {
	MessageID uuid.UUID
	Reason    string // required
	At        time.Time
}

// ExpireOutcome records that an attempt's outcome stayed unknown: failed,
// ReasonOutcomeUnknown, once Wait has passed since the attempt with no status
// callback that named the message. Nothing before that, or when the outcome
// is known.
type ExpireOutcome struct {
	MessageID uuid.UUID
	Wait      time.Duration
	At        time.Time
}

// RecordSent records Twilio's answer to the send: its SID and status. The same
// SID again records nothing; another SID is an error (a message has one).
type RecordSent struct {
	MessageID    uuid.UUID
	TwilioSID    string
	TwilioStatus string // Twilio's status in its answer ("queued"); may be empty
	ErrorCode    int
	At           time.Time
}

// FailSend records that the message will not be sent, or that Twilio refused
// it; nothing when it is already final.
type FailSend struct {
	MessageID     uuid.UUID
	ErrorCode     int
	Reason        string // required
	ReasonCode    string // one of the Reason* constants; may be empty
	CarrierOptOut bool
	At            time.Time
}

// ApplyStatus applies a Twilio status callback: it records a change only when
// the status climbs (a late "sent" after "delivered" decides nothing), and
// nothing for a status that is not an outbound one.
type ApplyStatus struct {
	MessageID    uuid.UUID
	TwilioSID    string
	TwilioStatus string
	ErrorCode    int
	At           time.Time
}

func (QueueMessage) isCommand() {}
func (StartSend) isCommand()    {}
func (DeferSend) isCommand()    {}
func (RecordSent) isCommand()   {}
func (FailSend) isCommand()     {}
func (ApplyStatus) isCommand()  {}

func (RecordOutcomeUnknown) isCommand() {}
func (ExpireOutcome) isCommand()        {}

func queue(s State, c QueueMessage) ([]Event, error) {
	c, err := checkQueue(s, c)
	if err != nil {
		return nil, err
	}
	if _, known := s.Outbound(c.MessageID); known {
		return nil, nil
	}
	if c.AutoReply && !autoreply.Due(s.LastAutoReplyAt, c.At) {
		return nil, nil
	}
	if err := CheckQuietHours(s, SendTime{To: c.CustomerPhone, Automated: c.Automated || c.AutoReply, CompanyWindow: c.QuietHours, At: c.At}); err != nil {
		return nil, err
	}
	q := OutboundMessageQueued{
		MessageID: c.MessageID, Thread: threadOf(c),
		From: c.From, To: c.CustomerPhone, Body: c.Body, App: c.App,
		Automated: c.Automated || c.AutoReply, Hidden: c.Hidden, AutoReply: c.AutoReply, TemplateID: c.TemplateID, QueuedAt: c.At,
	}
	return append([]Event{q}, replyAssigns(s, q, c.SentBy)...), nil
}

// threadOf is the thread a text to the customer belongs to.
func threadOf(c QueueMessage) Thread {
	return Thread{ThreadID: ThreadID(c.CompanyID, c.CustomerPhone), CompanyID: c.CompanyID, CustomerPhone: c.CustomerPhone}
}

// checkQueue checks what a text to the customer needs, and returns the
// command with its text cleaned.
func checkQueue(s State, c QueueMessage) (QueueMessage, error) {
	c.Body, c.App = clean(c.Body), clean(c.App)
	switch {
	case c.MessageID == uuid.Nil:
		return c, invalid("message ID")
	case c.CompanyID == "":
		return c, invalid("company ID")
	case c.CustomerPhone == "":
		return c, invalid("customer phone")
	case c.From == "":
		return c, invalid("messaging number")
	case strings.TrimSpace(c.Body) == "":
		return c, invalid("body")
	case utf8.RuneCountInString(c.Body) > MaxBodyLength:
		return c, fmt.Errorf("%w: the text is longer than %d characters", ErrInvalidCommand, MaxBodyLength)
	case c.App == "":
		return c, invalid("app")
	case c.At.IsZero():
		return c, invalid("time")
	}
	if s.Exists() && (s.CompanyID != c.CompanyID || s.CustomerPhone != c.CustomerPhone) {
		return c, fmt.Errorf("%w: message for %s/%s decided on thread %s/%s",
			ErrInvalidCommand, c.CompanyID, c.CustomerPhone, s.CompanyID, s.CustomerPhone)
	}
	return c, nil
}

// outbound finds the message a status command is about.
func outbound(s State, id uuid.UUID, at time.Time) (OutboundMessage, error) {
	if !s.Exists() {
		return OutboundMessage{}, ErrThreadNotFound
	}
	if id == uuid.Nil {
		return OutboundMessage{}, invalid("message ID")
	}
	if at.IsZero() {
		return OutboundMessage{}, invalid("time")
	}
	m, ok := s.Outbound(id)
	if !ok {
		return OutboundMessage{}, fmt.Errorf("%w: %s", ErrMessageNotFound, id)
	}
	return m, nil
}

func startSend(s State, c StartSend) ([]Event, error) {
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	if !m.WaitsToBeSent() {
		return nil, nil
	}
	if reason, code := c.Checks.refusal(s, m, c.At); reason != "" {
		return []Event{OutboundMessageFailed{MessageID: m.MessageID, Thread: s.Thread, Reason: reason, ReasonCode: code, At: c.At}}, nil
	}
	return []Event{OutboundSendAttempted{MessageID: m.MessageID, Thread: s.Thread, Attempt: m.Attempts + 1, At: c.At}}, nil
}

func deferSend(s State, c DeferSend) ([]Event, error) {
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	if !m.InFlight {
		return nil, nil
	}
	c.Reason = clean(c.Reason)
	p := c.Policy
	next := c.At.Add(max(c.RetryAfter, p.Wait(m.Attempts)))
	if (p.MaxAttempts > 0 && m.Attempts >= p.MaxAttempts) || (p.GiveUpAfter > 0 && next.Sub(m.FirstAttemptAt) > p.GiveUpAfter) {
		why := fmt.Sprintf("not sent: Twilio did not take the text in %d attempts over %s", m.Attempts, c.At.Sub(m.FirstAttemptAt).Round(time.Second))
		if c.RetryAfter > 0 && next.Sub(m.FirstAttemptAt) > p.GiveUpAfter && p.GiveUpAfter > 0 {
			why += fmt.Sprintf(" (it asked to wait %s more)", c.RetryAfter.Round(time.Second))
		}
		if c.Reason != "" {
			why += "; last answer: " + c.Reason
		}
		return []Event{OutboundMessageFailed{MessageID: m.MessageID, Thread: s.Thread, ErrorCode: c.ErrorCode,
			Reason: why, ReasonCode: ReasonUnavailable, At: c.At}}, nil
	}
	return []Event{OutboundSendDeferred{MessageID: m.MessageID, Thread: s.Thread, Attempt: m.Attempts,
		HTTPStatus: c.HTTPStatus, ErrorCode: c.ErrorCode, Reason: c.Reason, RetryAt: next, At: c.At}}, nil
}

func recordOutcomeUnknown(s State, c RecordOutcomeUnknown) ([]Event, error) {
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	if c.Reason, err = reason(c.Reason); err != nil {
		return nil, err
	}
	if !m.InFlight || m.OutcomeUnknown {
		return nil, nil
	}
	return []Event{OutboundSendOutcomeUnknown{MessageID: m.MessageID, Thread: s.Thread, Attempt: m.Attempts, Reason: c.Reason, At: c.At}}, nil
}

// reason is a command's reason, cleaned; required.
func reason(r string) (string, error) {
	r = clean(r)
	if strings.TrimSpace(r) == "" {
		return "", invalid("reason")
	}
	return r, nil
}

func expireOutcome(s State, c ExpireOutcome) ([]Event, error) {
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	if c.Wait <= 0 {
		return nil, invalid("wait")
	}
	if NextStep(m, c.At, c.Wait).Kind != StepExpireOutcome {
		return nil, nil
	}
	why := fmt.Sprintf("outcome unknown: no answer from Twilio to attempt %d and no status callback within %s; not sent again, so as never to send twice",
		m.Attempts, c.Wait)
	return []Event{OutboundMessageFailed{MessageID: m.MessageID, Thread: s.Thread, Reason: why, ReasonCode: ReasonOutcomeUnknown, At: c.At}}, nil
}

func recordSent(s State, c RecordSent) ([]Event, error) {
	c.TwilioSID, c.TwilioStatus = clean(c.TwilioSID), clean(c.TwilioStatus)
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	switch {
	case c.TwilioSID == "":
		return nil, invalid("Twilio SID")
	case m.SID == c.TwilioSID:
		return nil, nil
	case m.SID != "":
		return nil, fmt.Errorf("%w: message %s is Twilio's %s, not %s", ErrInvalidCommand, m.MessageID, m.SID, c.TwilioSID)
	}
	// Twilio has it: at least sending, whatever its answer said ("queued").
	status := higher(m.Status, StatusSending)
	if answered, ok := FromTwilio(c.TwilioStatus); ok {
		status = higher(status, answered)
	}
	return []Event{OutboundMessageSent{MessageID: m.MessageID, Thread: s.Thread, TwilioSID: c.TwilioSID,
		TwilioStatus: c.TwilioStatus, Status: status, ErrorCode: c.ErrorCode, At: c.At}}, nil
}

func failSend(s State, c FailSend) ([]Event, error) {
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	if c.Reason, err = reason(c.Reason); err != nil {
		return nil, err
	}
	if m.Status.Final() {
		return nil, nil
	}
	return []Event{OutboundMessageFailed{MessageID: m.MessageID, Thread: s.Thread, ErrorCode: c.ErrorCode,
		Reason: c.Reason, ReasonCode: c.ReasonCode, CarrierOptOut: c.CarrierOptOut, At: c.At}}, nil
}

func applyStatus(s State, c ApplyStatus) ([]Event, error) {
	c.TwilioSID, c.TwilioStatus = clean(c.TwilioSID), clean(c.TwilioStatus)
	m, err := outbound(s, c.MessageID, c.At)
	if err != nil {
		return nil, err
	}
	if c.TwilioSID == "" {
		return nil, invalid("Twilio SID")
	}
	if m.SID != "" && m.SID != c.TwilioSID {
		return nil, fmt.Errorf("%w: message %s is Twilio's %s, not %s", ErrInvalidCommand, m.MessageID, m.SID, c.TwilioSID)
	}
	status, ok := FromTwilio(c.TwilioStatus)
	if !ok || status.Rank() <= m.Status.Rank() {
		return nil, nil
	}
	return []Event{OutboundMessageStatusChanged{MessageID: m.MessageID, Thread: s.Thread, TwilioSID: c.TwilioSID,
		TwilioStatus: c.TwilioStatus, Status: status, ErrorCode: c.ErrorCode, At: c.At}}, nil
}
