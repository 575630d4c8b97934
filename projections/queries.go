package projections

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/segments"
)

// ErrNotFound: no such row for this company (or another company's).
var ErrNotFound = errors.New("not found")

// ErrBadCursor: a page cursor this server did not make.
var ErrBadCursor = errors.New("bad cursor")

// Queries reads the read models. Every query is scoped to one company.
type Queries struct {
	Pool *pgxpool.Pool
}

// Thread is api/openapi.yaml's Thread.
type Thread struct {
	ID            uuid.UUID `json:"id"`
	CustomerPhone string    `json:"customer_phone"`
	// CustomerPhoneDisplay is the number as people of the company's
	// country write it (phone.Number.Display): for showing only.
	CustomerPhoneDisplay string     `json:"customer_phone_display"`
	CustomerName         *string    `json:"customer_name"`
	LeadID               *uuid.UUID `json:"lead_id"`
	Unread               bool       `json:"unread"`
	Archived             bool       `json:"archived"`
	Consent              string     `json:"consent"`
	LastActivityAt       time.Time  `json:"last_activity_at"`
	LastCustomerReplyAt  *time.Time `json:"last_customer_reply_at"`
	LastMessagePreview   string     `json:"last_message_preview"`
	// AssigneeID is the user the thread is assigned to, nil for none.
	AssigneeID *string `json:"assignee_id"`
}

// Media is one item of an MMS.
type Media struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

// Message is api/openapi.yaml's Message.
type Message struct {
	ID        uuid.UUID `json:"id"`
	ThreadID  uuid.UUID `json:"thread_id"`
	Direction string    `json:"direction"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Body      string    `json:"body"`
	Media     []Media   `json:"media"`
	Status    string    `json:"status"`
	ErrorCode *int      `json:"error_code"`
	Automated bool      `json:"automated"`
	App       string    `json:"app"`
	CreatedAt time.Time `json:"created_at"`
	// SendAt is when a scheduled message is (or was) due, null for a text
	// sent at once; CancelReason why a canceled one was (staff, consent,
	// not_allowed, quiet_hours), else null.
	SendAt       *time.Time `json:"send_at"`
	CancelReason *string    `json:"cancel_reason"`
	// Segments is what the body costs as SMS (domain/segments), computed
	// from the body when read: a rule of the domain, not a fact of the log,
	// so a better count needs no migration or rebuild.
	Segments int `json:"segments"`
	// TemplateID is the template an outbound text was filled from; null
	// for a text written as it is (and every inbound one).
	TemplateID *uuid.UUID `json:"template_id"`
}

// Cursor is the place after which the next page of threads starts.
type Cursor struct {
	At time.Time `json:"t"`
	ID uuid.UUID `json:"id"`
}

// Encode makes the cursor opaque to clients.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor reads a cursor made by Encode.
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.At.IsZero() || c.ID == uuid.Nil {
		return Cursor{}, ErrBadCursor
	}
	return c, nil
}

// threadRows reads the threads that page selects, as scanThread takes
// them, ordered by order. page is a query of whole rows of threads (t.*),
// and any columns of its own that extra (t.<column>, ... ending in ", ")
// reads before each thread's. Each thread is completed once its page is
// cut, one look-up per thread: its customer's name and lead from the leads
// read model; its consent from the consent read model, the status on the
// company's current messaging number, else no; its company's country,
// which its numbers are shown in. (Per-row subqueries in the select list
// cost twice as much at a page of 50: docs/decisions/0030.) Each join
// matches at most one row: companies by key, leads and consents by
// (company, customer).
func threadRows(extra, page, order string) string {
	return `SELECT ` + extra + `t.id, t.customer_phone, l.first_name || ' ' || l.last_name, l.id, t.unread, t.archived,
		coalesce(c.status, 'no'), t.last_activity_at, t.last_customer_reply_at, t.last_message_preview, t.assignee_id, co.country
		FROM (` + page + `) t
		LEFT JOIN companies co ON co.id = t.company_id
		LEFT JOIN leads l ON l.company_id = t.company_id AND l.customer_phone = t.customer_phone
		LEFT JOIN consents c ON c.company_id = t.company_id AND c.customer_phone = t.customer_phone
			AND c.messaging_number = co.messaging_number
		ORDER BY ` + order
}

func scanThread(row pgx.Row) (Thread, error) {
	var t Thread
	var country *string
	err := row.Scan(&t.ID, &t.CustomerPhone, &t.CustomerName, &t.LeadID, &t.Unread, &t.Archived, &t.Consent,
		&t.LastActivityAt, &t.LastCustomerReplyAt, &t.LastMessagePreview, &t.AssigneeID, &country)
	t.CustomerPhoneDisplay = displayPhone(t.CustomerPhone, country)
	t.LastActivityAt = t.LastActivityAt.UTC()
	if t.LastCustomerReplyAt != nil {
		u := t.LastCustomerReplyAt.UTC()
		t.LastCustomerReplyAt = &u
	}
	return t, err
}

// Threads lists a folder's threads, most recent activity first, limit at a
// time; next is nil on the last page. Keyset paging on (last activity, id):
// a page never repeats or skips a thread whose activity did not change.
func (q Queries) Threads(ctx context.Context, companyID string, archived bool, limit int, after *Cursor) ([]Thread, *Cursor, error) {
	return q.AssignedThreads(ctx, companyID, archived, AnyAssignee, limit, after)
}

// AssignedThreads is Threads of the threads that assignee filters.
func (q Queries) AssignedThreads(ctx context.Context, companyID string, archived bool, assignee AssigneeFilter, limit int, after *Cursor) ([]Thread, *Cursor, error) {
	sql, args := threadListQuery(companyID, archived, assignee, limit+1, after)
	rows, err := q.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("list threads: %w", err)
	}
	defer rows.Close()
	threads := make([]Thread, 0, limit)
	for rows.Next() {
		t, err := scanThread(rows)
		if err != nil {
			return nil, nil, fmt.Errorf("list threads: %w", err)
		}
		threads = append(threads, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list threads: %w", err)
	}
	if len(threads) <= limit {
		return threads, nil, nil
	}
	threads = threads[:limit]
	last := threads[limit-1]
	return threads, &Cursor{At: last.LastActivityAt, ID: last.ID}, nil
}

// displayPhone shows a number in its company's country (international
// when the company is unknown).
func displayPhone(p string, country *string) string {
	c := ""
	if country != nil {
		c = *country
	}
	return phone.Number(p).Display(c)
}

// threadListQuery is the query of a page of the thread list (at most limit
// threads) and its arguments.
func threadListQuery(companyID string, archived bool, assignee AssigneeFilter, limit int, after *Cursor) (string, []any) {
	args := []any{companyID, archived, limit}
	where := ""
	if after != nil {
		where = ` AND (last_activity_at, id) < ($4, $5)`
		args = append(args, after.At, after.ID)
	}
	where += assignee.where(&args)
	return threadRows("", `SELECT * FROM threads
		WHERE company_id = $1 AND archived = $2`+where+`
		ORDER BY last_activity_at DESC, id DESC LIMIT $3`, `t.last_activity_at DESC, t.id DESC`), args
}

// threadSQL reads one thread of a company ($1) by its ID ($2).
var threadSQL = threadRows("", `SELECT * FROM threads WHERE company_id = $1 AND id = $2`, `t.id`)

// Thread reads one thread of the company.
func (q Queries) Thread(ctx context.Context, companyID string, id uuid.UUID) (Thread, error) {
	return oneThread(q.Pool.QueryRow(ctx, threadSQL, companyID, id), id)
}

// oneThread scans the row of threadSQL.
func oneThread(row pgx.Row, id uuid.UUID) (Thread, error) {
	t, err := scanThread(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("read thread %s: %w", id, err)
	}
	return t, nil
}

// Messages lists the messages a thread shows, oldest first; a message still
// scheduled takes its place at its send_at (after everything sent so far).
func (q Queries) Messages(ctx context.Context, companyID string, threadID uuid.UUID) ([]Message, error) {
	rows, err := q.Pool.Query(ctx, messagesSQL, companyID, threadID)
	if err != nil {
		return nil, fmt.Errorf("list messages: %w", err)
	}
	return scanMessages(rows)
}

// messagesSQL lists the messages of a company's ($1) thread ($2).
const messagesSQL = `SELECT id, thread_id, direction, from_number, to_number, body, media, status, error_code, automated, app, created_at,
		template_id, send_at, cancel_reason
		FROM messages WHERE company_id = $1 AND thread_id = $2 AND NOT hidden
		ORDER BY CASE WHEN status = 'scheduled' THEN send_at ELSE created_at END, position`

// scanMessages reads the rows of messagesSQL and closes them.
func scanMessages(rows pgx.Rows) ([]Message, error) {
	defer rows.Close()
	out := []Message{}
	for rows.Next() {
		var m Message
		if err := rows.Scan(&m.ID, &m.ThreadID, &m.Direction, &m.From, &m.To, &m.Body, &m.Media, &m.Status, &m.ErrorCode, &m.Automated, &m.App, &m.CreatedAt,
			&m.TemplateID, &m.SendAt, &m.CancelReason); err != nil {
			return nil, fmt.Errorf("list messages: %w", err)
		}
		m.CreatedAt = m.CreatedAt.UTC()
		if m.SendAt != nil {
			u := m.SendAt.UTC()
			m.SendAt = &u
		}
		m.Segments = segments.Count(m.Body).Segments
		if m.Media == nil {
			m.Media = []Media{}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Company is the directory's view of a company.
type Company struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	MessagingNumber string `json:"messaging_number"`
	TimeZone        string `json:"time_zone"`
	SMSEnabled      bool   `json:"sms_enabled"`
	Country         string `json:"-"`
}

// Company reads a company.
func (q Queries) Company(ctx context.Context, id string) (Company, error) {
	var c Company
	err := q.Pool.QueryRow(ctx, `SELECT id, name, messaging_number, time_zone, sms_enabled, country FROM companies WHERE id = $1`, id).
		Scan(&c.ID, &c.Name, &c.MessagingNumber, &c.TimeZone, &c.SMSEnabled, &c.Country)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("read company %s: %w", id, err)
	}
	return c, nil
}

// User is a signed-in user.
type User struct {
	ID        string
	CompanyID string
	Name      string
	Role      string
}

// UserByTokenHash finds the current (not removed) user whose token hashes
// to hash. The directory may lag the company's stream a moment: sign-in
// checks the stream too (company.State.SignsIn).
func (q Queries) UserByTokenHash(ctx context.Context, hash string) (User, error) {
	var u User
	err := q.Pool.QueryRow(ctx, `SELECT id, company_id, name, role FROM users WHERE token_hash = $1 AND removed_at IS NULL`, hash).
		Scan(&u.ID, &u.CompanyID, &u.Name, &u.Role)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("find user: %w", err)
	}
	return u, nil
}

// AppKey is a company's key for one of its apps.
type AppKey struct {
	ID        string
	CompanyID string
	App       string
}

// AppKeyByTokenHash finds the live (not revoked) app key whose secret hashes
// to hash.
func (q Queries) AppKeyByTokenHash(ctx context.Context, hash string) (AppKey, error) {
	var k AppKey
	err := q.Pool.QueryRow(ctx, `SELECT id, company_id, app FROM app_keys WHERE token_hash = $1 AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.CompanyID, &k.App)
	if errors.Is(err, pgx.ErrNoRows) {
		return k, ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("find app key: %w", err)
	}
	return k, nil
}
