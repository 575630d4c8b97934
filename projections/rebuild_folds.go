package projections

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/lead"
)

// The rebuilds below fold the whole log into rows kept in memory and copy
// them in at the end (a row that only ever goes in once, a text's words,
// as soon as its page is folded): a rebuild starts from emptied tables and
// is their only writer until it commits, so the rows in memory are the
// tables. Each fold is its projector's set-based one (ApplyBatch) kept
// across pages, so it answers as Apply does (the equivalence test holds
// the rebuild to Apply).

func (s Search) rebuild() pageApplier {
	return &searchRebuild{run: searchRun{threads: map[uuid.UUID]*searchThread{}, messages: map[uuid.UUID]bool{}}}
}

// searchRebuild keeps a searchRun across the pages: its customers' rows
// until the end, the ids of the texts it has indexed (the first event of a
// message stands), and copies each page's new texts in.
type searchRebuild struct{ run searchRun }

func (r *searchRebuild) applyPage(ctx context.Context, tx pgx.Tx, page logPage) error {
	for k, e := range page.events {
		switch e.Type {
		case conversation.TypeMessageReceived, conversation.TypeOutboundMessageQueued, lead.TypeLeadCreated, lead.TypeLeadUpdated:
			d := page.decoded[k]
			if d.err != nil {
				return atEvent(e, d.err)
			}
			r.run.fold(d.ev)
		}
	}
	m := &r.run.m
	c := newCopyRows("search_messages", "message_id", "company_id", "thread_id", "body", "created_at")
	for i := range m.id {
		c.row()
		c.uuid(m.id[i])
		c.text(m.company[i])
		c.uuid(m.thread[i])
		c.text(m.body[i])
		c.time(m.created[i])
	}
	m.id, m.company, m.thread, m.body, m.created = m.id[:0], m.company[:0], m.thread[:0], m.body[:0], m.created[:0]
	return c.copyIn(ctx, tx)
}

func (r *searchRebuild) finish(ctx context.Context, tx pgx.Tx) error {
	c := newCopyRows("search_threads", "thread_id", "company_id", "customer_phone", "customer_name", "last_activity_at", "last_text")
	for _, t := range r.run.order {
		c.row()
		c.uuid(t.id)
		c.text(t.company)
		c.text(t.phone)
		c.maybeText(t.name)
		c.maybeTime(t.at)
		c.text(t.text)
	}
	return c.copyIn(ctx, tx)
}

func (Live) rebuild() pageApplier {
	return &liveRebuild{threads: map[uuid.UUID]*liveKept{}, companies: map[string]int64{}}
}

// liveRebuild keeps each thread's and company's last change: the first
// event of a thread names its company, the greatest position stands (as
// Apply's greatest keeps).
type liveRebuild struct {
	threads   map[uuid.UUID]*liveKept
	companies map[string]int64
}

type liveKept struct {
	company  string
	position int64
}

func (r *liveRebuild) applyPage(_ context.Context, _ pgx.Tx, page logPage) error {
	for k, e := range page.events {
		ch, ok, err := liveChangeOfDecoded(e, page.decoded[k])
		if err != nil {
			return atEvent(e, err)
		}
		if !ok {
			continue
		}
		pos := int64(e.Position)
		if ch.threadID == uuid.Nil {
			r.companies[ch.companyID] = max(r.companies[ch.companyID], pos)
			continue
		}
		if t, seen := r.threads[ch.threadID]; seen {
			t.position = max(t.position, pos)
			continue
		}
		r.threads[ch.threadID] = &liveKept{company: ch.companyID, position: pos}
	}
	return nil
}

func (r *liveRebuild) finish(ctx context.Context, tx pgx.Tx) error {
	threads := newCopyRows("thread_changes", "thread_id", "company_id", "position")
	for id, t := range r.threads {
		threads.row()
		threads.uuid(id)
		threads.text(t.company)
		threads.int8(t.position)
	}
	companies := newCopyRows("company_changes", "company_id", "position")
	for id, pos := range r.companies {
		companies.row()
		companies.text(id)
		companies.int8(pos)
	}
	for _, c := range []*copyRows{threads, companies} {
		if err := c.copyIn(ctx, tx); err != nil {
			return err
		}
	}
	return nil
}

func (Consent) rebuild() pageApplier { return &consentRebuild{rows: map[consentKey]*consentKept{}} }

type consentKey struct{ company, phone string }

type consentKept struct {
	number, status string
	updatedAt      time.Time
}

// consentRebuild keeps every customer's consent: the status and number
// the customer's last consent event recorded, and when either last
// changed (ApplyBatch's fold).
type consentRebuild struct{ rows map[consentKey]*consentKept }

func (r *consentRebuild) applyPage(_ context.Context, _ pgx.Tx, page logPage) error {
	for k, e := range page.events {
		if !isConsentEvent(e.Type) {
			continue
		}
		d := page.decoded[k]
		if d.err != nil {
			return atEvent(e, d.err)
		}
		ch := d.ev.(consent.Event).Base()
		key := consentKey{ch.CompanyID, string(ch.CustomerPhone)}
		status, number, at := ch.StatusAfter.String(), string(ch.MessagingNumber), dbTime(ch.At)
		row, ok := r.rows[key]
		switch {
		case !ok:
			r.rows[key] = &consentKept{number: number, status: status, updatedAt: at}
		case row.status != status || row.number != number:
			row.number, row.status, row.updatedAt = number, status, at
		}
	}
	return nil
}

func (r *consentRebuild) finish(ctx context.Context, tx pgx.Tx) error {
	c := newCopyRows("consents", "company_id", "customer_phone", "messaging_number", "status", "updated_at")
	for key, row := range r.rows {
		c.row()
		c.text(key.company)
		c.text(key.phone)
		c.text(row.number)
		c.text(row.status)
		c.time(row.updatedAt)
	}
	return c.copyIn(ctx, tx)
}

func (Leads) rebuild() pageApplier { return &leadsRebuild{leads: map[uuid.UUID]*[2]lead.Details{}} }

// leadsRebuild keeps every lead's first event (its identity and time of
// creation) and last (its fields), as ApplyBatch does for a run.
type leadsRebuild struct {
	leads map[uuid.UUID]*[2]lead.Details
}

func (r *leadsRebuild) applyPage(_ context.Context, _ pgx.Tx, page logPage) error {
	for k, e := range page.events {
		if e.Type != lead.TypeLeadCreated && e.Type != lead.TypeLeadUpdated {
			continue
		}
		d := page.decoded[k]
		if d.err != nil {
			return atEvent(e, d.err)
		}
		details, _ := lead.DetailsOf(d.ev.(lead.Event))
		if fl, ok := r.leads[details.LeadID]; ok {
			fl[1] = details
			continue
		}
		r.leads[details.LeadID] = &[2]lead.Details{details, details}
	}
	return nil
}

func (r *leadsRebuild) finish(ctx context.Context, tx pgx.Tx) error {
	c := newCopyRows("leads", "id", "company_id", "customer_phone", "thread_id", "first_name", "last_name", "email", "source",
		"created_at", "updated_at")
	for _, fl := range r.leads {
		first, last := fl[0], fl[1]
		c.row()
		c.uuid(first.LeadID)
		c.text(first.CompanyID)
		c.text(string(first.CustomerPhone))
		c.uuid(first.ThreadID)
		c.text(last.FirstName)
		c.text(last.LastName)
		c.text(last.Email)
		c.text(last.Source)
		c.time(first.At)
		c.time(last.At)
	}
	return c.copyIn(ctx, tx)
}

func (Scheduled) rebuild() pageApplier {
	return &scheduledRebuild{waiting: map[uuid.UUID]conversation.OutboundMessageScheduled{}}
}

// scheduledRebuild keeps the scheduled messages that wait: one in when
// scheduled (a second event of one waiting changes nothing), out when
// released or canceled, as Apply's insert and deletes.
type scheduledRebuild struct {
	waiting map[uuid.UUID]conversation.OutboundMessageScheduled
}

func (r *scheduledRebuild) applyPage(_ context.Context, _ pgx.Tx, page logPage) error {
	for k, e := range page.events {
		switch e.Type {
		case conversation.TypeOutboundMessageScheduled, conversation.TypeOutboundMessageQueued, conversation.TypeOutboundMessageCanceled:
		default:
			continue
		}
		d := page.decoded[k]
		if d.err != nil {
			return atEvent(e, d.err)
		}
		switch ev := d.ev.(type) {
		case conversation.OutboundMessageScheduled:
			if _, ok := r.waiting[ev.MessageID]; !ok {
				r.waiting[ev.MessageID] = ev
			}
		case conversation.OutboundMessageQueued:
			if !ev.SendAt.IsZero() { // a text queued at once was never scheduled
				delete(r.waiting, ev.MessageID)
			}
		case conversation.OutboundMessageCanceled:
			delete(r.waiting, ev.MessageID)
		}
	}
	return nil
}

func (r *scheduledRebuild) finish(ctx context.Context, tx pgx.Tx) error {
	c := newCopyRows("scheduled_messages", "message_id", "company_id", "customer_phone", "send_at")
	for id, ev := range r.waiting {
		c.row()
		c.uuid(id)
		c.text(ev.CompanyID)
		c.text(string(ev.CustomerPhone))
		c.time(ev.SendAt)
	}
	return c.copyIn(ctx, tx)
}
