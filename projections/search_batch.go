package projections

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
)

// ApplyBatch implements BatchProjector, with no read: what a run does to a
// customer's row folds into one row that one upsert applies as Apply's
// statements, one after another, would. Its last shown text is the last
// of the run's texts at the run's latest instant, which replaces the
// row's when that instant is not older than the row's (Apply's >=, so a
// tie goes to the later event); its activity moves to the greater; its
// name is the run's last one, when the run names the customer (a name is
// never NULL, so NULL says "the run left it"). The texts' words go in
// with one insert, the first event of a message standing (ON CONFLICT DO
// NOTHING).
func (Search) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.RecordedEvent) error {
	run := searchRun{threads: map[uuid.UUID]*searchThread{}, messages: map[uuid.UUID]bool{}}
	for _, e := range events {
		if err := run.add(e); err != nil {
			return atEvent(e, err)
		}
	}
	return run.write(ctx, tx)
}

// searchThread is a run's effect on one search_threads row.
type searchThread struct {
	id             uuid.UUID
	company, phone string
	name           *string
	at             *time.Time
	text           string
}

// searchRun gathers a run's effects.
type searchRun struct {
	order    []*searchThread
	threads  map[uuid.UUID]*searchThread
	messages map[uuid.UUID]bool
	m        struct {
		id, thread    []uuid.UUID
		company, body []string
		created       []time.Time
	}
}

func (r *searchRun) thread(th conversation.Thread) *searchThread {
	t, ok := r.threads[th.ThreadID]
	if !ok {
		t = &searchThread{id: th.ThreadID, company: th.CompanyID, phone: string(th.CustomerPhone)}
		r.threads[th.ThreadID] = t
		r.order = append(r.order, t)
	}
	return t
}

// add folds one event in, as Apply would apply it.
func (r *searchRun) add(e eventstore.RecordedEvent) error {
	var ev any
	var err error
	switch e.Type {
	case conversation.TypeMessageReceived, conversation.TypeOutboundMessageQueued:
		ev, err = conversation.Decode(e.Type, e.Data)
	case lead.TypeLeadCreated, lead.TypeLeadUpdated:
		ev, err = lead.Decode(e.Type, e.Data)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	r.fold(ev)
	return nil
}

// fold folds one decoded event in (a rebuild decodes each event once for
// every projector: searchRebuild).
func (r *searchRun) fold(ev any) {
	switch m := ev.(type) {
	case conversation.MessageReceived:
		r.text(m.MessageID, m.Thread, m.Body, len(m.Media), m.ReceivedAt)
	case conversation.OutboundMessageQueued:
		if !m.Hidden {
			r.text(m.MessageID, m.Thread, m.Body, 0, m.QueuedAt)
		}
	case lead.Event:
		if d, ok := lead.DetailsOf(m); ok {
			name := d.FirstName + " " + d.LastName
			r.thread(conversation.Thread{ThreadID: d.ThreadID, CompanyID: d.CompanyID, CustomerPhone: d.CustomerPhone}).name = &name
		}
	}
}

// text is indexText on the run.
func (r *searchRun) text(id uuid.UUID, th conversation.Thread, body string, media int, at time.Time) {
	at = dbTime(at)
	t := r.thread(th)
	if t.at == nil || !at.Before(*t.at) {
		t.at, t.text = &at, preview(body, media)
	}
	if strings.TrimSpace(body) == "" || r.messages[id] {
		return
	}
	r.messages[id] = true
	r.m.id, r.m.thread = append(r.m.id, id), append(r.m.thread, th.ThreadID)
	r.m.company, r.m.body, r.m.created = append(r.m.company, th.CompanyID), append(r.m.body, body), append(r.m.created, at)
}

func (r *searchRun) write(ctx context.Context, tx pgx.Tx) error {
	b := &pgx.Batch{}
	if len(r.order) > 0 {
		var c struct {
			id                   []uuid.UUID
			company, phone, text []string
			name                 []*string
			at                   []*time.Time
		}
		for _, t := range r.order {
			c.id, c.company, c.phone = append(c.id, t.id), append(c.company, t.company), append(c.phone, t.phone)
			c.name, c.at, c.text = append(c.name, t.name), append(c.at, t.at), append(c.text, t.text)
		}
		b.Queue(`
INSERT INTO search_threads (thread_id, company_id, customer_phone, customer_name, last_activity_at, last_text)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[])
ON CONFLICT (thread_id) DO UPDATE SET
    customer_name = coalesce(excluded.customer_name, search_threads.customer_name),
    last_text = CASE WHEN excluded.last_activity_at IS NOT NULL
                      AND (search_threads.last_activity_at IS NULL OR excluded.last_activity_at >= search_threads.last_activity_at)
                     THEN excluded.last_text ELSE search_threads.last_text END,
    last_activity_at = greatest(search_threads.last_activity_at, excluded.last_activity_at)`,
			c.id, c.company, c.phone, c.name, c.at, c.text)
	}
	if len(r.m.id) > 0 {
		b.Queue(`
INSERT INTO search_messages (message_id, company_id, thread_id, body, created_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::timestamptz[])
ON CONFLICT (message_id) DO NOTHING`, r.m.id, r.m.company, r.m.thread, r.m.body, r.m.created)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}
