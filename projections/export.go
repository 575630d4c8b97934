package projections

import (
	"context"
	"encoding/binary"
	"errors"
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
// appended to buf[:0]. A page shorter than limit is the last. It is
// ExportEach with every row copied out.
func (q Queries) ExportPage(ctx context.Context, companyID string, scope ExportScope, after ExportCursor, limit int, buf []ExportRow) ([]ExportRow, error) {
	page := buf[:0]
	_, _, err := q.ExportEach(ctx, companyID, scope, after, limit, func(m *ExportMessage) error {
		r := ExportRow{ID: m.ID, ThreadID: m.ThreadID, CreatedAt: m.CreatedAt, CustomerPhone: string(m.CustomerPhone),
			From: string(m.From), To: string(m.To), Direction: string(m.Direction), Status: string(m.Status),
			Body: string(m.Body), Position: m.Position}
		if m.CustomerName != nil {
			name := string(m.CustomerName)
			r.CustomerName = &name
		}
		page = append(page, r)
		return nil
	})
	if err != nil {
		return page[:0], err
	}
	return page, nil
}

// ExportMessage is one message of an export as the database sent it: the
// text columns are the bytes of the row as received, valid only until the
// callback that is handed them returns (the next row overwrites them), so
// that an export decodes a row without allocating.
type ExportMessage struct {
	ID, ThreadID  uuid.UUID
	CreatedAt     time.Time
	CustomerPhone []byte
	CustomerName  []byte // the linked lead's name, nil without a lead
	From, To      []byte
	Direction     []byte
	Status        []byte
	Body          []byte
	Position      int64
}

// Cursor is the cursor just after m.
func (m *ExportMessage) Cursor() ExportCursor {
	return ExportCursor{CreatedAt: m.CreatedAt, Position: m.Position}
}

// ExportEach reads the next page of an export, as ExportPage, and hands
// each of its messages to each in order; it answers how many it read (a
// page shorter than limit is the last) and the cursor after the last.
//
// Each page is one short query whose connection is back in the pool when
// ExportEach returns, so the caller may take as long as its client needs to
// write the rows without holding a connection; and memory is one page,
// whatever the number of messages. Pages are keyset-paged on the index of
// the messages (company or thread, created_at, position), so every page
// costs the same. Each page reads its own snapshot: a message recorded
// while an export runs may or may not be in it, but no message is read
// twice or skipped, since (created_at, position) is unique and only grows.
//
// The rows come in PostgreSQL's binary format and are decoded here by
// hand, without pgx's per-row scan and its allocations: a uuid is its 16
// bytes, a timestamptz microseconds since 2000-01-01 UTC, a bigint 8 bytes
// big-endian, a text its UTF-8 bytes.
func (q Queries) ExportEach(ctx context.Context, companyID string, scope ExportScope, after ExportCursor, limit int, each func(*ExportMessage) error) (n int, last ExportCursor, err error) {
	sql, args := exportQuery(companyID, scope, after, limit)
	rows, err := q.Pool.Query(ctx, sql, append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)...)
	if err != nil {
		return 0, last, fmt.Errorf("export messages: %w", err)
	}
	defer rows.Close()
	var m ExportMessage
	for rows.Next() {
		if err := decodeExportRow(rows.RawValues(), &m); err != nil {
			return n, last, fmt.Errorf("export messages: %w", err)
		}
		if err := each(&m); err != nil {
			return n, last, err
		}
		n++
		last = m.Cursor()
	}
	if err := rows.Err(); err != nil {
		return n, last, fmt.Errorf("export messages: %w", err)
	}
	return n, last, nil
}

// exportQuery is the query of a page of an export, and its arguments.
func exportQuery(companyID string, scope ExportScope, after ExportCursor, limit int) (string, []any) {
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
	return `SELECT m.id, m.thread_id, m.created_at, t.customer_phone, l.first_name || ' ' || l.last_name,
		m.from_number, m.to_number, m.direction, m.status, m.body, m.position
		FROM messages m JOIN threads t ON t.id = m.thread_id AND t.company_id = m.company_id
		LEFT JOIN leads l ON l.company_id = t.company_id AND l.customer_phone = t.customer_phone
		WHERE ` + where + `
		ORDER BY m.created_at, m.position
		LIMIT $2`, args
}

// pgEpochMicros is PostgreSQL's zero time, from which a binary timestamptz
// counts microseconds.
var pgEpochMicros = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// decodeExportRow decodes the binary columns of ExportEach's query into m.
func decodeExportRow(v [][]byte, m *ExportMessage) error {
	if len(v) != 11 || len(v[0]) != 16 || len(v[1]) != 16 || len(v[2]) != 8 || len(v[10]) != 8 {
		return errors.New("an export row of an unexpected shape")
	}
	m.ID, m.ThreadID = uuid.UUID(v[0]), uuid.UUID(v[1])
	m.CreatedAt = time.UnixMicro(pgEpochMicros + int64(binary.BigEndian.Uint64(v[2])))
	m.CustomerPhone, m.CustomerName = v[3], v[4]
	m.From, m.To, m.Direction, m.Status, m.Body = v[5], v[6], v[7], v[8], v[9]
	m.Position = int64(binary.BigEndian.Uint64(v[10]))
	return nil
}
