package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// applyScheduled records a scheduled message (status scheduled, its send_at).
// Nothing has been sent: the thread's activity and preview stay as they
// are; a thread not seen yet opens at the time it was scheduled.
func applyScheduled(ctx context.Context, tx pgx.Tx, m conversation.OutboundMessageScheduled, pos eventstore.Position) error {
	_, err := tx.Exec(ctx, `
INSERT INTO threads (id, company_id, customer_phone, unread, archived, last_activity_at, last_message_preview)
VALUES ($1, $2, $3, false, false, $4, '')
ON CONFLICT (id) DO NOTHING`, m.ThreadID, m.CompanyID, string(m.CustomerPhone), m.ScheduledAt)
	if err != nil {
		return fmt.Errorf("thread %s: %w", m.ThreadID, err)
	}
	_, err = tx.Exec(ctx, `
INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, automated, app, hidden, created_at, position, send_at, template_id)
VALUES ($1, $2, $3, 'outbound', $4, $5, $6, 'scheduled', false, $7, false, $8, $9, $10, $11)
ON CONFLICT (id) DO NOTHING`,
		m.MessageID, m.ThreadID, m.CompanyID, string(m.From), string(m.To), m.Body, m.App, m.ScheduledAt, int64(pos), m.SendAt, m.TemplateID)
	if err != nil {
		return fmt.Errorf("message %s: %w", m.MessageID, err)
	}
	return nil
}

// applyCanceled makes a message canceled (final), with the reason.
func applyCanceled(ctx context.Context, tx pgx.Tx, m conversation.OutboundMessageCanceled) error {
	_, err := tx.Exec(ctx, `UPDATE messages SET status = 'canceled', cancel_reason = $2 WHERE id = $1 AND direction = 'outbound'`,
		m.MessageID, m.Reason)
	if err != nil {
		return fmt.Errorf("message %s: %w", m.MessageID, err)
	}
	return nil
}

// nullTime is t, or NULL for the zero Time.
func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
