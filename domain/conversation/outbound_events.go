package conversation

import (
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// The events of an outbound message, in the order they usually come:
//
//	OutboundMessageQueued         recorded, status queued (what the HTTP answer and
//	                              the consent texts wait for)
//	OutboundSendAttempted         the sender is about to call Twilio: status sending;
//	                              until an outcome follows, Twilio may or may not
//	                              have the message (at most once: never sent again)
//	OutboundSendDeferred          Twilio surely did not take it (it answered 429 or
//	                              5xx, or the connection was refused): another
//	                              attempt may follow, not before its RetryAt
//	OutboundSendOutcomeUnknown    the call ended without an answer that says
//	                              whether Twilio took it: never attempted again;
//	                              a status callback that names the message
//	                              settles it, else it fails once the wait for
//	                              one is over (reason code outcome_unknown)
//	OutboundMessageSent           Twilio took it and named it (its SID)
//	OutboundMessageStatusChanged  a status callback moved it on (sent, delivered,
//	                              undelivered, failed)
//	OutboundMessageFailed         smsinbox gave up on it, or Twilio refused it: final

// OutboundMessageQueued records a text to the customer, before anything is
// sent. It opens the thread if there is none (an automated text may be the
// first message). An outbound message moves the thread's activity time (unless
// it is hidden) but never its unread or archived flags.
type OutboundMessageQueued struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	// From is the company's messaging number when the text was queued; To is
	// the customer.
	From phone.Number `json:"from"`
	To   phone.Number `json:"to"`
	Body string       `json:"body"`
	// App is the app it came through: "dashboard" for staff, "automated" for
	// smsinbox's own texts.
	App string `json:"app"`
	// Automated texts (consent confirmations, help reply) go out whatever the
	// consent status; staff texts only while it is yes.
	Automated bool `json:"automated"`
	// Hidden: not shown in the thread nor its export (the opt-out
	// confirmation); the audit shows it.
	Hidden bool `json:"hidden"`
	// AutoReply: the after-hours auto-reply (Automated too). Unlike consent's
	// texts it is checked at send time like a staff text (consent yes on the
	// same number, Messages on), and a thread has at most one per
	// autoreply.Every.
	AutoReply bool `json:"auto_reply,omitempty"`
	// TemplateID is the template the body was filled from (absent: none).
	TemplateID *uuid.UUID `json:"template_id,omitempty"`
	QueuedAt   time.Time  `json:"queued_at"`
	// SendAt is set when the text is a scheduled message released when due
	// (scheduled.go): the message exists already, and is now queued.
	SendAt time.Time `json:"send_at,omitzero"`
}

// OutboundSendAttempted: the sender is about to hand the message to Twilio
// (attempt 1, 2, ...). Status sending.
type OutboundSendAttempted struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	Attempt int       `json:"attempt"`
	At      time.Time `json:"occurred_at"`
}

// OutboundSendDeferred: the attempt failed in a way that proves Twilio did not
// take the message (an answer of 429 or 5xx, a refused connection), so it may
// be attempted again.
type OutboundSendDeferred struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	Attempt int `json:"attempt"`
	// HTTPStatus is Twilio's answer (0: no connection); ErrorCode Twilio's
	// error code when it gave one.
	HTTPStatus int    `json:"http_status,omitempty"`
	ErrorCode  int    `json:"error_code,omitempty"`
	Reason     string `json:"reason"`
	// RetryAt is the earliest time of the next attempt: the backoff, or
	// Twilio's Retry-After when it asked for longer. Zero in events recorded
	// before it was kept (attempt again at once).
	RetryAt time.Time `json:"retry_at,omitzero"`
	At      time.Time `json:"occurred_at"`
}

// OutboundSendOutcomeUnknown: the call of attempt Attempt ended without an
// answer that says whether Twilio took the message (a time-out, a connection
// dropped once the request was out, an answer without a SID). The message
// stays sending and is never attempted again: a status callback that names it
// (its StatusCallback URL carries the message ID) records Twilio's SID and
// status; if none comes in time, it fails with ReasonOutcomeUnknown.
type OutboundSendOutcomeUnknown struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	Attempt int       `json:"attempt"`
	Reason  string    `json:"reason"`
	At      time.Time `json:"occurred_at"`
}

// OutboundMessageSent: Twilio took the message and answered with its SID and
// its status then (TwilioStatus, usually "queued"; "sent" in the sandbox).
// Status is the message's status after it: at least sending.
type OutboundMessageSent struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	TwilioSID    string         `json:"twilio_sid"`
	TwilioStatus string         `json:"twilio_status,omitempty"`
	Status       OutboundStatus `json:"status"`
	ErrorCode    int            `json:"error_code,omitempty"`
	At           time.Time      `json:"occurred_at"`
}

// OutboundMessageStatusChanged: a Twilio status callback moved the message
// forward. Callbacks that would move it back decide nothing, so these events
// only ever climb (see OutboundStatus.Rank).
type OutboundMessageStatusChanged struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	TwilioSID string `json:"twilio_sid"`
	// TwilioStatus is the callback's MessageStatus; Status what it means here.
	TwilioStatus string         `json:"twilio_status"`
	Status       OutboundStatus `json:"status"`
	ErrorCode    int            `json:"error_code,omitempty"`
	At           time.Time      `json:"occurred_at"`
}

// OutboundMessageFailed: the message will not be sent, or Twilio refused it
// when asked (status failed, final). Reason says why, for a person: consent
// withdrawn before it went out, Twilio's refusal (ErrorCode, e.g. 21610),
// an attempt whose outcome is unknown (never sent again, to never send twice),
// or Twilio unavailable after every attempt.
type OutboundMessageFailed struct {
	MessageID uuid.UUID `json:"message_id"`
	Thread
	ErrorCode int    `json:"error_code,omitempty"`
	Reason    string `json:"reason"`
	// ReasonCode says why in a word a program can match (see the Reason*
	// constants); empty in events recorded before it was kept.
	ReasonCode string `json:"reason_code,omitempty"`
	// CarrierOptOut: Twilio refused because the customer opted out of texts
	// from this number at the carrier (error 21610: they replied STOP to
	// Twilio, and Twilio blocks every text until they reply START).
	CarrierOptOut bool      `json:"carrier_opt_out,omitempty"`
	At            time.Time `json:"occurred_at"`
}

func (OutboundMessageQueued) EventType() string        { return TypeOutboundMessageQueued }
func (OutboundSendAttempted) EventType() string        { return TypeOutboundSendAttempted }
func (OutboundSendDeferred) EventType() string         { return TypeOutboundSendDeferred }
func (OutboundMessageSent) EventType() string          { return TypeOutboundMessageSent }
func (OutboundMessageStatusChanged) EventType() string { return TypeOutboundMessageStatusChanged }
func (OutboundMessageFailed) EventType() string        { return TypeOutboundMessageFailed }
func (OutboundSendOutcomeUnknown) EventType() string   { return TypeOutboundSendOutcomeUnknown }

func (e OutboundMessageQueued) OccurredAt() time.Time        { return e.QueuedAt }
func (e OutboundSendAttempted) OccurredAt() time.Time        { return e.At }
func (e OutboundSendDeferred) OccurredAt() time.Time         { return e.At }
func (e OutboundMessageSent) OccurredAt() time.Time          { return e.At }
func (e OutboundMessageStatusChanged) OccurredAt() time.Time { return e.At }
func (e OutboundMessageFailed) OccurredAt() time.Time        { return e.At }
func (e OutboundSendOutcomeUnknown) OccurredAt() time.Time   { return e.At }
