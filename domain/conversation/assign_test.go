package conversation_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	companyrole "github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// users are the company's current users (company.State.Users): Ann and Bob
// are agents, Cy a compliance officer, Lee has the light role (no Messages)
// and Liv live_chat (none either). "removed" and "other-co" are not there.
var users = map[string]companyrole.Role{
	"ann": companyrole.RoleAgent, "bob": companyrole.RoleAdmin, "cy": companyrole.RoleCompliance,
	"lee": companyrole.RoleLight, "liv": companyrole.RoleLiveChat,
}

func assignTo(user string, min int) conversation.Assign {
	return conversation.Assign{UserID: user, Users: users, By: "bob", At: at(min)}
}

func assignedTo(user string, min int) conversation.ThreadAssigned {
	return conversation.ThreadAssigned{Thread: thread, AssigneeID: user, By: "bob", At: at(min)}
}

func unassigned(previous string, min int) conversation.ThreadUnassigned {
	return conversation.ThreadUnassigned{Thread: thread, Previous: previous, By: "bob", At: at(min)}
}

// staffReply is queueMsg sent by user.
func staffReply(name, user string, min int) conversation.QueueMessage {
	c := queueMsg(name, min)
	c.SentBy = user
	return c
}

// replyAssigned is the ThreadAssigned of staff reply name by user.
func replyAssigned(name, user string, min int) conversation.ThreadAssigned {
	return conversation.ThreadAssigned{Thread: thread, AssigneeID: user, By: user, ReplyID: outID(name), At: at(min)}
}

// decideCase is one row of a rule table: given these events, when this
// command, then these events, or this error.
type decideCase struct {
	name  string
	given []conversation.Event
	when  conversation.Command
	then  []conversation.Event
	err   error
}

func runDecide(t *testing.T, tests []decideCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.given...), tt.when)
			if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.then) {
				t.Fatalf("events\n got %#v\nwant %#v", got, tt.then)
			}
		})
	}
}

func TestDecideAssignment(t *testing.T) {
	open := received("SM1", 0)
	automated := staffReply("auto", "", 3)
	automated.App, automated.Automated = "automated", true
	autoQueued := queued("auto", 3)
	autoQueued.App, autoQueued.Automated = "automated", true

	tests := []decideCase{
		{"Row 1: assign an unassigned thread", events(open), assignTo("ann", 1), events(assignedTo("ann", 1)), nil},
		{"Row 1: a compliance officer has Messages access", events(open), assignTo("cy", 1), events(assignedTo("cy", 1)), nil},
		{"Row 1: assigning oneself (By is the assignee)", events(open), conversation.Assign{UserID: "ann", Users: users, By: "ann", At: at(1)},
			events(conversation.ThreadAssigned{Thread: thread, AssigneeID: "ann", By: "ann", At: at(1)}), nil},
		{"Row 2: assign to the assignee again", events(open, assignedTo("ann", 1)), assignTo("ann", 2), nil, nil},
		{"Row 3: assign to someone else", events(open, assignedTo("ann", 1)), assignTo("cy", 2), events(assignedTo("cy", 2)), nil},
		{"Row 3: after an unassignment", events(open, assignedTo("ann", 1), unassigned("ann", 2)), assignTo("ann", 3), events(assignedTo("ann", 3)), nil},
		{"Row 4: an unknown user", events(open), assignTo("nobody", 1), nil, conversation.ErrInvalidAssignee},
		{"Row 4: a removed user (not among the current users)", events(open), assignTo("removed", 1), nil, conversation.ErrInvalidAssignee},
		{"Row 4: another company's user", events(open), assignTo("other-co", 1), nil, conversation.ErrInvalidAssignee},
		{"Row 4: the light role", events(open), assignTo("lee", 1), nil, conversation.ErrInvalidAssignee},
		{"Row 4: the live_chat role", events(open), assignTo("liv", 1), nil, conversation.ErrInvalidAssignee},
		{"Row 4: no user", events(open), assignTo("", 1), nil, conversation.ErrInvalidAssignee},
		{"Row 4: no users given", events(open), conversation.Assign{UserID: "ann", At: at(1)}, nil, conversation.ErrInvalidAssignee},
		{"Row 5: unassign", events(open, assignedTo("ann", 1)), conversation.Unassign{By: "bob", At: at(2)}, events(unassigned("ann", 2)), nil},
		{"Row 6: unassign an unassigned thread", events(open), conversation.Unassign{By: "bob", At: at(1)}, nil, nil},
		{"Row 6: unassign twice", events(open, assignedTo("ann", 1), unassigned("ann", 2)), conversation.Unassign{By: "bob", At: at(3)}, nil, nil},
		{"Row 7: a staff reply to an unassigned thread assigns it to the sender", events(open), staffReply("r1", "ann", 1),
			events(queued("r1", 1), replyAssigned("r1", "ann", 1)), nil},
		{"Row 7: also after an unassignment", events(open, assignedTo("cy", 1), unassigned("cy", 2)), staffReply("r1", "ann", 3),
			events(queued("r1", 3), replyAssigned("r1", "ann", 3)), nil},
		{"Row 8: a staff reply to an assigned thread", events(open, assignedTo("cy", 1)), staffReply("r1", "ann", 2), events(queued("r1", 2)), nil},
		{"Row 8: the assignee's own reply", events(open, assignedTo("ann", 1)), staffReply("r1", "ann", 2), events(queued("r1", 2)), nil},
		{"Row 8: an automated text", events(open), automated, events(autoQueued), nil},
		{"Row 8: a retried reply records nothing", events(open, queued("r1", 1), replyAssigned("r1", "ann", 1)), staffReply("r1", "ann", 1), nil, nil},
		{"Row 9: the assignee is removed", events(open, assignedTo("ann", 1)), conversation.ReleaseRemovedUser{UserID: "ann", At: at(2)},
			events(conversation.ThreadUnassigned{Thread: thread, Previous: "ann", Reason: conversation.UnassignedUserRemoved, At: at(2)}), nil},
		{"Row 10: another user is removed", events(open, assignedTo("ann", 1)), conversation.ReleaseRemovedUser{UserID: "cy", At: at(2)}, nil, nil},
		{"Row 10: a user is removed from an unassigned thread", events(open), conversation.ReleaseRemovedUser{UserID: "ann", At: at(2)}, nil, nil},
		{"Row 11: assign a missing thread", nil, assignTo("ann", 1), nil, conversation.ErrThreadNotFound},
		{"Row 11: unassign a missing thread", nil, conversation.Unassign{At: at(1)}, nil, conversation.ErrThreadNotFound},
		{"Row 11: release on a missing thread", nil, conversation.ReleaseRemovedUser{UserID: "ann", At: at(1)}, nil, conversation.ErrThreadNotFound},

		{"assign without time", events(open), conversation.Assign{UserID: "ann", Users: users}, nil, conversation.ErrInvalidCommand},
		{"unassign without time", events(open, assignedTo("ann", 1)), conversation.Unassign{}, nil, conversation.ErrInvalidCommand},
		{"release without a user", events(open, assignedTo("ann", 1)), conversation.ReleaseRemovedUser{At: at(2)}, nil, conversation.ErrInvalidCommand},
	}
	runDecide(t, tests)
}

func TestEvolveAssignment(t *testing.T) {
	open := received("SM1", 0)
	tests := []struct {
		name     string
		given    []conversation.Event
		assignee string
	}{
		{"a new thread is unassigned", events(open), ""},
		{"assigned", events(open, assignedTo("ann", 1)), "ann"},
		{"reassigned", events(open, assignedTo("ann", 1), assignedTo("cy", 2)), "cy"},
		{"unassigned", events(open, assignedTo("ann", 1), unassigned("ann", 2)), ""},
		{"by a reply", events(open, queued("r1", 1), replyAssigned("r1", "ann", 1)), "ann"},
		{"released", events(open, assignedTo("ann", 1),
			conversation.ThreadUnassigned{Thread: thread, Previous: "ann", Reason: conversation.UnassignedUserRemoved, At: at(2)}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := given(tt.given...)
			if s.AssigneeID != tt.assignee {
				t.Fatalf("AssigneeID %q, want %q", s.AssigneeID, tt.assignee)
			}
		})
	}
	// Assignment is not activity: it moves neither unread nor the time.
	before := given(open, conversation.ThreadRead{Thread: thread, At: at(1)})
	after := conversation.Evolve(conversation.Evolve(before, assignedTo("ann", 5)), unassigned("ann", 6))
	if after.Unread || !after.LastActivityAt.Equal(before.LastActivityAt) || after.Messages != before.Messages {
		t.Fatalf("assignment changed the thread: %+v", after)
	}
}

func TestAssignmentEventsRoundTrip(t *testing.T) {
	for _, e := range events(assignedTo("ann", 1), replyAssigned("r1", "ann", 2), unassigned("ann", 3),
		conversation.ThreadUnassigned{Thread: thread, Previous: "ann", Reason: conversation.UnassignedUserRemoved, At: at(4)}) {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		got, err := conversation.Decode(e.EventType(), data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, e) {
			t.Fatalf("round trip\n got %#v\nwant %#v", got, e)
		}
	}
	// A user's assignment names no reply; a reply's does.
	data, _ := json.Marshal(assignedTo("ann", 1))
	if want := `{"thread_id":"` + thread.ThreadID.String() + `","company_id":"company-1","customer_phone":"+12025550123","assignee_id":"ann","by":"bob","occurred_at":"` + at(1).Format(time.RFC3339) + `"}`; string(data) != want {
		t.Errorf("ThreadAssigned JSON\n got %s\nwant %s", data, want)
	}
}

func TestReplyAssignedEventID(t *testing.T) {
	a, b := conversation.ReplyAssignedEventID(outID("r1")), conversation.ReplyAssignedEventID(outID("r2"))
	if a == b || a == uuid.Nil || a != conversation.ReplyAssignedEventID(outID("r1")) || a == conversation.OutboundEventID(outID("r1")) {
		t.Fatalf("IDs %s %s", a, b)
	}
}
