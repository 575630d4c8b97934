package sender

import (
	"context"
	"time"

	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/adapters/transient"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// setAside records a queued text that the sender cannot handle (its event
// or its conversation cannot be read: a newer server wrote them during a
// rolling deploy, or a bug) in projection_poison, as the projectors do, and
// says so loudly; the sender goes on with every other text instead of
// trying that one for ever. The text is not sent. Once the cause is fixed,
// an operator re-queues it (a new message) from the row.
func (s *Sender) setAside(ctx context.Context, e eventstore.RecordedEvent, reason error) error {
	s.log.Error("an outbound text is set aside, not sent: the sender failed on it", "position", e.Position, "event_id", e.ID,
		"type", e.Type, "err", reason)
	return checkpoint.SetAside(ctx, s.cfg.Pool, Name, e, reason)
}

// setAsideJob sets a job's text aside, trying again while the database is
// away; an error only when the sender stopped first.
func (s *Sender) setAsideJob(ctx context.Context, j job, reason error) error {
	e := eventstore.RecordedEvent{Position: j.pos}
	e.ID, e.Type = j.eventID, conversation.TypeOutboundMessageQueued
	wait := s.cfg.Backoff
	for {
		err := s.setAside(ctx, e, reason)
		if err == nil {
			return nil
		}
		if !transient.Is(err) {
			s.log.Error("the set-aside text could not be recorded in projection_poison", "position", e.Position, "err", err)
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait = min(2*wait, s.cfg.MaxBackoff)
	}
}
