package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// applyTeamInbox projects the team inbox's events of a conversation: the
// thread's assignee (threads.assignee_id) and its notes (the notes table).
// None of them touches a message, the preview, unread or the activity time.
func applyTeamInbox(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	ev, err := conversation.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case conversation.ThreadAssigned:
		_, err = tx.Exec(ctx, `UPDATE threads SET assignee_id = $2 WHERE id = $1`, ev.ThreadID, ev.AssigneeID)
	case conversation.ThreadUnassigned:
		_, err = tx.Exec(ctx, `UPDATE threads SET assignee_id = NULL WHERE id = $1`, ev.ThreadID)
	case conversation.NoteAdded:
		_, err = tx.Exec(ctx, `INSERT INTO notes (id, thread_id, company_id, author_id, body, created_at, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
			ev.NoteID, ev.ThreadID, ev.CompanyID, ev.AuthorID, ev.Body, ev.At, int64(e.Position))
	}
	if err != nil {
		return fmt.Errorf("%s on thread: %w", e.Type, err)
	}
	return nil
}
