package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
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
}

// ExportScope says which messages an export reads.
type ExportScope struct {
	// ThreadID, when set, limits the export to the messages that thread
	// shows (hidden ones left out); when nil, every message of the company,
	// hidden ones included (Download All is the company's record).
	ThreadID *uuid.UUID
}

// ExportMessages streams the company's messages, oldest first, to fn one row
// at a time: rows are read from PostgreSQL as fn consumes them, so memory
// does not grow with the number of messages. An error of fn stops the
// export and is returned.
func (q Queries) ExportMessages(ctx context.Context, companyID string, scope ExportScope, fn func(ExportRow) error) error {
	where := `m.company_id = $1`
	args := []any{companyID}
	if scope.ThreadID != nil {
		where += ` AND m.thread_id = $2 AND NOT m.hidden`
		args = append(args, *scope.ThreadID)
	}
	// The customer's name comes from the lead of the thread's customer.
	rows, err := q.Pool.Query(ctx, `SELECT m.id, m.thread_id, m.created_at, t.customer_phone, l.first_name || ' ' || l.last_name,
		m.from_number, m.to_number, m.direction, m.status, m.body
		FROM messages m JOIN threads t ON t.id = m.thread_id AND t.company_id = m.company_id
		LEFT JOIN leads l ON l.company_id = t.company_id AND l.customer_phone = t.customer_phone
		WHERE `+where+`
		ORDER BY m.created_at, m.position`, args...)
	if err != nil {
		return fmt.Errorf("export messages: %w", err)
	}
	defer rows.Close()
	var r ExportRow
	for rows.Next() {
		r.CustomerName = nil
		if err := rows.Scan(&r.ID, &r.ThreadID, &r.CreatedAt, &r.CustomerPhone, &r.CustomerName,
			&r.From, &r.To, &r.Direction, &r.Status, &r.Body); err != nil {
			return fmt.Errorf("export messages: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export messages: %w", err)
	}
	return nil
}
