package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// Scheduled projects the scheduled messages that wait for their send_at:
// a row when one is scheduled, gone once it is released or canceled. The
// due-scheduler (adapters/scheduler) reads it by send_at; the decision when
// one is due is taken on its conversation, never on this table, so a row
// that lags (released a moment ago) costs one release that decides nothing.
type Scheduled struct{}

func (Scheduled) Name() string     { return "scheduled" }
func (Scheduled) Tables() []string { return []string{"scheduled_messages"} }

func (Scheduled) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	switch e.Type {
	case conversation.TypeOutboundMessageScheduled, conversation.TypeOutboundMessageQueued, conversation.TypeOutboundMessageCanceled:
	default:
		return nil
	}
	ev, err := conversation.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case conversation.OutboundMessageScheduled:
		_, err = tx.Exec(ctx, `INSERT INTO scheduled_messages (message_id, company_id, customer_phone, send_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (message_id) DO NOTHING`, ev.MessageID, ev.CompanyID, string(ev.CustomerPhone), ev.SendAt)
	case conversation.OutboundMessageQueued:
		if ev.SendAt.IsZero() {
			return nil // a text queued at once was never scheduled
		}
		_, err = tx.Exec(ctx, `DELETE FROM scheduled_messages WHERE message_id = $1`, ev.MessageID)
	case conversation.OutboundMessageCanceled:
		_, err = tx.Exec(ctx, `DELETE FROM scheduled_messages WHERE message_id = $1`, ev.MessageID)
	}
	if err != nil {
		return fmt.Errorf("scheduled %s: %w", e.Type, err)
	}
	return nil
}

// ScheduledRef names a scheduled message that waits for its send_at.
type ScheduledRef struct {
	MessageID uuid.UUID
	CompanyID string
	Customer  phone.Number
	SendAt    time.Time
}

// DueScheduled lists at most limit scheduled messages due at now (send_at
// at or before it), the earliest first, across every company.
func (q Queries) DueScheduled(ctx context.Context, now time.Time, limit int) ([]ScheduledRef, error) {
	rows, err := q.Pool.Query(ctx, `SELECT message_id, company_id, customer_phone, send_at FROM scheduled_messages
		WHERE send_at <= $1 ORDER BY send_at, message_id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due scheduled messages: %w", err)
	}
	var out []ScheduledRef
	var r ScheduledRef
	_, err = pgx.ForEachRow(rows, []any{&r.MessageID, &r.CompanyID, &r.Customer, &r.SendAt}, func() error {
		r.SendAt = r.SendAt.UTC()
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("due scheduled messages: %w", err)
	}
	return out, nil
}

// NextSendAt is the earliest send_at after now of the scheduled messages;
// ok is false when none waits.
func (q Queries) NextSendAt(ctx context.Context, now time.Time) (next time.Time, ok bool, err error) {
	var at *time.Time
	if err := q.Pool.QueryRow(ctx, `SELECT min(send_at) FROM scheduled_messages WHERE send_at > $1`, now).Scan(&at); err != nil {
		return time.Time{}, false, fmt.Errorf("next scheduled message: %w", err)
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	return at.UTC(), true, nil
}
