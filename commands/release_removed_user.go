package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// systemActor is the actor of what smsinbox itself records.
const systemActor = "system"

// ReleaseRemovedUser asks to unassign a thread from a user who was removed
// from its company (projections.UnassignRemovedReactor, and AssignThread
// when the removal raced it).
type ReleaseRemovedUser struct {
	CompanyID string
	Customer  phone.Number
	UserID    string
	// At is the time of the release: the removal's, when the reactor asks.
	At time.Time
	// CausedBy is the removal event's ID ("" when none).
	CausedBy string
}

// ReleaseRemovedUserHandler releases removed users' threads. It takes no
// clock: the time comes with the command.
type ReleaseRemovedUserHandler struct {
	store eventstore.Store
}

// NewReleaseRemovedUserHandler returns a handler that records in store.
func NewReleaseRemovedUserHandler(store eventstore.Store) *ReleaseRemovedUserHandler {
	return &ReleaseRemovedUserHandler{store: store}
}

// Handle unassigns the thread if it is assigned to cmd.UserID. It records
// nothing when the thread has another assignee or none, so it may run again.
func (h *ReleaseRemovedUserHandler) Handle(ctx context.Context, cmd ReleaseRemovedUser) (eventstore.Position, error) {
	release := conversation.ReleaseRemovedUser{UserID: cmd.UserID, At: cmd.At}
	meta := eventstore.Metadata{Actor: systemActor, CausationID: cmd.CausedBy}
	res, err := Execute(ctx, h.store, conversationDecider, conversation.StreamID(cmd.CompanyID, cmd.Customer), conversation.Command(release), meta)
	if err != nil {
		return 0, fmt.Errorf("release the thread of removed user %s: %w", cmd.UserID, err)
	}
	return res.Position, nil
}
