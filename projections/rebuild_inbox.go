package projections

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

// rebuilder is a projector with a path of its own for a rebuild: a rebuild
// starts from emptied tables and is the only writer of them until it
// commits, so what the tables hold is exactly what the rebuild wrote, and
// a projector may keep that in memory rather than read it back page after
// page.
type rebuilder interface {
	Projector
	// rebuild answers the applier of one rebuild's pages, which come in
	// log order inside tx.
	rebuild() pageApplier
}

// pageApplier applies the pages of one rebuild, then finishes it: writes
// what it kept in memory.
type pageApplier interface {
	applyPage(ctx context.Context, tx pgx.Tx, page logPage) error
	finish(ctx context.Context, tx pgx.Tx) error
}

// batchApplier is the rebuild of a projector without a path of its own:
// each page applied as the live path applies a run of events.
type batchApplier struct{ p Projector }

func (b batchApplier) applyPage(ctx context.Context, tx pgx.Tx, page logPage) error {
	return apply(ctx, tx, b.p, page.events)
}

func (batchApplier) finish(context.Context, pgx.Tx) error { return nil }

// pageApplierOf answers how a rebuild applies p's pages.
func pageApplierOf(p Projector) pageApplier {
	if r, ok := p.(rebuilder); ok {
		return r.rebuild()
	}
	return batchApplier{p}
}

func (i Inbox) rebuild() pageApplier {
	return &inboxRebuild{inbox: i, run: newKeptInboxRun()}
}

// inboxRebuild rebuilds the inbox with every thread and message it has
// written kept in memory across pages (a message without its text), so
// that a page reads nothing: it folds its events into those rows by the
// rules ApplyBatch folds by, and writes what changed: the new messages
// with COPY (a message the rebuild has not written cannot be in the
// table), messages written before whose status moved with one UPDATE.
// The threads, which nearly every page changes, are copied in once, at
// the end. Should a page hold an event type the fold does not know (none
// today), that event is applied by Apply and the rest of the rebuild goes
// through ApplyBatch, which reads what it needs, as the memory no longer
// holds all the tables do.
type inboxRebuild struct {
	inbox Inbox
	run   *inboxRun // nil once the rest goes through ApplyBatch
}

func (r *inboxRebuild) applyPage(ctx context.Context, tx pgx.Tx, page logPage) error {
	for k, e := range page.events {
		if r.run == nil {
			return apply(ctx, tx, r.inbox, page.events[k:])
		}
		if !r.inbox.handles(e.Type) {
			continue
		}
		d := page.decoded[k]
		if d.err != nil {
			return atEvent(e, d.err)
		}
		if r.run.add(d.ev.(conversation.Event), e.Position) {
			continue
		}
		if err := r.run.flush(ctx, tx); err != nil {
			return err
		}
		if err := r.finish(ctx, tx); err != nil {
			return err
		}
		r.run = nil
		if err := r.inbox.Apply(ctx, tx, e); err != nil {
			return atEvent(e, err)
		}
	}
	if r.run == nil {
		return nil
	}
	return r.run.flush(ctx, tx)
}

// finish copies the threads in.
func (r *inboxRebuild) finish(ctx context.Context, tx pgx.Tx) error {
	if r.run == nil {
		return nil
	}
	c := newCopyRows("threads", "id", "company_id", "customer_phone", "unread", "archived", "last_activity_at",
		"last_customer_reply_at", "last_message_preview", "assignee_id")
	for _, t := range r.run.threads {
		c.row()
		c.uuid(t.id)
		c.text(t.companyID)
		c.text(t.phone)
		c.bool(t.unread)
		c.bool(t.archived)
		c.time(t.lastActivityAt)
		c.maybeTime(t.lastCustomerReplyAt.value())
		c.text(t.preview)
		c.maybeText(t.assignee)
	}
	return c.copyIn(ctx, tx)
}

// newKeptInboxRun is an inboxRun that stays across the pages of a rebuild.
func newKeptInboxRun() *inboxRun {
	r := newInboxRun()
	r.kept = true
	return r
}

// written marks what a kept run wrote as written, and lets go of what the
// fold needs no more: a written message's text, numbers and media (only
// its status, times and ids move later), and the notes (a note is never
// changed once recorded; the insert of a later event of one does nothing,
// as Apply's does).
func (r *inboxRun) written() {
	messages := r.pageMessages()
	r.ops = r.ops[:0]
	for _, t := range r.threads {
		t.dirty = false
	}
	for _, m := range messages {
		if m.isNew {
			m.from, m.to, m.body, m.media, m.app, m.companyID = "", "", "", "", "", ""
			m.templateID, m.sendAt = nil, nil
		}
		m.isNew, m.changed = false, false
	}
	clear(r.notes)
}

// pageMessages answers the messages a run's events may have made or
// changed: every one it holds, or for a kept run (which holds every
// message of the rebuild) those its events name, so that a page's write
// costs what the page holds, not what the rebuild has read so far.
func (r *inboxRun) pageMessages() []*messageRow {
	if !r.kept {
		out := make([]*messageRow, 0, len(r.messages))
		for _, m := range r.messages {
			out = append(out, m)
		}
		return out
	}
	// ids names the messages the fold reads; a received one it makes.
	_, ids := r.ids()
	for _, op := range r.ops {
		if ev, ok := op.ev.(conversation.MessageReceived); ok {
			ids = append(ids, ev.MessageID)
		}
	}
	var out []*messageRow
	seen := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		if m, ok := r.messages[id]; ok && !seen[id] {
			seen[id] = true
			out = append(out, m)
		}
	}
	return out
}

// copyMessages writes new messages with COPY: the messages table's columns
// as the insert of write names them.
func copyMessages(ctx context.Context, tx pgx.Tx, rows []*messageRow) error {
	c := newCopyRows("messages", "id", "thread_id", "company_id", "direction", "from_number", "to_number", "body", "media",
		"status", "error_code", "automated", "app", "hidden", "twilio_sid", "template_id", "send_at", "cancel_reason",
		"created_at", "position")
	for _, m := range rows {
		c.row()
		c.uuid(m.id)
		c.uuid(m.threadID)
		c.text(m.companyID)
		c.text(m.direction)
		c.text(m.from)
		c.text(m.to)
		c.text(m.body)
		c.jsonb(m.media)
		c.text(m.status)
		c.maybeInt4(m.errorCode)
		c.bool(m.automated)
		c.text(m.app)
		c.bool(m.hidden)
		c.maybeText(m.twilioSID)
		c.maybeUUID(m.templateID)
		c.maybeTime(m.sendAt)
		c.maybeText(m.cancelReason)
		c.time(m.createdAt)
		c.int8(m.position)
	}
	return c.copyIn(ctx, tx)
}
