package projections

import (
	"context"
	"fmt"
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
// command that appended it (commands.AssignThread reads the company again).
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

func (r UnassignRemovedReactor) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if e.Type != company.TypeUserRemoved {
		return nil
	}
	ev, err := company.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	removal := ev.(company.UserRemoved)
	if err := waitForCheckpoint(ctx, tx, Inbox{}.Name(), e.Position, r.MaxWait); err != nil {
		return err
	}
	customers, err := Queries{}.AssignedTo(ctx, tx, removal.CompanyID, removal.UserID)
	if err != nil {
		return err
	}
	for _, c := range customers {
		if err := r.Release(ctx, removal, e, phone.Number(c)); err != nil {
			return fmt.Errorf("release the thread of %s from removed user %s: %w", c, removal.UserID, err)
		}
	}
	return nil
}
