package projections

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// ThreadReleaser unassigns the thread of customer from the user whom
// removal removed from its company (conversation.ReleaseRemovedUser). It
// must be idempotent: the reactor may call it again after a crash.
type ThreadReleaser func(ctx context.Context, removal company.UserRemoved, cause eventstore.RecordedEvent, customer phone.Number) error

// UnassignRemovedReactor makes a removed user's threads unassigned: on
// UserRemoved it waits for the inbox read model to hold every event up to
// the removal, finds the threads assigned to that user there and calls
// Release for each, so that each conversation records its ThreadUnassigned
// (reason user_removed). Like ConsentNumberReactor it runs in the Runner
// (its checkpoint, its lock, one instance, retries), owns no table and is
// not in All(): a rebuild replays read models, not reactions.
//
// An assignment decided on the company's users as they were just before the
// removal, and appended after this reactor looked, is released by the
// command that appended it (commands.AssignThreadHandler reads the company again).
type UnassignRemovedReactor struct {
	Release ThreadReleaser
	// MaxWait bounds the wait for the inbox projector (30 s); past it Apply
	// fails and the Runner retries.
	MaxWait time.Duration
}

// UnassignRemovedReactorName is the reactor's name (checkpoint and lock).
const UnassignRemovedReactorName = "unassign-removed-users"

func (UnassignRemovedReactor) Name() string     { return UnassignRemovedReactorName }
func (UnassignRemovedReactor) Tables() []string { return nil }

// Handles makes the reactor Selective: Apply acts on UserRemoved only.
func (UnassignRemovedReactor) Handles(eventType string) bool {
	return eventType == company.TypeUserRemoved
}

func (r UnassignRemovedReactor) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	removal, ok, err := companyEvent[company.UserRemoved](e, company.TypeUserRemoved)
	if err != nil || !ok {
		return err
	}
	return eachCustomer(ctx, tx, e, Inbox{}.Name(), r.MaxWait,
		func() ([]string, error) { return Queries{}.AssignedTo(ctx, tx, removal.CompanyID, removal.UserID) },
		func(c phone.Number) error { return r.Release(ctx, removal, e, c) })
}
