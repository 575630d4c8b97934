package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ExportRow is one message as the CSV exports need it.
type ExportRow struct {
	ID            uuid.UUID
	ThreadID      uuid.UUID
	CreatedAt     time.Time
	CustomerPhone string
	CustomerName  *string // the linked lead's name, nil without a lead
	From          string
	To            string
	Direction     string
	Status        string
	Body          string
	// Position is the log position of the event that recorded the message:
	// with CreatedAt, the export's order and its page cursor.
	Position int64
}

// ExportScope says which messages an export reads.
type ExportScope struct {
	// ThreadID, when set, limits the export to the messages that thread
	// shows (hidden ones left out); when nil, every message of the company,
	// hidden ones included (Download All is the company's record).
	ThreadID *uuid.UUID
}

// ExportCursor is where a page of an export ended: the (created_at,
// position) of its last message. The zero cursor lies before every message.
type ExportCursor struct {
	CreatedAt time.Time
	Position  int64
}

// Cursor is the cursor just after r.
func (r ExportRow) Cursor() ExportCursor {
	return ExportCursor{CreatedAt: r.CreatedAt, Position: r.Position}
}

// ExportPage reads the next page of an export: up to limit of the company's
// messages after the cursor, oldest first (by created_at, then position),
// appended to buf[:0]. A page shorter than limit is the last.
//
// Each page is one short query whose connection is back in the pool when
// ExportPage returns, so the caller may take as long as its client needs to
// write the rows without holding a connection; and memory is one page,
// whatever the number of messages. Pages are keyset-paged on the index of
// the messages (company or thread, created_at, position), so every page
// costs the same. Each page reads its own snapshot: a message recorded
// while an export runs may or may not be in it, but no message is read
// twice or skipped, since (created_at, position) is unique and only grows.
func (q Queries) ExportPage(ctx context.Context, companyID string, scope ExportScope, after ExportCursor, limit int, buf []ExportRow) ([]ExportRow, error) {
	where := `m.company_id = $1`
	args := []any{companyID, limit}
	if scope.ThreadID != nil {
		args = append(args, *scope.ThreadID)
		where += fmt.Sprintf(` AND m.thread_id = $%d AND NOT m.hidden`, len(args))
	}
	if after != (ExportCursor{}) {
		args = append(args, after.CreatedAt, after.Position)
		where += fmt.Sprintf(` AND (m.created_at, m.position) > ($%d, $%d)`, len(args)-1, len(args))
	}
	// The customer's name comes from the lead of the thread's customer.
	rows, err := q.Pool.Query(ctx, `SELECT m.id, m.thread_id, m.created_at, t.customer_phone, l.first_name || ' ' || l.last_name,
		m.from_number, m.to_number, m.direction, m.status, m.body, m.position
		FROM messages m JOIN threads t ON t.id = m.thread_id AND t.company_id = m.company_id
		LEFT JOIN leads l ON l.company_id = t.company_id AND l.customer_phone = t.customer_phone
		WHERE `+where+`
		ORDER BY m.created_at, m.position
		LIMIT $2`, args...)
	if err != nil {
		return buf[:0], fmt.Errorf("export messages: %w", err)
	}
	page := buf[:0]
	var r ExportRow
	_, err = pgx.ForEachRow(rows, []any{&r.ID, &r.ThreadID, &r.CreatedAt, &r.CustomerPhone, &r.CustomerName,
		&r.From, &r.To, &r.Direction, &r.Status, &r.Body, &r.Position}, func() error {
		page = append(page, r)
		r.CustomerName = nil
		return nil
	})
	if err != nil {
		return page[:0], fmt.Errorf("export messages: %w", err)
	}
	return page, nil
}
