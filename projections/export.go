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
	_, _, err := q.ExportEach(ctx, companyID, scope, after, limit, nil, func(m *ExportMessage) error {
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

// ExportCustomers remembers, across the pages of one export, the customer
// of each thread the export has met: its phone and its lead's name. An
// export reads each thread's once, rather than joining the thread and its
// lead to each of its messages (with many threads those two lookups a row
// were most of a page's time). It forgets them all past
// maxExportCustomers, so that its memory stays bounded however many
// threads the company has. The zero value is ready to use; only the reads
// of one export use it, one after the other.
type ExportCustomers struct {
	m       map[uuid.UUID]*exportCustomer
	missing []uuid.UUID // scratch of learnCustomers
	max     int         // how many it remembers; 0: maxExportCustomers
}

func (customers *ExportCustomers) limit() int {
	if customers.max > 0 {
		return customers.max
	}
	return maxExportCustomers
}

// exportCustomer is a thread's customer as an export writes it. It is not
// changed once made, so a page fetched earlier may still point at it while
// the next is fetched.
type exportCustomer struct {
	phone, name []byte // name nil without a lead
}

// maxExportCustomers bounds ExportCustomers (about 100 bytes each).
const maxExportCustomers = 100_000

// ExportEach reads the next page of an export, as ExportPage, and hands
// each of its messages to each in order; it answers how many it read (a
// page shorter than limit is the last) and the cursor after the last.
// customers carries what the export learnt of its threads from page to
// page (nil: nothing). It is ExportFetch and then ExportRows.Each.
func (q Queries) ExportEach(ctx context.Context, companyID string, scope ExportScope, after ExportCursor, limit int, customers *ExportCustomers, each func(*ExportMessage) error) (n int, last ExportCursor, err error) {
	var page ExportRows
	if err := q.ExportFetch(ctx, companyID, scope, after, limit, customers, &page); err != nil {
		return 0, last, err
	}
	if err := page.Each(each); err != nil {
		return 0, last, err
	}
	return page.Len(), page.Last(), nil
}

// ExportFetch reads the next page of an export into page (its memory
// reused): up to limit of the company's messages after the cursor, oldest
// first (by created_at, then position), each with its thread's customer.
// customers carries what the export learnt of its threads from page to
// page (nil: nothing).
//
// Each page is one short query whose connection is back in the pool when
// ExportFetch returns, so the caller may take as long as its client needs
// to write the rows without holding a connection; and memory is one page,
// whatever the number of messages. Pages are keyset-paged on the index of
// the messages (company or thread, created_at, position), so every page
// costs the same. Each page reads its own snapshot: a message recorded
// while an export runs may or may not be in it, but no message is read
// twice or skipped, since (created_at, position) is unique and only grows.
// The customers of threads the export has not met yet are read after the
// page, in one query; Download All reads those of every thread of the
// company before its first page, when they are not too many to remember.
//
// The rows come in PostgreSQL's binary format and are kept as sent, to be
// decoded by hand (ExportRows.Each), without pgx's per-row scan and its
// allocations: a uuid is its 16 bytes, a timestamptz microseconds since
// 2000-01-01 UTC, a bigint 8 bytes big-endian, a text its UTF-8 bytes.
//
// A page fetched may be read (Each) while the export fetches the next into
// another ExportRows: a page holds its customers itself.
func (q Queries) ExportFetch(ctx context.Context, companyID string, scope ExportScope, after ExportCursor, limit int, customers *ExportCustomers, page *ExportRows) error {
	if customers == nil {
		customers = &ExportCustomers{}
	}
	if customers.m == nil && scope.ThreadID == nil {
		if err := q.learnAllCustomers(ctx, companyID, customers); err != nil {
			return err
		}
	}
	if customers.m == nil || len(customers.m) > customers.limit() {
		customers.m = map[uuid.UUID]*exportCustomer{}
	}
	if err := q.exportRows(ctx, companyID, scope, after, limit, page); err != nil {
		return err
	}
	return q.learnCustomers(ctx, companyID, page, customers)
}

// ExportRows is a page of an export's messages as the database sent them,
// copied into one buffer (row i's columns are
// data[ends[i*exportColumns+k-1]:ends[i*exportColumns+k]]), with each row's
// customer (nil for a thread of another company, which the export leaves
// out). The zero value is an empty page; ExportFetch fills it again,
// reusing its memory.
type ExportRows struct {
	data      []byte
	ends      []int
	customers []*exportCustomer
	n         int          // rows
	after     ExportCursor // the cursor the page was fetched after
}

// Len is how many messages the page read: a page shorter than the limit it
// was fetched with is the export's last.
func (p *ExportRows) Len() int { return p.n }

// Last is the cursor after the page's last message (the one it was fetched
// after when it is empty).
func (p *ExportRows) Last() ExportCursor {
	if p.n == 0 {
		return p.after
	}
	return ExportCursor{
		CreatedAt: exportTime(p.col(p.n-1, 2)),
		Position:  int64(binary.BigEndian.Uint64(p.col(p.n-1, 8))),
	}
}

// Each hands each message of the page, with its customer, to each in
// order. The message's bytes are the page's, valid until each returns.
func (p *ExportRows) Each(each func(*ExportMessage) error) error {
	var m ExportMessage
	for i := range p.n {
		c := p.customers[i]
		if c == nil { // a thread of another company
			continue
		}
		p.message(i, &m)
		m.CustomerPhone, m.CustomerName = c.phone, c.name
		if err := each(&m); err != nil {
			return err
		}
	}
	return nil
}

// exportColumns is how many columns exportQuery answers.
const exportColumns = 9

func (p *ExportRows) col(i, k int) []byte {
	j := i*exportColumns + k
	start := 0
	if j > 0 {
		start = p.ends[j-1]
	}
	return p.data[start:p.ends[j]]
}

// message decodes row i into m (not its customer).
func (p *ExportRows) message(i int, m *ExportMessage) {
	m.ID, m.ThreadID = uuid.UUID(p.col(i, 0)), uuid.UUID(p.col(i, 1))
	m.CreatedAt = exportTime(p.col(i, 2))
	m.From, m.To, m.Direction, m.Status, m.Body = p.col(i, 3), p.col(i, 4), p.col(i, 5), p.col(i, 6), p.col(i, 7)
	m.Position = int64(binary.BigEndian.Uint64(p.col(i, 8)))
	m.CustomerPhone, m.CustomerName = nil, nil
}

// exportTime decodes a binary timestamptz.
func exportTime(b []byte) time.Time {
	return time.UnixMicro(pgEpochMicros + int64(binary.BigEndian.Uint64(b)))
}

// exportRows reads a page of messages, in binary, copied out of the
// connection's buffer into page.
func (q Queries) exportRows(ctx context.Context, companyID string, scope ExportScope, after ExportCursor, limit int, page *ExportRows) error {
	page.data, page.ends, page.customers, page.n, page.after = page.data[:0], page.ends[:0], page.customers[:0], 0, after
	sql, args := exportQuery(companyID, scope, after, limit)
	rows, err := q.Pool.Query(ctx, sql, append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)...)
	if err != nil {
		return fmt.Errorf("export messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		v := rows.RawValues()
		if len(v) != exportColumns || len(v[0]) != 16 || len(v[1]) != 16 || len(v[2]) != 8 || len(v[8]) != 8 {
			page.n = 0
			return errors.New("export messages: a row of an unexpected shape")
		}
		for _, col := range v {
			page.data = append(page.data, col...)
			page.ends = append(page.ends, len(page.data))
		}
		page.n++
	}
	if err := rows.Err(); err != nil {
		page.n = 0
		return fmt.Errorf("export messages: %w", err)
	}
	return nil
}

// learnAllCustomers reads the customers of every thread of the company,
// when it has at most as many as customers remembers (else it remembers
// none, and the pages read theirs). Download All meets every thread (each
// has a message), and one query of them all costs less than the queries
// of the threads each page meets first: with many threads those are
// thousands of ids a page, which PostgreSQL plans anew each time.
func (q Queries) learnAllCustomers(ctx context.Context, companyID string, customers *ExportCustomers) error {
	customers.m = map[uuid.UUID]*exportCustomer{}
	rows, err := q.Pool.Query(ctx, exportCustomersSQL+` LIMIT $2`, companyID, customers.limit()+1)
	if err != nil {
		return fmt.Errorf("export messages' customers: %w", err)
	}
	if err := customers.add(rows); err != nil {
		return err
	}
	if len(customers.m) > customers.limit() {
		customers.m = nil
	}
	return nil
}

// exportCustomersSQL reads the customers of a company's threads: the
// customer's name comes from the lead of the thread's customer.
const exportCustomersSQL = `SELECT t.id, t.customer_phone, l.first_name || ' ' || l.last_name
	FROM threads t LEFT JOIN leads l ON l.company_id = t.company_id AND l.customer_phone = t.customer_phone
	WHERE t.company_id = $1`

// add remembers the customers rows answers (exportCustomersSQL's columns).
func (customers *ExportCustomers) add(rows pgx.Rows) error {
	var id uuid.UUID
	var phone string
	var name *string
	_, err := pgx.ForEachRow(rows, []any{&id, &phone, &name}, func() error {
		c := &exportCustomer{phone: []byte(phone)}
		if name != nil {
			c.name = []byte(*name)
		}
		customers.m[id] = c
		return nil
	})
	if err != nil {
		return fmt.Errorf("export messages' customers: %w", err)
	}
	return nil
}

// learnCustomers gives each row of the page its thread's customer, reading
// those customers does not hold yet in one query. A row whose thread is
// not the company's keeps none.
func (q Queries) learnCustomers(ctx context.Context, companyID string, page *ExportRows, customers *ExportCustomers) error {
	missing := customers.missing[:0]
	for i := range page.n {
		id := uuid.UUID(page.col(i, 1))
		c, ok := customers.m[id]
		if !ok {
			// Asked for once per page: a nil entry marks it asked until the
			// answer replaces it (or, for another company's, stays).
			customers.m[id] = nil
			missing = append(missing, id)
		}
		page.customers = append(page.customers, c)
	}
	customers.missing = missing[:0]
	if len(missing) == 0 {
		return nil
	}
	rows, err := q.Pool.Query(ctx, exportCustomersSQL+` AND t.id = ANY ($2)`, companyID, missing)
	if err != nil {
		return fmt.Errorf("export messages' customers: %w", err)
	}
	if err := customers.add(rows); err != nil {
		return err
	}
	for i := range page.n {
		if page.customers[i] == nil {
			page.customers[i] = customers.m[uuid.UUID(page.col(i, 1))]
		}
	}
	return nil
}

// exportQuery is the query of a page of an export's messages, and its
// arguments.
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
	return `SELECT m.id, m.thread_id, m.created_at, m.from_number, m.to_number, m.direction, m.status, m.body, m.position
		FROM messages m
		WHERE ` + where + `
		ORDER BY m.created_at, m.position
		LIMIT $2`, args
}

// pgEpochMicros is PostgreSQL's zero time, from which a binary timestamptz
// counts microseconds.
var pgEpochMicros = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
