package app

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/adapters/httpapi"
	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/adapters/scheduler"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/projections"
)

// scheduledCommands are the staff's use cases of scheduled messages.
func scheduledCommands(store eventstore.Store, now func() time.Time, ob observer) httpapi.ScheduledCommands {
	return httpapi.ScheduledCommands{
		Schedule: observed(ob, commands.NewScheduleOutboundHandler(store, now)),
		Cancel:   observed(ob, commands.NewCancelScheduledHandler(store, now)),
	}
}

// newScheduler wires the due-scheduler: the scheduled read model, the
// release command, a lock beside the pool, woken by the notifier and by the
// clock's timer.
func newScheduler(cfg Config, store eventstore.Store, notifier *projections.Notifier, ob observer) *scheduler.Scheduler {
	release := observed(ob, commands.NewReleaseScheduledHandler(store, cfg.Now))
	return scheduler.New(scheduler.Config{
		Queries: projections.Queries{Pool: cfg.Pool},
		Release: func(ctx context.Context, ref projections.ScheduledRef) (conversation.Event, error) {
			return release.Handle(ctx, commands.ReleaseScheduled{
				MessageRef: commands.MessageRef{CompanyID: ref.CompanyID, Customer: ref.Customer, MessageID: ref.MessageID}})
		},
		Lock:    checkpoint.LockerWith(cfg.Pool, cfg.Logger, checkpoint.ClaimTiming{}),
		Changed: notifier.Changed,
		Now:     cfg.Now,
		Alarm:   cfg.Alarm,
		Logger:  cfg.Logger,
	})
}
