package conversation

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
)

// Assignment (the team inbox). A thread has at most one assignee: a current
// user of the company whose role has Messages access. The rules, one row of
// TestDecideAssignment each:
//
//	Row 1  Assign to a current user with Messages access   → ThreadAssigned
//	Row 2  Assign to the user it is assigned to already    → nothing
//	Row 3  Assign to someone else while assigned           → ThreadAssigned (the new one)
//	Row 4  Assign to an unknown, removed or another
//	       company's user, or a role without Messages      → ErrInvalidAssignee
//	Row 5  Unassign an assigned thread                     → ThreadUnassigned
//	Row 6  Unassign an unassigned thread                   → nothing
//	Row 7  A staff reply to an unassigned thread           → OutboundMessageQueued, ThreadAssigned
//	       (the sender), in the same append
//	Row 8  A staff reply to an assigned thread, or an
//	       automated text                                  → OutboundMessageQueued only
//	Row 9  The assignee is removed from the company        → ThreadUnassigned (reason user_removed)
//	Row 10 Another user is removed                         → nothing
//	Row 11 Any of them on a thread that does not exist     → ErrThreadNotFound
//
// The company's users are another stream: the caller reads them from the
// company's stream (not a read model, which may lag) and gives them with
// the command (Assign.Users), and the decision is made here.

// ErrInvalidAssignee: the user named is not one a thread may be assigned to
// (not a current user of the company, or a role without Messages access).
var ErrInvalidAssignee = errors.New("invalid assignee")

// Reasons of a ThreadUnassigned that no one asked for.
const (
	// UnassignedUserRemoved: the assignee was removed from the company.
	UnassignedUserRemoved = "user_removed"
)

// Assign makes UserID the thread's assignee. Users are the company's current
// users and their roles (company.State.Users), from the company's stream.
type Assign struct {
	UserID string
	Users  map[string]company.Role
	// By is the user who assigns (their ID); may be empty (the system).
	By string
	At time.Time
}

// Unassign leaves the thread without an assignee.
type Unassign struct {
	By string
	At time.Time
}

// ReleaseRemovedUser unassigns the thread if UserID, who was removed from
// the company, is its assignee (a reaction to company.UserRemoved).
type ReleaseRemovedUser struct {
	UserID string
	At     time.Time
}

func (Assign) isCommand()             {}
func (Unassign) isCommand()           {}
func (ReleaseRemovedUser) isCommand() {}

// Event types of assignment.
const (
	TypeThreadAssigned   = "ThreadAssigned"
	TypeThreadUnassigned = "ThreadUnassigned"
)

// ThreadAssigned: the thread's assignee is now AssigneeID. ReplyID names the
// staff reply that assigned the thread to its sender (Row 7); nil when a user
// assigned it.
type ThreadAssigned struct {
	Thread
	AssigneeID string    `json:"assignee_id"`
	By         string    `json:"by,omitempty"`
	ReplyID    uuid.UUID `json:"reply_id,omitzero"`
	At         time.Time `json:"occurred_at"`
}

// ThreadUnassigned: the thread has no assignee any more. Previous was its
// assignee; Reason is empty when a user unassigned it, else why
// (UnassignedUserRemoved).
type ThreadUnassigned struct {
	Thread
	Previous string    `json:"previous_assignee_id"`
	By       string    `json:"by,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	At       time.Time `json:"occurred_at"`
}

func (ThreadAssigned) EventType() string   { return TypeThreadAssigned }
func (ThreadUnassigned) EventType() string { return TypeThreadUnassigned }

func (e ThreadAssigned) OccurredAt() time.Time   { return e.At }
func (e ThreadUnassigned) OccurredAt() time.Time { return e.At }

// assignEventNamespace derives the ID of the ThreadAssigned of a staff reply
// from the reply's message ID. It must never change.
var assignEventNamespace = uuid.MustParse("0b8f2f5e-71a4-4c1e-9a53-4d8b2f0c6e17")

// ReplyAssignedEventID is the event ID of the ThreadAssigned that staff
// reply messageID recorded (a UUID v5), so that a retried reply records its
// assignment once, like its OutboundMessageQueued (OutboundEventID).
func ReplyAssignedEventID(messageID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(assignEventNamespace, messageID[:])
}

// Row 1 to 4.
func assign(s State, c Assign) ([]Event, error) {
	if err := onThread(s, c.At); err != nil {
		return nil, err
	}
	role, ok := c.Users[c.UserID]
	if c.UserID == "" || !ok || !role.CanUseMessages() {
		return nil, fmt.Errorf("%w: %q is not a current user of the company with access to Messages", ErrInvalidAssignee, c.UserID)
	}
	if s.AssigneeID == c.UserID {
		return nil, nil
	}
	return []Event{ThreadAssigned{Thread: s.Thread, AssigneeID: c.UserID, By: c.By, At: c.At}}, nil
}

// Row 5 and 6.
func unassign(s State, c Unassign) ([]Event, error) {
	if err := onThread(s, c.At); err != nil {
		return nil, err
	}
	if s.AssigneeID == "" {
		return nil, nil
	}
	return []Event{ThreadUnassigned{Thread: s.Thread, Previous: s.AssigneeID, By: c.By, At: c.At}}, nil
}

// Row 9 and 10.
func releaseRemovedUser(s State, c ReleaseRemovedUser) ([]Event, error) {
	if err := onThread(s, c.At); err != nil {
		return nil, err
	}
	if c.UserID == "" {
		return nil, invalid("user ID")
	}
	if s.AssigneeID != c.UserID {
		return nil, nil
	}
	return []Event{ThreadUnassigned{Thread: s.Thread, Previous: c.UserID, Reason: UnassignedUserRemoved, At: c.At}}, nil
}

// replyAssigns is Row 7 and 8: the ThreadAssigned that a staff reply q by
// sentBy records beside its OutboundMessageQueued, when the thread (in state
// s, before the reply) has no assignee; nil otherwise.
func replyAssigns(s State, q OutboundMessageQueued, sentBy string) []Event {
	if q.Automated || sentBy == "" || s.AssigneeID != "" {
		return nil
	}
	return []Event{ThreadAssigned{Thread: q.Thread, AssigneeID: sentBy, By: sentBy, ReplyID: q.MessageID, At: q.QueuedAt}}
}

// onThread checks what every command on an existing thread needs.
func onThread(s State, at time.Time) error {
	if !s.Exists() {
		return ErrThreadNotFound
	}
	if at.IsZero() {
		return invalid("time")
	}
	return nil
}
