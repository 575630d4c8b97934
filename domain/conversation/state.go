package conversation

import (
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/idset"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// State is a thread as its events describe it. The zero State is a thread that
// does not exist yet (no event). A State is a value: Evolve never changes the
// State it is given, so a State may be kept, shared and evolved again.
//
// New facts (outbound messages, a linked lead) are added as fields here and
// cases in Evolve; existing fields keep their meaning.
type State struct {
	Thread
	// Unread: the customer wrote since staff last read the thread.
	Unread bool
	// Archived: the thread is in Archived rather than the Inbox.
	Archived bool
	// LastActivityAt is the time of the latest message (in or out) the
	// thread shows: a hidden outbound message does not move it.
	LastActivityAt time.Time
	// LastCustomerReplyAt is the time of the latest inbound message.
	LastCustomerReplyAt time.Time
	// Messages counts the messages recorded in the thread, in and out.
	Messages int
	// LastAutoReplyAt is when the thread's last after-hours auto-reply was
	// queued (zero: none).
	LastAutoReplyAt time.Time
	// AssigneeID is the user the thread is assigned to; empty for none.
	AssigneeID string
	// Notes counts the staff notes on the thread (never messages).
	Notes int

	sids     idset.Set
	notes    idset.Set // note IDs
	outbound outboundList
	// optOuts are the MessageSids of the customer's opt-out texts (STOP and
	// its synonyms, or Twilio's OptOutType STOP), newest first.
	optOuts []string
}

// OptOuts returns the MessageSids of the customer's opt-out texts in this
// thread (consent.InboundKeyword is consent.OptOut), newest first.
func (s State) OptOuts() []string { return slices.Clone(s.optOuts) }

// Exists reports whether the thread has any event.
func (s State) Exists() bool { return s.ThreadID != uuid.Nil }

// HasMessage reports whether an inbound message with Twilio's MessageSid sid
// is recorded in the thread.
func (s State) HasMessage(sid string) bool { return s.sids.Has(sid) }

// Outbound returns the outbound message with ID id as its events describe it.
func (s State) Outbound(id uuid.UUID) (OutboundMessage, bool) { return s.outbound.get(id) }

// CallsUnderWay returns the texts bound by consent (ConsentBound) whose call to Twilio
// may be under way: an attempt in flight, made at or after since, whose call
// is not known to have ended. An opt-out's webhook waits for them, so that no
// staff text reaches Twilio after it answered (commands.ReceiveInbound).
func (s State) CallsUnderWay(since time.Time) []uuid.UUID {
	var out []uuid.UUID
	for m := range s.outbound.latest {
		if m.ConsentBound() && m.InFlight && !m.OutcomeUnknown && !m.LastAttemptAt.Before(since) {
			out = append(out, m.MessageID)
		}
	}
	return out
}

// OutboundMessage is one outbound message of a thread.
type OutboundMessage struct {
	MessageID uuid.UUID
	From, To  phone.Number
	Body      string
	App       string
	Automated bool
	Hidden    bool
	// AutoReply: the after-hours auto-reply; see ConsentBound.
	AutoReply bool
	QueuedAt  time.Time
	Status    OutboundStatus
	// SID is Twilio's SID, once its answer is recorded; ErrorCode Twilio's
	// latest error code (0 for none).
	SID       string
	ErrorCode int
	// Attempts counts the send attempts recorded. InFlight: the last one has
	// no outcome recorded, so Twilio may or may not have the message.
	Attempts int
	InFlight bool
	// OutcomeUnknown: the call of the attempt in flight ended without an
	// answer that says whether Twilio took it (OutboundSendOutcomeUnknown);
	// false while the call may still be going on.
	OutcomeUnknown bool
	// FirstAttemptAt and LastAttemptAt are the times of the first and the
	// latest attempt (zero before any).
	FirstAttemptAt, LastAttemptAt time.Time
	// RetryAt is the earliest time of the next attempt after Twilio did not
	// take the last one (zero: at once).
	RetryAt time.Time
	// SendAt is when a scheduled message is due (zero for a text queued to
	// go at once); CancelReason why a canceled one was (Cancel* constants).
	SendAt       time.Time
	CancelReason string
	// TemplateID is the template the body was filled from (nil: none).
	TemplateID *uuid.UUID
}

// ConsentBound reports whether the message may go only while the customer's
// consent allows a staff text: staff texts, and the after-hours auto-reply
// (automated, but no answer that consent requires). Consent's own automated
// texts go out whatever consent says.
func (m OutboundMessage) ConsentBound() bool { return !m.Automated || m.AutoReply }

// WaitsToBeSent reports whether the sender may attempt the message: it is
// not final, not scheduled (not released yet), no attempt is in flight and
// Twilio has not named it.
func (m OutboundMessage) WaitsToBeSent() bool {
	return !m.Status.Final() && m.Status != StatusScheduled && !m.InFlight && m.SID == ""
}

// Evolve returns the state after event e. An event of a type it does not know
// leaves the state as it was.
func Evolve(s State, e Event) State {
	switch e := e.(type) {
	case MessageReceived:
		s.Thread = e.Thread
		s.Unread = true
		s.Archived = false
		s.LastActivityAt = later(s.LastActivityAt, e.ReceivedAt)
		s.LastCustomerReplyAt = later(s.LastCustomerReplyAt, e.ReceivedAt)
		s.Messages++
		s.sids = s.sids.With(e.MessageSID)
		if consent.InboundKeyword(e.Body, e.OptOutType) == consent.OptOut {
			s.optOuts = append([]string{e.MessageSID}, s.optOuts...)
		}
	case ThreadRead:
		s.Thread = e.Thread
		s.Unread = false
	case ThreadMarkedUnread:
		s.Thread = e.Thread
		s.Unread = true
	case ThreadArchived:
		s.Thread = e.Thread
		s.Archived = true
	case ThreadUnarchived:
		s.Thread = e.Thread
		s.Archived = false
	case OutboundMessageScheduled:
		s.Thread = e.Thread
		s.Messages++
		s.outbound = s.outbound.with(OutboundMessage{
			MessageID: e.MessageID, From: e.From, To: e.To, Body: e.Body, App: e.App,
			TemplateID: e.TemplateID, QueuedAt: e.ScheduledAt, SendAt: e.SendAt, Status: StatusScheduled,
		})
	case OutboundMessageCanceled:
		s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
			m.Status, m.CancelReason = StatusCanceled, e.Reason
		})
	case ThreadAssigned:
		s.Thread = e.Thread
		s.AssigneeID = e.AssigneeID
	case ThreadUnassigned:
		s.Thread = e.Thread
		s.AssigneeID = ""
	case NoteAdded:
		s.Thread = e.Thread
		s.Notes++
		s.notes = s.notes.With(e.NoteID.String())
	case OutboundMessageQueued:
		s.Thread = e.Thread
		if !e.Hidden {
			s.LastActivityAt = later(s.LastActivityAt, e.QueuedAt)
		}
		if _, scheduled := s.outbound.get(e.MessageID); scheduled {
			// A scheduled message released: the same message, now queued.
			s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
				m.Status, m.QueuedAt = StatusQueued, e.QueuedAt
			})
			break
		}
		s.Messages++
		s.outbound = s.outbound.with(OutboundMessage{
			MessageID: e.MessageID, From: e.From, To: e.To, Body: e.Body, App: e.App,
			Automated: e.Automated, Hidden: e.Hidden, AutoReply: e.AutoReply, TemplateID: e.TemplateID,
			QueuedAt: e.QueuedAt, Status: StatusQueued,
		})
		if e.AutoReply {
			s.LastAutoReplyAt = later(s.LastAutoReplyAt, e.QueuedAt)
		}
	case OutboundSendAttempted:
		s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
			m.Attempts, m.InFlight, m.OutcomeUnknown = e.Attempt, true, false
			m.Status = higher(m.Status, StatusSending)
			if m.FirstAttemptAt.IsZero() {
				m.FirstAttemptAt = e.At
			}
			m.LastAttemptAt, m.RetryAt = e.At, time.Time{}
		})
	case OutboundSendDeferred:
		s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
			m.InFlight, m.OutcomeUnknown, m.RetryAt = false, false, e.RetryAt
		})
	case OutboundSendOutcomeUnknown:
		s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
			if m.InFlight {
				m.OutcomeUnknown = true
			}
		})
	case OutboundMessageSent:
		s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
			m.InFlight, m.OutcomeUnknown, m.SID = false, false, e.TwilioSID
			m.Status = higher(m.Status, e.Status)
			if e.ErrorCode != 0 {
				m.ErrorCode = e.ErrorCode
			}
		})
	case OutboundMessageStatusChanged:
		s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
			if m.SID == "" { // Twilio has it: no attempt is in doubt
				m.SID, m.InFlight, m.OutcomeUnknown = e.TwilioSID, false, false
			}
			if e.Status.Rank() > m.Status.Rank() {
				m.Status = e.Status
				if e.ErrorCode != 0 {
					m.ErrorCode = e.ErrorCode
				}
			}
		})
	case OutboundMessageFailed:
		s.outbound = s.outbound.update(e.MessageID, func(m *OutboundMessage) {
			m.InFlight, m.OutcomeUnknown = false, false
			if !m.Status.Final() {
				m.Status, m.ErrorCode = StatusFailed, e.ErrorCode
			}
		})
	}
	return s
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// outboundList is an immutable list of a thread's outbound messages, newest
// version first, for the same reasons as idset.Set: with and update return a
// new list (a node in front holds a message's new version and hides the old
// one) and leave the old list as it was. get costs O(n), once per decision.
type outboundList struct {
	head *outboundNode
}

type outboundNode struct {
	msg  OutboundMessage
	next *outboundNode
}

func (l outboundList) get(id uuid.UUID) (OutboundMessage, bool) {
	for n := l.head; n != nil; n = n.next {
		if n.msg.MessageID == id {
			return n.msg, true
		}
	}
	return OutboundMessage{}, false
}

// latest yields each message's newest version, newest message first.
func (l outboundList) latest(yield func(OutboundMessage) bool) {
	seen := map[uuid.UUID]bool{}
	for n := l.head; n != nil; n = n.next {
		if seen[n.msg.MessageID] {
			continue // an older version of a message already looked at
		}
		seen[n.msg.MessageID] = true
		if !yield(n.msg) {
			return
		}
	}
}

func (l outboundList) with(m OutboundMessage) outboundList {
	return outboundList{head: &outboundNode{msg: m, next: l.head}}
}

// update returns the list with message id changed by f; the list as it was
// when there is no such message.
func (l outboundList) update(id uuid.UUID, f func(*OutboundMessage)) outboundList {
	m, ok := l.get(id)
	if !ok {
		return l
	}
	f(&m)
	return l.with(m)
}
