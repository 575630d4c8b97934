package projections

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
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

// pageApplier applies the pages of one rebuild.
type pageApplier interface {
	applyPage(ctx context.Context, tx pgx.Tx, page []eventstore.RecordedEvent) error
}

// batchApplier is the rebuild of a projector without a path of its own:
// each page applied as the live path applies a run of events.
type batchApplier struct{ p Projector }

func (b batchApplier) applyPage(ctx context.Context, tx pgx.Tx, page []eventstore.RecordedEvent) error {
	return apply(ctx, tx, b.p, page)
}

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
// rules ApplyBatch folds by, and writes what changed, the new messages
// with COPY (a message the rebuild has not written cannot be in the
// table). Should a page hold an event type the fold does not know (none
// today), that event is applied by Apply and the rest of the rebuild goes
// through ApplyBatch, which reads what it needs, as the memory no longer
// holds all the tables do.
type inboxRebuild struct {
	inbox Inbox
	run   *inboxRun // nil once the rest goes through ApplyBatch
}

func (r *inboxRebuild) applyPage(ctx context.Context, tx pgx.Tx, page []eventstore.RecordedEvent) error {
	for k, e := range page {
		if r.run == nil {
			return apply(ctx, tx, r.inbox, page[k:])
		}
		if !r.inbox.handles(e.Type) {
			continue
		}
		ev, err := conversation.Decode(e.Type, e.Data)
		if err != nil {
			return atEvent(e, err)
		}
		if r.run.add(ev, e.Position) {
			continue
		}
		if err := r.run.flush(ctx, tx); err != nil {
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
	r.ops = r.ops[:0]
	for _, t := range r.threads {
		t.dirty = false
	}
	for _, m := range r.messages {
		if m.isNew {
			m.from, m.to, m.body, m.media, m.app, m.companyID = "", "", "", "", "", ""
			m.templateID, m.sendAt = nil, nil
		}
		m.isNew, m.changed = false, false
	}
	clear(r.notes)
}

// copyMessages writes new messages with COPY: the messages table's columns
// as the insert of write names them.
func copyMessages(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"messages"}, []string{"id", "thread_id", "company_id", "direction", "from_number",
		"to_number", "body", "media", "status", "error_code", "automated", "app", "hidden", "twilio_sid", "template_id",
		"send_at", "cancel_reason", "created_at", "position"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("inbox: copy messages: %w", err)
	}
	return nil
}
