package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Inbox projects conversations into threads and messages.
type Inbox struct{}

func (Inbox) Name() string     { return "inbox" }
func (Inbox) Tables() []string { return []string{"messages", "threads", "notes"} }

// previewLength is how much of the last message a thread shows.
const previewLength = 160

func preview(body string, media int) string {
	if body == "" && media > 0 {
		if media == 1 {
			return "[1 attachment]"
		}
		return fmt.Sprintf("[%d attachments]", media)
	}
	if utf8.RuneCountInString(body) <= previewLength {
		return body // most texts: no copy of the body as runes
	}
	return string([]rune(body)[:previewLength-1]) + "…"
}

// handles reports whether Apply does anything with events of this type:
// the one list both Apply and ApplyBatch go by.
func (Inbox) handles(eventType string) bool {
	switch eventType {
	case conversation.TypeThreadAssigned, conversation.TypeThreadUnassigned, conversation.TypeNoteAdded,
		conversation.TypeMessageReceived, conversation.TypeThreadRead, conversation.TypeThreadMarkedUnread,
		conversation.TypeThreadArchived, conversation.TypeThreadUnarchived,
		conversation.TypeOutboundMessageQueued, conversation.TypeOutboundSendAttempted, conversation.TypeOutboundMessageSent,
		conversation.TypeOutboundMessageStatusChanged, conversation.TypeOutboundMessageFailed,
		conversation.TypeOutboundMessageScheduled, conversation.TypeOutboundMessageCanceled:
		return true
	}
	return false
}

func (i Inbox) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if !i.handles(e.Type) {
		return nil
	}
	ev, err := conversation.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case conversation.ThreadAssigned, conversation.ThreadUnassigned, conversation.NoteAdded:
		return applyTeamInbox(ctx, tx, e)
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
	case conversation.OutboundMessageQueued:
		return applyQueued(ctx, tx, ev, e.Position)
	case conversation.OutboundSendAttempted:
		return setStatus(ctx, tx, ev.MessageID, conversation.StatusSending, 0, "")
	case conversation.OutboundMessageSent:
		return setStatus(ctx, tx, ev.MessageID, ev.Status, ev.ErrorCode, ev.TwilioSID)
	case conversation.OutboundMessageStatusChanged:
		return setStatus(ctx, tx, ev.MessageID, ev.Status, ev.ErrorCode, ev.TwilioSID)
	case conversation.OutboundMessageFailed:
		return setStatus(ctx, tx, ev.MessageID, conversation.StatusFailed, ev.ErrorCode, "")
	case conversation.OutboundMessageScheduled:
		return applyScheduled(ctx, tx, ev, e.Position)
	case conversation.OutboundMessageCanceled:
		return applyCanceled(ctx, tx, ev)
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

// applyQueued records an outbound message (status queued), or a scheduled
// one released (it was scheduled: it becomes queued, and takes its place in
// the thread at the time it left). Its thread, opened
// if need be (neither unread nor archived), keeps its unread and archived
// flags; its activity and preview move forward, unless the message is hidden
// (the opt-out confirmation is not shown in the thread, so it moves neither).
func applyQueued(ctx context.Context, tx pgx.Tx, m conversation.OutboundMessageQueued, pos eventstore.Position) error {
	shownPreview := ""
	if !m.Hidden {
		shownPreview = preview(m.Body, 0)
	}
	_, err := tx.Exec(ctx, `
INSERT INTO threads (id, company_id, customer_phone, unread, archived, last_activity_at, last_message_preview)
VALUES ($1, $2, $3, false, false, $4, $5)
ON CONFLICT (id) DO UPDATE SET
    last_message_preview = CASE WHEN $6 AND excluded.last_activity_at >= threads.last_activity_at
                                THEN excluded.last_message_preview ELSE threads.last_message_preview END,
    last_activity_at = CASE WHEN $6 THEN greatest(threads.last_activity_at, excluded.last_activity_at)
                            ELSE threads.last_activity_at END`,
		m.ThreadID, m.CompanyID, string(m.CustomerPhone), m.QueuedAt, shownPreview, !m.Hidden)
	if err != nil {
		return fmt.Errorf("thread %s: %w", m.ThreadID, err)
	}
	_, err = tx.Exec(ctx, `
INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, automated, app, hidden, created_at, position, send_at, template_id)
VALUES ($1, $2, $3, 'outbound', $4, $5, $6, 'queued', $7, $8, $9, $10, $11, $12, $13)
ON CONFLICT (id) DO UPDATE SET status = 'queued', created_at = excluded.created_at, position = excluded.position
    WHERE messages.status = 'scheduled'`,
		m.MessageID, m.ThreadID, m.CompanyID, string(m.From), string(m.To), m.Body, m.Automated, m.App, m.Hidden,
		m.QueuedAt, int64(pos), nullTime(m.SendAt), m.TemplateID)
	if err != nil {
		return fmt.Errorf("message %s: %w", m.MessageID, err)
	}
	return nil
}

// statusRank is conversation.OutboundStatus.Rank in SQL, for the column.
const statusRank = `(CASE status WHEN 'scheduled' THEN 0 WHEN 'queued' THEN 0 WHEN 'sending' THEN 1 WHEN 'sent' THEN 2 ELSE 3 END)`

// setStatus moves an outbound message's status forward only (a final status
// never changes), with Twilio's error code when the move carries one, and
// records its Twilio SID once known.
func setStatus(ctx context.Context, tx pgx.Tx, id uuid.UUID, status conversation.OutboundStatus, errorCode int, sid string) error {
	var code *int
	var twilioSID *string
	if errorCode != 0 {
		code = &errorCode
	}
	if sid != "" {
		twilioSID = &sid
	}
	_, err := tx.Exec(ctx, `
UPDATE messages SET
    error_code = CASE WHEN `+statusRank+` < $3 THEN coalesce($4::integer, error_code) ELSE error_code END,
    status = CASE WHEN `+statusRank+` < $3 THEN $2 ELSE status END,
    twilio_sid = coalesce(twilio_sid, $5)
WHERE id = $1 AND direction = 'outbound'`, id, string(status), status.Rank(), code, twilioSID)
	if err != nil {
		return fmt.Errorf("message %s: %w", id, err)
	}
	return nil
}
