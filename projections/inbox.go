package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Inbox projects conversations into threads and messages.
type Inbox struct{}

func (Inbox) Name() string     { return "inbox" }
func (Inbox) Tables() []string { return []string{"messages", "threads"} }

// previewLength is how much of the last message a thread shows.
const previewLength = 160

func preview(body string, media int) string {
	if body == "" && media > 0 {
		if media == 1 {
			return "[1 attachment]"
		}
		return fmt.Sprintf("[%d attachments]", media)
	}
	r := []rune(body)
	if len(r) > previewLength {
		return string(r[:previewLength-1]) + "…"
	}
	return body
}

func (Inbox) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	switch e.Type {
	case conversation.TypeMessageReceived, conversation.TypeThreadRead, conversation.TypeThreadMarkedUnread,
		conversation.TypeThreadArchived, conversation.TypeThreadUnarchived:
	default:
		return nil
	}
	ev, err := conversation.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case conversation.MessageReceived:
		return applyReceived(ctx, tx, ev, e.Position)
	case conversation.ThreadRead:
		return setThread(ctx, tx, ev.ThreadID, "unread = false")
	case conversation.ThreadMarkedUnread:
		return setThread(ctx, tx, ev.ThreadID, "unread = true")
	case conversation.ThreadArchived:
		return setThread(ctx, tx, ev.ThreadID, "archived = true")
	case conversation.ThreadUnarchived:
		return setThread(ctx, tx, ev.ThreadID, "archived = false")
	}
	return nil
}

func setThread(ctx context.Context, tx pgx.Tx, id fmt.Stringer, set string) error {
	_, err := tx.Exec(ctx, `UPDATE threads SET `+set+` WHERE id = $1`, id.String())
	return err
}

// applyReceived records an inbound message: the thread comes to the Inbox,
// unread, and its activity and last reply move forward (never back: a late
// event of an older message does not hide a newer one).
func applyReceived(ctx context.Context, tx pgx.Tx, m conversation.MessageReceived, pos eventstore.Position) error {
	media, err := json.Marshal(nonNilMedia(m.Media))
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `
INSERT INTO threads (id, company_id, customer_phone, unread, archived, last_activity_at, last_customer_reply_at, last_message_preview)
VALUES ($1, $2, $3, true, false, $4, $4, $5)
ON CONFLICT (id) DO UPDATE SET
    unread = true,
    archived = false,
    last_message_preview = CASE WHEN excluded.last_activity_at >= threads.last_activity_at
                                THEN excluded.last_message_preview ELSE threads.last_message_preview END,
    last_activity_at = greatest(threads.last_activity_at, excluded.last_activity_at),
    last_customer_reply_at = greatest(threads.last_customer_reply_at, excluded.last_customer_reply_at)`,
		m.ThreadID, m.CompanyID, string(m.CustomerPhone), m.ReceivedAt, preview(m.Body, len(m.Media)))
	if err != nil {
		return fmt.Errorf("thread %s: %w", m.ThreadID, err)
	}
	_, err = tx.Exec(ctx, `
INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, media, status, app, twilio_sid, created_at, position)
VALUES ($1, $2, $3, 'inbound', $4, $5, $6, $7, 'received', $8, $9, $10, $11)
ON CONFLICT (id) DO NOTHING`,
		m.MessageID, m.ThreadID, m.CompanyID, string(m.CustomerPhone), string(m.MessagingNumber), m.Body, media,
		m.App, m.MessageSID, m.ReceivedAt, int64(pos))
	if err != nil {
		return fmt.Errorf("message %s: %w", m.MessageID, err)
	}
	return nil
}

func nonNilMedia(m []conversation.Media) []conversation.Media {
	if m == nil {
		return []conversation.Media{}
	}
	return m
}
