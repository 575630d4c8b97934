package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ApplyBatch implements BatchProjector: the threads and messages a run of
// events touches are read in one round trip, brought up to date in memory
// by the rules Apply's statements state in SQL, and written in one more
// (one statement per table). An event type Apply handles that this does not
// know (none today: a new one added to Apply and not here) is applied by
// Apply on its own, after what came before it is written: nothing is
// skipped, nothing reordered.
func (i Inbox) ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.RecordedEvent) error {
	run := newInboxRun()
	for _, e := range events {
		if !i.handles(e.Type) {
			continue
		}
		ev, err := conversation.Decode(e.Type, e.Data)
		if err != nil {
			return atEvent(e, err)
		}
		if run.add(ev, e.Position) {
			continue
		}
		if err := run.flush(ctx, tx); err != nil {
			return err
		}
		run = newInboxRun()
		if err := i.Apply(ctx, tx, e); err != nil {
			return atEvent(e, err)
		}
	}
	return run.flush(ctx, tx)
}

// atEvent says which event an error is about.
func atEvent(e eventstore.RecordedEvent, err error) error {
	return fmt.Errorf("at %d (%s): %w", e.Position, e.Type, err)
}

// inboxOp is one event of a run, decoded.
type inboxOp struct {
	ev  conversation.Event
	pos eventstore.Position
}

// inboxRun gathers a run of events and applies them set-based.
type inboxRun struct {
	ops      []inboxOp
	threads  map[uuid.UUID]*threadRow
	messages map[uuid.UUID]*messageRow
	notes    map[uuid.UUID]*noteRow
	// kept: the run stays across a rebuild's pages, its rows being all
	// the tables hold, so it reads nothing and copies its new messages in
	// (newKeptInboxRun).
	kept bool
}

func newInboxRun() *inboxRun {
	return &inboxRun{threads: map[uuid.UUID]*threadRow{}, messages: map[uuid.UUID]*messageRow{}, notes: map[uuid.UUID]*noteRow{}}
}

// threadRow is the threads columns the inbox writes.
type threadRow struct {
	id                  uuid.UUID
	companyID, phone    string
	unread, archived    bool
	lastActivityAt      time.Time
	lastCustomerReplyAt maybeTime
	preview             string
	assignee            *string
	dirty               bool
}

// messageRow is a messages row: every column for a new one; direction and
// the columns a status or a release moves for one already recorded.
type messageRow struct {
	id, threadID                         uuid.UUID
	companyID, direction, from, to, body string
	media                                string
	status                               string
	errorCode                            *int32
	automated, hidden                    bool
	app                                  string
	twilioSID                            *string
	templateID                           *uuid.UUID
	sendAt                               *time.Time
	cancelReason                         *string
	createdAt                            time.Time
	position                             int64
	isNew, changed                       bool
}

// noteRow is a notes row the run records.
type noteRow struct {
	id, threadID        uuid.UUID
	companyID, authorID string
	body                string
	createdAt           time.Time
	position            int64
}

// add records ev when the run knows its type.
func (r *inboxRun) add(ev conversation.Event, pos eventstore.Position) bool {
	switch ev.(type) {
	case conversation.MessageReceived, conversation.ThreadRead, conversation.ThreadMarkedUnread,
		conversation.ThreadArchived, conversation.ThreadUnarchived, conversation.OutboundMessageQueued,
		conversation.OutboundSendAttempted, conversation.OutboundMessageSent,
		conversation.OutboundMessageStatusChanged, conversation.OutboundMessageFailed,
		conversation.ThreadAssigned, conversation.ThreadUnassigned, conversation.NoteAdded,
		conversation.OutboundMessageScheduled, conversation.OutboundMessageCanceled:
		r.ops = append(r.ops, inboxOp{ev: ev, pos: pos})
		return true
	}
	return false
}

// ids lists the threads the run touches, and the messages whose status it
// moves or that it queues or schedules: those must be read (a status moves
// only on a recorded outbound message, and only forward; a queued message
// releases a scheduled one; a scheduled one leaves a recorded one as it
// is). An inbound message needs no read: its insert does nothing when the
// message is recorded already, as Apply's does.
func (r *inboxRun) ids() (threads, messages []uuid.UUID) {
	seenT, seenM := map[uuid.UUID]bool{}, map[uuid.UUID]bool{}
	addT := func(id uuid.UUID) {
		if !seenT[id] {
			seenT[id] = true
			threads = append(threads, id)
		}
	}
	addM := func(id uuid.UUID) {
		if !seenM[id] {
			seenM[id] = true
			messages = append(messages, id)
		}
	}
	for _, op := range r.ops {
		switch ev := op.ev.(type) {
		case conversation.MessageReceived:
			addT(ev.ThreadID)
		case conversation.OutboundMessageQueued:
			addT(ev.ThreadID)
			addM(ev.MessageID)
		case conversation.OutboundMessageScheduled:
			addT(ev.ThreadID)
			addM(ev.MessageID)
		case conversation.OutboundMessageCanceled:
			addM(ev.MessageID)
		case conversation.ThreadRead:
			addT(ev.ThreadID)
		case conversation.ThreadMarkedUnread:
			addT(ev.ThreadID)
		case conversation.ThreadArchived:
			addT(ev.ThreadID)
		case conversation.ThreadUnarchived:
			addT(ev.ThreadID)
		case conversation.ThreadAssigned:
			addT(ev.ThreadID)
		case conversation.ThreadUnassigned:
			addT(ev.ThreadID)
		case conversation.OutboundSendAttempted:
			addM(ev.MessageID)
		case conversation.OutboundMessageSent:
			addM(ev.MessageID)
		case conversation.OutboundMessageStatusChanged:
			addM(ev.MessageID)
		case conversation.OutboundMessageFailed:
			addM(ev.MessageID)
		}
	}
	return threads, messages
}

// load reads the rows the run touches.
func (r *inboxRun) load(ctx context.Context, tx pgx.Tx) error {
	threadIDs, messageIDs := r.ids()
	b := &pgx.Batch{}
	b.Queue(`SELECT id, company_id, customer_phone, unread, archived, last_activity_at, last_customer_reply_at, last_message_preview, assignee_id
		FROM threads WHERE id = ANY ($1)`, threadIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			t := &threadRow{}
			var reply *time.Time
			if err := rows.Scan(&t.id, &t.companyID, &t.phone, &t.unread, &t.archived, &t.lastActivityAt, &reply, &t.preview, &t.assignee); err != nil {
				return err
			}
			if reply != nil {
				t.lastCustomerReplyAt = maybeTime{t: *reply, valid: true}
			}
			r.threads[t.id] = t
		}
		return rows.Err()
	})
	b.Queue(`SELECT id, direction, status, error_code, twilio_sid, cancel_reason, created_at, position
		FROM messages WHERE id = ANY ($1)`, messageIDs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			m := &messageRow{}
			if err := rows.Scan(&m.id, &m.direction, &m.status, &m.errorCode, &m.twilioSID, &m.cancelReason, &m.createdAt, &m.position); err != nil {
				return err
			}
			r.messages[m.id] = m
		}
		return rows.Err()
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("inbox: read threads and messages: %w", err)
	}
	return nil
}

// flush applies the run: read, fold in order, write.
func (r *inboxRun) flush(ctx context.Context, tx pgx.Tx) error {
	if len(r.ops) == 0 {
		return nil
	}
	if !r.kept {
		if err := r.load(ctx, tx); err != nil {
			return err
		}
	}
	for _, op := range r.ops {
		if err := r.fold(op); err != nil {
			return fmt.Errorf("at %d (%s): %w", op.pos, op.ev.EventType(), err)
		}
	}
	if err := r.write(ctx, tx); err != nil {
		return err
	}
	if r.kept {
		r.written()
	}
	return nil
}

// fold applies one event to the rows in memory: applyReceived,
// applyQueued, setThread and setStatus, in Go.
func (r *inboxRun) fold(op inboxOp) error {
	switch ev := op.ev.(type) {
	case conversation.MessageReceived:
		at := dbTime(ev.ReceivedAt)
		r.advance(ev.Thread, at, preview(ev.Body, len(ev.Media)), true, true)
		if _, ok := r.messages[ev.MessageID]; !ok {
			media := []byte("[]") // json.Marshal's for no media, without its cost
			if len(ev.Media) > 0 {
				var err error
				if media, err = json.Marshal(ev.Media); err != nil {
					return err
				}
			}
			sid := ev.MessageSID
			r.messages[ev.MessageID] = &messageRow{id: ev.MessageID, threadID: ev.ThreadID, companyID: ev.CompanyID,
				direction: "inbound", from: string(ev.CustomerPhone), to: string(ev.MessagingNumber), body: ev.Body,
				media: string(media), status: "received", app: ev.App, twilioSID: &sid,
				createdAt: at, position: int64(op.pos), isNew: true}
		}
	case conversation.OutboundMessageQueued:
		shown := ""
		if !ev.Hidden {
			shown = preview(ev.Body, 0)
		}
		r.advance(ev.Thread, dbTime(ev.QueuedAt), shown, !ev.Hidden, false)
		m, ok := r.messages[ev.MessageID]
		switch {
		case !ok:
			r.messages[ev.MessageID] = &messageRow{id: ev.MessageID, threadID: ev.ThreadID, companyID: ev.CompanyID,
				direction: "outbound", from: string(ev.From), to: string(ev.To), body: ev.Body, media: "[]",
				status: string(conversation.StatusQueued), automated: ev.Automated, app: ev.App, hidden: ev.Hidden,
				templateID: ev.TemplateID, sendAt: nullTime(dbTime(ev.SendAt)), createdAt: dbTime(ev.QueuedAt),
				position: int64(op.pos), isNew: true}
		case m.status == string(conversation.StatusScheduled):
			// A scheduled message released: queued, in its place in
			// the thread at the time it left.
			m.status, m.createdAt, m.position = string(conversation.StatusQueued), dbTime(ev.QueuedAt), int64(op.pos)
			m.changed = true
		}
	case conversation.OutboundMessageScheduled:
		// Nothing has been sent: a thread not seen yet opens at the time
		// the message was scheduled, one seen stays as it is.
		if _, ok := r.threads[ev.ThreadID]; !ok {
			r.threads[ev.ThreadID] = &threadRow{id: ev.ThreadID, companyID: ev.CompanyID, phone: string(ev.CustomerPhone),
				lastActivityAt: dbTime(ev.ScheduledAt), dirty: true}
		}
		if _, ok := r.messages[ev.MessageID]; !ok {
			sendAt := dbTime(ev.SendAt)
			r.messages[ev.MessageID] = &messageRow{id: ev.MessageID, threadID: ev.ThreadID, companyID: ev.CompanyID,
				direction: "outbound", from: string(ev.From), to: string(ev.To), body: ev.Body, media: "[]",
				status: string(conversation.StatusScheduled), app: ev.App, templateID: ev.TemplateID, sendAt: &sendAt,
				createdAt: dbTime(ev.ScheduledAt), position: int64(op.pos), isNew: true}
		}
	case conversation.OutboundMessageCanceled:
		if m, ok := r.messages[ev.MessageID]; ok && m.direction == "outbound" {
			m.status, m.cancelReason, m.changed = string(conversation.StatusCanceled), &ev.Reason, true
		}
	case conversation.ThreadRead:
		r.setThread(ev.ThreadID, func(t *threadRow) { t.unread = false })
	case conversation.ThreadMarkedUnread:
		r.setThread(ev.ThreadID, func(t *threadRow) { t.unread = true })
	case conversation.ThreadArchived:
		r.setThread(ev.ThreadID, func(t *threadRow) { t.archived = true })
	case conversation.ThreadUnarchived:
		r.setThread(ev.ThreadID, func(t *threadRow) { t.archived = false })
	case conversation.ThreadAssigned:
		r.setThread(ev.ThreadID, func(t *threadRow) { t.assignee = &ev.AssigneeID })
	case conversation.ThreadUnassigned:
		r.setThread(ev.ThreadID, func(t *threadRow) { t.assignee = nil })
	case conversation.NoteAdded:
		// The first event of a note stands, as ON CONFLICT DO NOTHING
		// keeps the first row.
		if _, ok := r.notes[ev.NoteID]; !ok {
			r.notes[ev.NoteID] = &noteRow{id: ev.NoteID, threadID: ev.ThreadID, companyID: ev.CompanyID, authorID: ev.AuthorID,
				body: ev.Body, createdAt: ev.At, position: int64(op.pos)}
		}
	case conversation.OutboundSendAttempted:
		r.setStatus(ev.MessageID, conversation.StatusSending, 0, "")
	case conversation.OutboundMessageSent:
		r.setStatus(ev.MessageID, ev.Status, ev.ErrorCode, ev.TwilioSID)
	case conversation.OutboundMessageStatusChanged:
		r.setStatus(ev.MessageID, ev.Status, ev.ErrorCode, ev.TwilioSID)
	case conversation.OutboundMessageFailed:
		r.setStatus(ev.MessageID, conversation.StatusFailed, ev.ErrorCode, "")
	}
	return nil
}

// advance is a message's effect on its thread. A new thread opens with the
// message (unread when it is the customer's, never archived) whether shown
// or not; an existing one moves its activity and preview forward only for a
// shown message, and never back. The customer's message also makes the
// thread unread, brings it back to the Inbox and moves the last reply.
func (r *inboxRun) advance(th conversation.Thread, at time.Time, text string, shown, inbound bool) {
	t, ok := r.threads[th.ThreadID]
	if !ok {
		t = &threadRow{id: th.ThreadID, companyID: th.CompanyID, phone: string(th.CustomerPhone),
			unread: inbound, lastActivityAt: at, preview: text}
		if inbound {
			t.lastCustomerReplyAt = maybeTime{t: at, valid: true}
		}
		t.dirty = true
		r.threads[th.ThreadID] = t
		return
	}
	t.dirty = true
	if inbound {
		t.unread, t.archived = true, false
		t.lastCustomerReplyAt = t.lastCustomerReplyAt.greatest(at)
	}
	if shown {
		if !at.Before(t.lastActivityAt) {
			t.preview = text
		}
		if at.After(t.lastActivityAt) {
			t.lastActivityAt = at
		}
	}
}

// setThread changes a thread that exists; a change to one that does not is
// lost, as an UPDATE of no row is.
func (r *inboxRun) setThread(id uuid.UUID, change func(*threadRow)) {
	if t, ok := r.threads[id]; ok {
		change(t)
		t.dirty = true
	}
}

// dbRank is statusRank: a status the column holds, ranked as SQL ranks it
// (anything not queued, sending or sent counts as final).
func dbRank(status string) int {
	switch conversation.OutboundStatus(status) {
	case conversation.StatusScheduled, conversation.StatusQueued:
		return 0
	case conversation.StatusSending:
		return 1
	case conversation.StatusSent:
		return 2
	}
	return 3
}

// setStatus is the SQL setStatus on a row in memory.
func (r *inboxRun) setStatus(id uuid.UUID, status conversation.OutboundStatus, errorCode int, sid string) {
	m, ok := r.messages[id]
	if !ok || m.direction != "outbound" {
		return
	}
	if dbRank(m.status) < status.Rank() {
		if errorCode != 0 {
			code := int32(errorCode)
			m.errorCode = &code
		}
		m.status = string(status)
	}
	if m.twilioSID == nil && sid != "" {
		m.twilioSID = &sid
	}
	m.changed = true
}

// write writes what the run changed, one statement per table.
func (r *inboxRun) write(ctx context.Context, tx pgx.Tx) error {
	var t struct {
		id                      []uuid.UUID
		company, phone, preview []string
		unread, archived        []bool
		activity                []time.Time
		reply                   []*time.Time
		assignee                []*string
	}
	for _, row := range r.threads {
		if !row.dirty || r.kept { // a kept run copies its threads in at the end
			continue
		}
		t.id = append(t.id, row.id)
		t.company = append(t.company, row.companyID)
		t.phone = append(t.phone, row.phone)
		t.unread = append(t.unread, row.unread)
		t.archived = append(t.archived, row.archived)
		t.activity = append(t.activity, row.lastActivityAt)
		t.reply = append(t.reply, row.lastCustomerReplyAt.value())
		t.preview = append(t.preview, row.preview)
		t.assignee = append(t.assignee, row.assignee)
	}
	var n struct {
		id, thread                                        []uuid.UUID
		company, direction, from, to, body, media, status []string
		code                                              []*int32
		automated, hidden                                 []bool
		app                                               []string
		sid                                               []*string
		template                                          []*uuid.UUID
		sendAt                                            []*time.Time
		cancel                                            []*string
		created                                           []time.Time
		position                                          []int64
	}
	var u struct {
		id       []uuid.UUID
		status   []string
		code     []*int32
		sid      []*string
		cancel   []*string
		created  []time.Time
		position []int64
	}
	var copied []*messageRow
	for _, m := range r.pageMessages() {
		switch {
		case m.isNew && r.kept:
			copied = append(copied, m)
		case m.isNew:
			n.id = append(n.id, m.id)
			n.thread = append(n.thread, m.threadID)
			n.company = append(n.company, m.companyID)
			n.direction = append(n.direction, m.direction)
			n.from = append(n.from, m.from)
			n.to = append(n.to, m.to)
			n.body = append(n.body, m.body)
			n.media = append(n.media, m.media)
			n.status = append(n.status, m.status)
			n.code = append(n.code, m.errorCode)
			n.automated = append(n.automated, m.automated)
			n.hidden = append(n.hidden, m.hidden)
			n.app = append(n.app, m.app)
			n.sid = append(n.sid, m.twilioSID)
			n.template = append(n.template, m.templateID)
			n.sendAt = append(n.sendAt, m.sendAt)
			n.cancel = append(n.cancel, m.cancelReason)
			n.created = append(n.created, m.createdAt)
			n.position = append(n.position, m.position)
		case m.changed:
			u.id = append(u.id, m.id)
			u.status = append(u.status, m.status)
			u.code = append(u.code, m.errorCode)
			u.sid = append(u.sid, m.twilioSID)
			u.cancel = append(u.cancel, m.cancelReason)
			u.created = append(u.created, m.createdAt)
			u.position = append(u.position, m.position)
		}
	}
	b := &pgx.Batch{}
	if len(t.id) > 0 {
		b.Queue(`
INSERT INTO threads (id, company_id, customer_phone, unread, archived, last_activity_at, last_customer_reply_at, last_message_preview,
                     assignee_id)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::boolean[], $5::boolean[], $6::timestamptz[], $7::timestamptz[], $8::text[],
                     $9::text[])
ON CONFLICT (id) DO UPDATE SET
    unread = excluded.unread, archived = excluded.archived, last_activity_at = excluded.last_activity_at,
    last_customer_reply_at = excluded.last_customer_reply_at, last_message_preview = excluded.last_message_preview,
    assignee_id = excluded.assignee_id`,
			t.id, t.company, t.phone, t.unread, t.archived, t.activity, t.reply, t.preview, t.assignee)
	}
	if len(n.id) > 0 {
		b.Queue(`
INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, media, status, error_code,
                      automated, app, hidden, twilio_sid, template_id, send_at, cancel_reason, created_at, position)
SELECT id, thread_id, company_id, direction, from_number, to_number, body, media::jsonb, status, error_code,
       automated, app, hidden, twilio_sid, template_id, send_at, cancel_reason, created_at, position
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
            $10::integer[], $11::boolean[], $12::text[], $13::boolean[], $14::text[], $15::uuid[], $16::timestamptz[],
            $17::text[], $18::timestamptz[], $19::bigint[])
     AS m (id, thread_id, company_id, direction, from_number, to_number, body, media, status, error_code,
           automated, app, hidden, twilio_sid, template_id, send_at, cancel_reason, created_at, position)
ON CONFLICT (id) DO NOTHING`,
			n.id, n.thread, n.company, n.direction, n.from, n.to, n.body, n.media, n.status, n.code,
			n.automated, n.app, n.hidden, n.sid, n.template, n.sendAt, n.cancel, n.created, n.position)
	}
	if len(u.id) > 0 {
		b.Queue(`
UPDATE messages SET status = u.status, error_code = u.error_code, twilio_sid = u.twilio_sid,
    cancel_reason = u.cancel_reason, created_at = u.created_at, position = u.position
FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint[])
     AS u (id, status, error_code, twilio_sid, cancel_reason, created_at, position)
WHERE messages.id = u.id`, u.id, u.status, u.code, u.sid, u.cancel, u.created, u.position)
	}
	if len(r.notes) > 0 {
		queueNotes(b, r.notes)
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("inbox: write threads and messages: %w", err)
		}
	}
	if len(copied) > 0 {
		return copyMessages(ctx, tx, copied)
	}
	return nil
}

// queueNotes queues the insert of the notes a run records (a note recorded
// already stays as it is, as Apply's insert leaves it).
func queueNotes(b *pgx.Batch, notes map[uuid.UUID]*noteRow) {
	var c struct {
		id, thread      []uuid.UUID
		company, author []string
		body            []string
		created         []time.Time
		position        []int64
	}
	for _, n := range notes {
		c.id, c.thread = append(c.id, n.id), append(c.thread, n.threadID)
		c.company, c.author = append(c.company, n.companyID), append(c.author, n.authorID)
		c.body, c.created, c.position = append(c.body, n.body), append(c.created, n.createdAt), append(c.position, n.position)
	}
	b.Queue(`
INSERT INTO notes (id, thread_id, company_id, author_id, body, created_at, position)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint[])
ON CONFLICT (id) DO NOTHING`, c.id, c.thread, c.company, c.author, c.body, c.created, c.position)
}
