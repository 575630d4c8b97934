package projections

import (
	"fmt"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
)

// logPage is a page of the log as a rebuild hands it to its projectors:
// its events and, beside them index for index, the domain events of those
// that projectors' rebuilds read decoded. Each event's JSON is decoded once
// for all of them (the projectors' own paths decode it each for itself,
// which in a rebuild of every projector cost more CPU than anything else in
// the process).
type logPage struct {
	events  []eventstore.RecordedEvent
	decoded []decodedEvent // nil when no projector of the rebuild reads decoded events
}

// decodedEvent is one event of a page decoded: ev is the domain event
// (conversation, consent or lead) or nil for a type no rebuild decodes; err
// is what decoding it answered. A projector fails on err only where its own
// Apply would have decoded the event, so a rebuild fails where the live path
// does.
type decodedEvent struct {
	ev  any
	err error
}

// decodePage decodes the events of a page that a rebuild reads decoded:
// the conversation events the inbox handles (which include those search
// and scheduled read), consent events and leads.
func decodePage(events []eventstore.RecordedEvent) []decodedEvent {
	out := make([]decodedEvent, len(events))
	for i, e := range events {
		d := &out[i]
		switch {
		case Inbox{}.handles(e.Type):
			d.ev, d.err = conversation.Decode(e.Type, e.Data)
		case isConsentEvent(e.Type):
			d.ev, d.err = consent.Decode(e.Type, e.Data)
		case e.Type == lead.TypeLeadCreated || e.Type == lead.TypeLeadUpdated:
			d.ev, d.err = lead.Decode(e.Type, e.Data)
		}
	}
	return out
}

// readsDecoded reports whether any of ps rebuilds from decoded events.
func readsDecoded(ps []Projector) bool {
	for _, p := range ps {
		if _, ok := p.(rebuilder); ok {
			return true
		}
	}
	return false
}

// threadEvent is a decoded conversation event that embeds its Thread.
type threadEvent interface{ EventThread() conversation.Thread }

// liveChangeOfDecoded is liveChangeOf from a decoded event where there is
// one: a conversation event's thread as the event decoded names it, a
// consent's or a lead's customer. Anything else (a conversation event no
// rebuild decodes, one that failed to decode, a company's) goes through
// liveChangeOf, so the answer is liveChangeOf's.
func liveChangeOfDecoded(e eventstore.RecordedEvent, d decodedEvent) (liveChange, bool, error) {
	if d.err == nil && d.ev != nil {
		switch {
		case isConsentEvent(e.Type):
			c := d.ev.(consent.Event).Base()
			return liveChange{companyID: c.CompanyID, threadID: conversation.ThreadID(c.CompanyID, c.CustomerPhone)}, true, nil
		case e.Type == lead.TypeLeadCreated || e.Type == lead.TypeLeadUpdated:
			ld, _ := lead.DetailsOf(d.ev.(lead.Event))
			return liveChange{companyID: ld.CompanyID, threadID: conversation.ThreadID(ld.CompanyID, ld.CustomerPhone)}, true, nil
		}
		if te, ok := d.ev.(threadEvent); ok {
			th := te.EventThread()
			if th.ThreadID == uuid.Nil || th.CompanyID == "" {
				return liveChange{}, false, fmt.Errorf("live %s: the event names no thread", e.Type)
			}
			return liveChange{companyID: th.CompanyID, threadID: th.ThreadID}, true, nil
		}
	}
	return liveChangeOf(e)
}
