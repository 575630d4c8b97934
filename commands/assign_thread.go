package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// AssignThread asks to assign a thread to a user of its company, or to
// unassign it (POST /api/threads/{thread_id}/assign).
type AssignThread struct {
	CompanyID string
	Customer  phone.Number
	// UserID is the assignee; nil leaves the thread unassigned.
	UserID *string
	// By is the user who asks.
	By string
}

// AssignThreadHandler assigns threads.
type AssignThreadHandler struct {
	store eventstore.Store
	now   func() time.Time
}

// NewAssignThreadHandler returns a handler that records in store.
func NewAssignThreadHandler(store eventstore.Store, now func() time.Time) *AssignThreadHandler {
	return &AssignThreadHandler{store: store, now: now}
}

// Handle makes UserID the assignee of the thread of the company and
// customer, or, with UserID nil, leaves it unassigned. The
// company's current users are read from its stream (never a read model,
// which may lag), so a user removed a moment ago is refused at once
// (conversation.ErrInvalidAssignee).
//
// A removal appended between that read and the assignment's append would
// leave the thread assigned to a removed user, where the reactor that
// releases a removed user's threads (projections.UnassignRemovedReactor) may
// already have looked: so the company is read again after the append, and a
// removal found then releases the thread here.
func (h *AssignThreadHandler) Handle(ctx context.Context, cmd AssignThread) (eventstore.Position, error) {
	companyID, customer, userID, by := cmd.CompanyID, cmd.Customer, cmd.UserID, cmd.By
	stream := conversation.StreamID(companyID, customer)
	meta := eventstore.Metadata{Actor: "user:" + by}
	if userID == nil {
		res, err := Execute(ctx, h.store, conversationDecider, stream, conversation.Command(conversation.Unassign{By: by, At: h.now().UTC()}), meta)
		if err != nil {
			return 0, fmt.Errorf("unassign thread: %w", err)
		}
		return res.Position, nil
	}
	co, err := LoadCompany(ctx, h.store, companyID)
	if err != nil {
		return 0, err
	}
	assign := conversation.Assign{UserID: *userID, Users: co.Users(), By: by, At: h.now().UTC()}
	res, err := Execute(ctx, h.store, conversationDecider, stream, conversation.Command(assign), meta)
	if err != nil {
		return 0, fmt.Errorf("assign thread: %w", err)
	}
	if len(res.Events) == 0 {
		return res.Position, nil
	}
	return releaseIfRemoved(ctx, h.store, h.now, companyID, customer, *userID, res.Position)
}

// releaseIfRemoved unassigns the thread from userID when the company's
// stream says that user is no longer one of its users; it answers the
// position to wait for (pos when nothing changed).
func releaseIfRemoved(ctx context.Context, store eventstore.Store, now func() time.Time, companyID string, customer phone.Number, userID string, pos eventstore.Position) (eventstore.Position, error) {
	co, err := LoadCompany(ctx, store, companyID)
	if err != nil {
		return 0, err
	}
	if _, current := co.UserRole(userID); current {
		return pos, nil
	}
	res, err := NewReleaseRemovedUserHandler(store).Handle(ctx, ReleaseRemovedUser{CompanyID: companyID, Customer: customer, UserID: userID, At: now().UTC()})
	if err != nil {
		return 0, err
	}
	return max(pos, res), nil
}
