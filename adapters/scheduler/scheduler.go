// Package scheduler is the due-scheduler: it wakes when a scheduled message
// is due and asks for its release (commands.ReleaseScheduled), which decides
// on the message's conversation whether it goes (queued: the outbound sender
// sends it) or is canceled. It is the only thing that looks at the clock for
// scheduled messages; the rules are the domain's.
//
// Once, across restarts and servers: one process at a time holds the
// scheduler's advisory lock (adapters/postgres/checkpoint's Lock; the others
// stand by and take over when its connection dies). Should two ever release
// one message at once all the same (a lock lost while a release was on its
// way), the release is one decision on the conversation, appended at the
// version it read with an event ID derived from the message: the stream
// records one. Nothing is lost on a restart: the read model of the messages
// waiting (projections.Scheduled) is in the database, and a message whose
// send_at passed while no server ran is released at the next start.
//
// When it wakes: at the earliest send_at of the read model (an alarm on the
// injected clock), whenever a read model moved on (projections.Notifier: a
// message scheduled earlier than the one it waits for), and after a failed
// release, with backoff.
package scheduler

import (
	"context"
	"log/slog"
	"time"

	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/projections"
)

// Name is the scheduler's lock.
const Name = "scheduler"

// Queries are the reads of the scheduled messages' read model.
type Queries interface {
	DueScheduled(ctx context.Context, now time.Time, limit int) ([]projections.ScheduledRef, error)
	NextSendAt(ctx context.Context, now time.Time) (time.Time, bool, error)
}

// Config configures a Scheduler.
type Config struct {
	Queries Queries
	// Release decides on a due message (commands.ReleaseScheduled): the
	// event it recorded, nil for none.
	Release func(ctx context.Context, ref projections.ScheduledRef) (conversation.Event, error)
	// Lock makes one process at a time run the scheduler.
	Lock checkpoint.Lock
	// Changed returns a channel closed when a read model moves on
	// (projections.Notifier.Changed); nil: only the timer wakes it.
	Changed func() <-chan struct{}
	// Now is the clock (time.Now); Alarm fires once the clock reads a given
	// instant (a wall-clock timer). An alarm at an instant, rather than a
	// timer of a duration, leaves no gap between reading the clock and
	// setting the timer: tests pass a clock they move by hand, whose alarms
	// go off as it moves.
	Now   func() time.Time
	Alarm func(time.Time) <-chan time.Time
	// Batch is how many due messages one look releases (100); Backoff the
	// first wait after a failure (500 ms), doubled up to MaxBackoff (30 s).
	Batch               int
	Backoff, MaxBackoff time.Duration
	// LookGap is the wait after a read model's change before the next look
	// (50 ms): one look serves a burst of commits.
	LookGap time.Duration
	Logger  *slog.Logger
}

// Scheduler releases scheduled messages when they are due.
type Scheduler struct {
	cfg Config
	log *slog.Logger
}

// New makes a Scheduler.
func New(cfg Config) *Scheduler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Alarm == nil {
		cfg.Alarm = func(at time.Time) <-chan time.Time { return time.After(time.Until(at)) }
	}
	if cfg.Changed == nil {
		cfg.Changed = func() <-chan struct{} { return nil }
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 500 * time.Millisecond
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.LookGap <= 0 {
		cfg.LookGap = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Scheduler{cfg: cfg, log: cfg.Logger.With("component", Name)}
}

// Run releases due messages until ctx ends, whenever this process holds the
// scheduler's lock; it returns nil once ctx has ended.
func (s *Scheduler) Run(ctx context.Context) error {
	wait := s.cfg.Backoff
	for ctx.Err() == nil {
		claimed, release, err := s.cfg.Lock(ctx, Name)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			s.log.Warn("cannot claim the scheduler; trying again", "err", err, "retry_in", wait)
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
			wait = min(2*wait, s.cfg.MaxBackoff)
			continue
		}
		wait = s.cfg.Backoff
		s.serve(claimed)
		release()
	}
	return nil
}

// serve releases what is due, then waits for the next send_at or a change,
// for as long as ctx (the claim) lasts.
func (s *Scheduler) serve(ctx context.Context) {
	failures := 0
	for ctx.Err() == nil {
		// Taken before the reads: a change during them still wakes us.
		changed := s.cfg.Changed()
		now := s.cfg.Now()
		more, err := s.releaseDue(ctx, now)
		var retry <-chan time.Time
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			wait := min(s.cfg.Backoff<<min(failures-1, 16), s.cfg.MaxBackoff)
			s.log.Warn("releasing scheduled messages failed; trying again", "err", err, "retry_in", wait)
			retry = time.After(wait)
		} else {
			failures = 0
			if more {
				continue
			}
		}
		var timer <-chan time.Time
		next, ok, err := s.cfg.Queries.NextSendAt(ctx, now)
		switch {
		case err != nil && retry == nil:
			retry = time.After(s.cfg.Backoff)
		case ok:
			timer = s.cfg.Alarm(next)
		}
		select {
		case <-ctx.Done():
		case <-changed:
			// Every read model's commits wake it, most of them about
			// other things: look at most once per LookGap for them.
			select {
			case <-time.After(s.cfg.LookGap):
			case <-timer:
			case <-ctx.Done():
			}
		case <-timer:
		case <-retry:
		}
	}
}

// releaseDue releases the messages due at now, a batch at a time; more is
// true when the batch was full (look again at once).
func (s *Scheduler) releaseDue(ctx context.Context, now time.Time) (more bool, err error) {
	due, err := s.cfg.Queries.DueScheduled(ctx, now, s.cfg.Batch)
	if err != nil {
		return false, err
	}
	var failed error
	decided := 0
	for _, ref := range due {
		ev, err := s.cfg.Release(ctx, ref)
		if err != nil {
			if ctx.Err() != nil {
				return false, err // stopping, or the claim ended: the next claim looks again
			}
			s.log.Error("a due message was not released", "message_id", ref.MessageID, "err", err)
			failed = err
			continue
		}
		if ev != nil {
			decided++
		}
		switch ev := ev.(type) {
		case conversation.OutboundMessageQueued:
			s.log.Info("scheduled message released for sending", "message_id", ref.MessageID, "send_at", ref.SendAt)
		case conversation.OutboundMessageCanceled:
			s.log.Info("scheduled message canceled when due", "message_id", ref.MessageID, "reason", ev.Reason, "why", ev.Explanation)
		}
	}
	// A full batch read again at once must have moved: one that failed, or
	// whose rows the read model still holds though they were decided
	// already (it lags), waits for a change or a retry instead.
	return failed == nil && decided > 0 && len(due) == s.cfg.Batch, failed
}
