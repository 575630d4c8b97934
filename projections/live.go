package projections

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
)

// Live projects where the Messages page's views last changed, for the live
// stream (GET /api/events): thread_changes holds, for each thread, the last
// log position at which anything its Thread shows changed (a message in or
// out, a status, read, unread, archive, consent, lead); company_changes, for
// each company, the last position at which something every thread shows
// changed (the messaging number, so every consent badge; the settings). A
// thread changed twice keeps only the later position: the stream sends
// states, so the latest one stands for both.
type Live struct{}

func (Live) Name() string     { return "live" }
func (Live) Tables() []string { return []string{"thread_changes", "company_changes"} }

func (Live) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	ch, ok, err := liveChangeOf(e)
	if err != nil || !ok {
		return err
	}
	// greatest: a position never moves back, whatever order a replay takes.
	if ch.threadID == uuid.Nil {
		_, err = tx.Exec(ctx, `INSERT INTO company_changes (company_id, position) VALUES ($1, $2)
			ON CONFLICT (company_id) DO UPDATE SET position = greatest(company_changes.position, excluded.position)`,
			ch.companyID, int64(e.Position))
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO thread_changes (thread_id, company_id, position) VALUES ($1, $2, $3)
			ON CONFLICT (thread_id) DO UPDATE SET position = greatest(thread_changes.position, excluded.position)`,
			ch.threadID, ch.companyID, int64(e.Position))
	}
	if err != nil {
		return fmt.Errorf("live %s: %w", e.Type, err)
	}
	return nil
}

// liveChange is what one event changes: a thread of a company, or (threadID
// nil) the whole company.
type liveChange struct {
	companyID string
	threadID  uuid.UUID
}

// liveChangeOf says what e changes in the views the live stream sends; ok is
// false for events that change none (a user added, a number claimed, ...).
func liveChangeOf(e eventstore.RecordedEvent) (ch liveChange, ok bool, err error) {
	switch {
	case isConversationEvent(e.Type):
		// Every conversation event carries its thread (conversation.Thread
		// is embedded in each), so there is no need to tell them apart.
		var th conversation.Thread
		if err := json.Unmarshal(e.Data, &th); err != nil {
			return ch, false, fmt.Errorf("live %s: %w", e.Type, err)
		}
		if th.ThreadID == uuid.Nil || th.CompanyID == "" {
			return ch, false, fmt.Errorf("live %s: the event names no thread", e.Type)
		}
		return liveChange{companyID: th.CompanyID, threadID: th.ThreadID}, true, nil
	case isConsentEvent(e.Type):
		ev, err := consent.Decode(e.Type, e.Data)
		if err != nil {
			return ch, false, err
		}
		c := ev.Base()
		return liveChange{companyID: c.CompanyID, threadID: conversation.ThreadID(c.CompanyID, c.CustomerPhone)}, true, nil
	case e.Type == lead.TypeLeadCreated || e.Type == lead.TypeLeadUpdated:
		ev, err := lead.Decode(e.Type, e.Data)
		if err != nil {
			return ch, false, err
		}
		d, _ := lead.DetailsOf(ev)
		// The thread's name and lead are looked up by company and phone,
		// so the thread is the phone's (which the lead also names).
		return liveChange{companyID: d.CompanyID, threadID: conversation.ThreadID(d.CompanyID, d.CustomerPhone)}, true, nil
	case e.Type == company.TypeMessagingNumberChanged || e.Type == company.TypeCompanyUpdated:
		ev, err := company.Decode(e.Type, e.Data)
		if err != nil {
			return ch, false, err
		}
		switch ev := ev.(type) {
		case company.MessagingNumberChanged:
			return liveChange{companyID: ev.CompanyID}, true, nil
		case company.CompanyUpdated:
			return liveChange{companyID: ev.CompanyID}, true, nil
		}
	}
	return ch, false, nil
}

func isConversationEvent(eventType string) bool {
	for _, t := range conversation.EventTypes() {
		if t == eventType {
			return true
		}
	}
	return false
}

// ThreadChange is a thread whose view changed, in its state now, and the
// last position at which it changed.
type ThreadChange struct {
	Position eventstore.Position
	Thread   Thread
}

// ThreadChanges lists, in position order, at most limit threads of the
// company whose last change lies in (after, upTo]. Each comes in its state
// now, read as GET /api/threads reads it. A thread that the inbox has not
// opened yet (a consent recorded before any message) is not listed: the
// message that opens it is a later change.
func (q Queries) ThreadChanges(ctx context.Context, companyID string, after, upTo eventstore.Position, limit int) ([]ThreadChange, error) {
	rows, err := q.Pool.Query(ctx, threadRows(`t.change_position, `, `SELECT tc.position AS change_position, threads.*
		FROM thread_changes tc JOIN threads ON threads.id = tc.thread_id
		WHERE tc.company_id = $1 AND tc.position > $2 AND tc.position <= $3
		ORDER BY tc.position LIMIT $4`, `t.change_position`), companyID, int64(after), int64(upTo), limit)
	if err != nil {
		return nil, fmt.Errorf("read thread changes: %w", err)
	}
	defer rows.Close()
	var out []ThreadChange
	for rows.Next() {
		var pos int64
		var tc ThreadChange
		tc.Thread, err = scanThread(positionFirst{row: rows, pos: &pos})
		if err != nil {
			return nil, fmt.Errorf("read thread changes: %w", err)
		}
		tc.Position = eventstore.Position(pos)
		out = append(out, tc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read thread changes: %w", err)
	}
	return out, nil
}

// positionFirst scans a row whose first column is a position, then the
// columns scanThread reads.
type positionFirst struct {
	row pgx.Row
	pos *int64
}

func (p positionFirst) Scan(dest ...any) error {
	return p.row.Scan(append([]any{p.pos}, dest...)...)
}

// CompanyChange is the position of the company's last company-wide change
// when it lies in (after, upTo], else 0.
func (q Queries) CompanyChange(ctx context.Context, companyID string, after, upTo eventstore.Position) (eventstore.Position, error) {
	var pos int64
	err := q.Pool.QueryRow(ctx, `SELECT coalesce((SELECT position FROM company_changes
		WHERE company_id = $1 AND position > $2 AND position <= $3), 0)`, companyID, int64(after), int64(upTo)).Scan(&pos)
	if err != nil {
		return 0, fmt.Errorf("read company changes: %w", err)
	}
	return eventstore.Position(pos), nil
}

// ApplyBatch implements BatchProjector: each thread and company a run of
// events changes is written once, with the run's last position for it (the
// greatest, as Apply keeps), in one statement per table.
func (Live) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.RecordedEvent) error {
	var threads, companies struct {
		index    map[string]int
		thread   []uuid.UUID
		company  []string
		position []int64
	}
	threads.index, companies.index = map[string]int{}, map[string]int{}
	for _, e := range events {
		ch, ok, err := liveChangeOf(e)
		if err != nil {
			return atEvent(e, err)
		}
		if !ok {
			continue
		}
		set, key := &threads, ch.threadID.String()
		if ch.threadID == uuid.Nil {
			set, key = &companies, ch.companyID
		}
		// The first event of a key names its company (an insert); the
		// later ones move its position.
		if i, seen := set.index[key]; seen {
			set.position[i] = max(set.position[i], int64(e.Position))
			continue
		}
		set.index[key] = len(set.position)
		set.thread = append(set.thread, ch.threadID)
		set.company = append(set.company, ch.companyID)
		set.position = append(set.position, int64(e.Position))
	}
	b := &pgx.Batch{}
	if len(threads.position) > 0 {
		b.Queue(`INSERT INTO thread_changes (thread_id, company_id, position)
			SELECT * FROM unnest($1::uuid[], $2::text[], $3::bigint[])
			ON CONFLICT (thread_id) DO UPDATE SET position = greatest(thread_changes.position, excluded.position)`,
			threads.thread, threads.company, threads.position)
	}
	if len(companies.position) > 0 {
		b.Queue(`INSERT INTO company_changes (company_id, position)
			SELECT * FROM unnest($1::text[], $2::bigint[])
			ON CONFLICT (company_id) DO UPDATE SET position = greatest(company_changes.position, excluded.position)`,
			companies.company, companies.position)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("live: %w", err)
	}
	return nil
}
