package projections

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/search"
)

// snippetLength is the longest text a result shows whole (a thread's
// preview is as long); a longer one shows PostgreSQL's headline of it.
const snippetLength = previewLength

// headlineOptions make ts_headline answer plain text (no markers around
// the words found: the page shows the snippet as text, never as HTML): one
// fragment of at most 24 words with the words found in its middle.
const headlineOptions = `StartSel="", StopSel="", MaxFragments=1, MinWords=12, MaxWords=24, ShortWord=2`

// Search finds, newest first, the company's texts whose words hold every
// word of q (English stemming), and its threads whose customer's name holds
// every word of q or, for a phone query, whose number holds q's digits (the
// rules are domain/search's). Keyset paging on (created_at, ID), the ID
// being the message's or, for a thread result, the thread's: a page never
// repeats a result nor skips one that did not change. next is nil on the
// last page.
//
// Each kind of match is one index scan narrowed to the company inside the
// index (GIN over company and words, or company and phone trigrams), sorted
// and cut to the page before the kinds are merged; only the page's rows
// read their customer and build a snippet.
func (q Queries) Search(ctx context.Context, companyID string, query search.Query, limit int, after *Cursor) ([]SearchResult, *Cursor, error) {
	args := []any{companyID, query.Text, limit + 1}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	keyset := func(at, id string) string { return "" }
	if after != nil {
		atArg, idArg := arg(after.At), arg(after.ID)
		keyset = func(at, id string) string { return fmt.Sprintf(" AND (%s, %s) < (%s, %s)", at, id, atArg, idArg) }
	}
	threadMatch := `t.name_words @@ plainto_tsquery('simple', $2)`
	if query.Digits != "" {
		threadMatch = `(` + threadMatch + ` OR t.phone_digits LIKE ` + arg("%"+query.Digits+"%") + `)`
	}
	sql := `
WITH found AS (
    (SELECT m.thread_id, m.message_id, m.created_at, m.message_id AS key, m.body AS text
       FROM search_messages m
      WHERE m.company_id = $1 AND m.words @@ plainto_tsquery('english', $2)` + keyset("m.created_at", "m.message_id") + `
      ORDER BY m.created_at DESC, m.message_id DESC LIMIT $3)
    UNION ALL
    (SELECT t.thread_id, NULL::uuid, t.last_activity_at, t.thread_id, t.last_text
       FROM search_threads t
      WHERE t.company_id = $1 AND t.last_activity_at IS NOT NULL AND ` + threadMatch + keyset("t.last_activity_at", "t.thread_id") + `
      ORDER BY t.last_activity_at DESC, t.thread_id DESC LIMIT $3)
    ORDER BY created_at DESC, key DESC LIMIT $3
)
SELECT f.thread_id, f.message_id, t.customer_phone, t.customer_name,
       CASE WHEN f.message_id IS NULL OR char_length(f.text) <= ` + strconv.Itoa(snippetLength) + ` THEN f.text
            ELSE ts_headline('english', f.text, plainto_tsquery('english', $2), '` + headlineOptions + `') END,
       f.created_at, (SELECT c.country FROM companies c WHERE c.id = $1)
  FROM found f JOIN search_threads t ON t.thread_id = f.thread_id
 ORDER BY f.created_at DESC, f.key DESC`
	rows, err := q.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (SearchResult, error) {
		var r SearchResult
		var country *string
		err := row.Scan(&r.ThreadID, &r.MessageID, &r.CustomerPhone, &r.CustomerName, &r.Snippet, &r.CreatedAt, &country)
		r.CustomerPhoneDisplay = displayPhone(string(r.CustomerPhone), country)
		r.CreatedAt = r.CreatedAt.UTC()
		r.Snippet = strings.TrimSpace(r.Snippet)
		return r, err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("search: %w", err)
	}
	if len(out) <= limit {
		return out, nil, nil
	}
	out = out[:limit]
	r := out[limit-1]
	next := &Cursor{At: r.CreatedAt, ID: r.ThreadID}
	if r.MessageID != nil {
		next.ID = *r.MessageID
	}
	return out, next, nil
}
