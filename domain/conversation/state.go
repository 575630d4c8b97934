package conversation

import (
	"time"

	"github.com/google/uuid"
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
	// LastActivityAt is the time of the latest message (in or out).
	LastActivityAt time.Time
	// LastCustomerReplyAt is the time of the latest inbound message.
	LastCustomerReplyAt time.Time
	// Messages counts the messages recorded in the thread.
	Messages int

	sids sidSet
}

// Exists reports whether the thread has any event.
func (s State) Exists() bool { return s.ThreadID != uuid.Nil }

// HasMessage reports whether an inbound message with Twilio's MessageSid sid
// is recorded in the thread.
func (s State) HasMessage(sid string) bool { return s.sids.has(sid) }

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
		s.sids = s.sids.with(e.MessageSID)
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
	}
	return s
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// sidSet is an immutable set of Twilio message SIDs: with returns a new set and
// leaves the old one as it was, so States that share a set never see each
// other's additions. It is a linked list: adding costs O(1) (a replay is
// linear), looking up O(n), done once per decision. This is the same work as
// reading the stream, which a decision does anyway.
type sidSet struct {
	head *sidNode
}

type sidNode struct {
	sid  string
	next *sidNode
}

func (s sidSet) has(sid string) bool {
	for n := s.head; n != nil; n = n.next {
		if n.sid == sid {
			return true
		}
	}
	return false
}

func (s sidSet) with(sid string) sidSet {
	if sid == "" {
		return s
	}
	return sidSet{head: &sidNode{sid: sid, next: s.head}}
}
