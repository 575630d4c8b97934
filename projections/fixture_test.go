package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/template"
)

// fixtureAppend is one append of the generated log: events to one stream.
type fixtureAppend struct {
	stream eventstore.StreamID
	events []domainEvent
}

// fixtureLog generates a log shaped like a busy company's: customers text in
// and are answered (queued, attempted, sent, delivered), threads are read,
// archived and marked unread, forms ask for consent and make leads,
// customers say YES, STOP and HELP, and the company changes its number and
// settings once. It also holds what a sequential projector has to get right:
// late events of older messages (times out of order), a MessageReceived
// recorded twice under one message ID, status callbacks out of order, a
// hidden outbound text, events before their thread exists, events of
// streams no projector reads. The team works the threads: staff answers
// assign an unassigned thread to their writer in the same append, threads
// are assigned, reassigned and unassigned (also before the thread exists),
// notes are added (one recorded twice under its ID), and answers are filled
// from the company's templates (created, updated, one deleted). Texts are
// scheduled (also before the thread exists), then released when due (the
// release may come again), canceled, or released and then canceled; a
// queued text is canceled too. The same seed gives the same log.
func fixtureLog(seed uint64, customers, texts int) []fixtureAppend {
	rng := rand.New(rand.NewPCG(seed, 7))
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 123456789, time.UTC)
	clock := t0
	tick := func() time.Time {
		clock = clock.Add(time.Duration(500+rng.IntN(5000)) * time.Millisecond)
		return clock
	}
	const co = "co-fixture"
	number := phone.Number("+12025550100")
	var out []fixtureAppend
	add := func(stream eventstore.StreamID, events ...domainEvent) {
		out = append(out, fixtureAppend{stream: stream, events: events})
	}
	add(company.StreamID(co), company.CompanyCreated{CompanyID: co, Name: "Fixture", MessagingNumber: number,
		TimeZone: "America/New_York", SMSEnabled: true, Country: "US", At: tick()},
		company.UserAdded{CompanyID: co, UserID: "u1", Name: "Ann", Role: company.RoleAgent, TokenHash: "h1", At: clock},
		company.UserAdded{CompanyID: co, UserID: "u2", Name: "Bo", Role: company.RoleAdmin, TokenHash: "h2", At: clock})
	add("number-"+eventstore.StreamID(number), company.NumberClaimed{Number: number, CompanyID: co, At: clock})
	templates := []uuid.UUID{uuid.New(), uuid.New()}
	add(template.StreamID(co), template.TemplateCreated{TemplateID: templates[0], CompanyID: co, Name: "Hours", Body: "We open at 9.", At: tick()},
		template.TemplateCreated{TemplateID: templates[1], CompanyID: co, Name: "Thanks", Body: "Thank you!", At: clock})

	type customer struct {
		phone     phone.Number
		thread    conversation.Thread
		status    consent.Status
		outbound  []uuid.UUID
		lastIn    conversation.MessageReceived
		assignee  string
		lastNote  conversation.NoteAdded
		scheduled []conversation.OutboundMessageScheduled
	}
	cs := make([]*customer, customers)
	for i := range cs {
		p := phone.Number(fmt.Sprintf("+1312555%04d", i))
		cs[i] = &customer{phone: p, thread: conversation.Thread{ThreadID: conversation.ThreadID(co, p), CompanyID: co, CustomerPhone: p}}
	}
	change := func(c *customer, after consent.Status, at time.Time) consent.Change {
		ch := consent.Change{CompanyID: co, CustomerPhone: c.phone, MessagingNumber: number, StatusBefore: c.status,
			StatusAfter: after, Actor: "customer:" + string(c.phone), AutomatedText: consent.TextNone, At: at}
		c.status = after
		return ch
	}
	conv := func(c *customer, events ...domainEvent) {
		add(conversation.StreamID(co, c.phone), events...)
	}
	users := []string{"u1", "u2"}
	sid := 0
	for n := 0; n < texts; n++ {
		c := cs[rng.IntN(len(cs))]
		at := tick()
		switch r := rng.IntN(100); {
		case r < 50: // a text in
			sid++
			m := conversation.MessageReceived{MessageID: uuid.New(), Thread: c.thread, MessagingNumber: number,
				MessageSID: fmt.Sprintf("SM%032x", sid), Body: fmt.Sprintf("text %d from %s", n, c.phone), App: "sms", ReceivedAt: at}
			if rng.IntN(10) == 0 {
				m.Media = []conversation.Media{{URL: "https://example.com/m.jpg", ContentType: "image/jpeg"}}
				m.Body = ""
			}
			if rng.IntN(25) == 0 { // a late event of an older message
				m.ReceivedAt = at.Add(-time.Hour)
			}
			conv(c, m)
			c.lastIn = m
			if rng.IntN(10) == 0 { // an automated answer at the same instant
				conv(c, conversation.OutboundMessageQueued{MessageID: uuid.New(), Thread: c.thread, From: number, To: c.phone,
					Body: "auto " + m.Body, App: "auto", Automated: true, QueuedAt: m.ReceivedAt})
			}
		case r < 52 && c.lastIn.MessageID != uuid.Nil: // the same message recorded again
			again := c.lastIn
			again.Body = "recorded twice"
			again.ReceivedAt = at
			conv(c, again)
		case r < 75: // a text out, and its life
			id := uuid.New()
			c.outbound = append(c.outbound, id)
			hidden := rng.IntN(30) == 0
			queued := conversation.OutboundMessageQueued{MessageID: id, Thread: c.thread, From: number, To: c.phone,
				Body: fmt.Sprintf("answer %d", n), App: "web", Automated: hidden, Hidden: hidden, QueuedAt: at}
			if !hidden && rng.IntN(4) == 0 { // filled from a template
				queued.TemplateID = &templates[rng.IntN(len(templates))]
			}
			if writer := users[rng.IntN(len(users))]; !hidden && c.assignee == "" {
				// A staff answer to an unassigned thread assigns it to its writer.
				c.assignee = writer
				conv(c, queued, conversation.ThreadAssigned{Thread: c.thread, AssigneeID: writer, By: writer, ReplyID: id, At: at})
			} else {
				conv(c, queued)
			}
			conv(c, conversation.OutboundSendAttempted{MessageID: id, Thread: c.thread, Attempt: 1, At: tick()})
			twilioSID := fmt.Sprintf("SM%032x", 1<<60+n)
			conv(c, conversation.OutboundMessageSent{MessageID: id, Thread: c.thread, TwilioSID: twilioSID, TwilioStatus: "queued",
				Status: conversation.StatusSent, At: tick()})
			final := conversation.OutboundMessageStatusChanged{MessageID: id, Thread: c.thread, TwilioSID: twilioSID,
				TwilioStatus: "delivered", Status: conversation.StatusDelivered, At: tick()}
			if rng.IntN(8) == 0 {
				final.TwilioStatus, final.Status, final.ErrorCode = "undelivered", conversation.StatusUndelivered, 30003
			}
			add(conversation.SIDStreamID(twilioSID), conversation.MessageSIDAssigned{TwilioSID: twilioSID, MessageID: id, Thread: c.thread, At: clock})
			conv(c, final)
			if rng.IntN(6) == 0 { // a callback that comes late: it moves nothing back
				conv(c, conversation.OutboundMessageStatusChanged{MessageID: id, Thread: c.thread, TwilioSID: twilioSID,
					TwilioStatus: "sent", Status: conversation.StatusSent, At: tick()})
			}
		case r < 77 && len(c.outbound) > 0: // a text that failed
			id := uuid.New()
			conv(c, conversation.OutboundMessageQueued{MessageID: id, Thread: c.thread, From: number, To: c.phone,
				Body: "will fail", App: "web", QueuedAt: at},
				conversation.OutboundMessageFailed{MessageID: id, Thread: c.thread, ErrorCode: 21610, Reason: "opted out", At: tick()})
		case r < 84:
			conv(c, conversation.ThreadRead{Thread: c.thread, At: at})
		case r < 87:
			conv(c, conversation.ThreadArchived{Thread: c.thread, At: at})
		case r < 89:
			conv(c, conversation.ThreadUnarchived{Thread: c.thread, At: at})
		case r < 91:
			conv(c, conversation.ThreadMarkedUnread{Thread: c.thread, At: at})
		case r < 94: // a form: consent asked for, a lead made or updated
			d := lead.Details{LeadID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(c.phone)), CompanyID: co, CustomerPhone: c.phone,
				ThreadID: c.thread.ThreadID, FirstName: "Ada", LastName: fmt.Sprintf("L%d", n), Email: "ada@example.com",
				Source: "app:text_us_now", At: at}
			stream := eventstore.StreamID("lead-" + co + "-" + string(c.phone))
			if rng.IntN(2) == 0 {
				add(stream, lead.LeadCreated{Details: d})
			} else {
				add(stream, lead.LeadUpdated{Details: d})
			}
			add(consent.StreamID(co, c.phone), consent.ConsentRequested{Change: change(c, consent.StatusPending, at)})
		case r < 97:
			add(consent.StreamID(co, c.phone), consent.ConsentConfirmed{Change: change(c, consent.StatusYes, at)})
		case r < 99:
			add(consent.StreamID(co, c.phone), consent.OptedOut{Change: change(c, consent.StatusNo, at)})
		default:
			add(consent.StreamID(co, c.phone), consent.HelpRequested{Change: change(c, c.status, at)})
		}
		switch r := rng.IntN(100); { // texts for later
		case r < 4:
			sch := conversation.OutboundMessageScheduled{MessageID: uuid.New(), Thread: c.thread, From: number, To: c.phone,
				Body: fmt.Sprintf("later %d", n), App: "web", SendAt: at.Add(time.Hour), ScheduledAt: tick()}
			if rng.IntN(3) == 0 {
				sch.TemplateID = &templates[0]
			}
			conv(c, sch)
			c.scheduled = append(c.scheduled, sch)
		case r < 8 && len(c.scheduled) > 0: // the oldest waiting one is released, or canceled
			sch := c.scheduled[0]
			c.scheduled = c.scheduled[1:]
			released := conversation.OutboundMessageQueued{MessageID: sch.MessageID, Thread: c.thread, From: sch.From, To: c.phone,
				Body: sch.Body, App: sch.App, TemplateID: sch.TemplateID, SendAt: sch.SendAt, QueuedAt: tick()}
			switch k := rng.IntN(10); {
			case k < 5:
				conv(c, released)
				if k == 0 { // released again by a second server: it changes nothing
					again := released
					again.QueuedAt = tick()
					conv(c, again)
				}
			case k < 8:
				conv(c, conversation.OutboundMessageCanceled{MessageID: sch.MessageID, Thread: c.thread,
					Reason: conversation.CancelStaff, At: tick()})
			default: // released, then canceled before Twilio took it (a STOP)
				conv(c, released, conversation.OutboundMessageCanceled{MessageID: sch.MessageID, Thread: c.thread,
					Reason: conversation.CancelConsent, At: tick()})
			}
		case r < 9:
			id := uuid.New()
			conv(c, conversation.OutboundMessageQueued{MessageID: id, Thread: c.thread, From: number, To: c.phone,
				Body: "never sent", App: "web", QueuedAt: at},
				conversation.OutboundMessageCanceled{MessageID: id, Thread: c.thread, Reason: conversation.CancelConsent, At: tick()})
		}
		switch r := rng.IntN(100); { // the team's work on a thread
		case r < 4:
			c.assignee = users[rng.IntN(len(users))]
			conv(c, conversation.ThreadAssigned{Thread: c.thread, AssigneeID: c.assignee, By: "u2", At: tick()})
		case r < 6:
			conv(c, conversation.ThreadUnassigned{Thread: c.thread, Previous: c.assignee, By: "u2", At: tick()})
			c.assignee = ""
		case r < 10:
			note := conversation.NoteAdded{Thread: c.thread, NoteID: uuid.New(), AuthorID: users[rng.IntN(len(users))],
				Body: fmt.Sprintf("note %d", n), At: tick()}
			if rng.IntN(10) == 0 && c.lastNote.NoteID != uuid.Nil { // the same note recorded again
				note.NoteID = c.lastNote.NoteID
			}
			conv(c, note)
			c.lastNote = note
		}
		if n == texts/3 {
			add(template.StreamID(co), template.TemplateUpdated{TemplateID: templates[0], CompanyID: co, Name: "Hours",
				Body: "We open at 8.", At: at})
		}
		if n == 2*texts/3 {
			add(template.StreamID(co), template.TemplateDeleted{TemplateID: templates[1], CompanyID: co, At: at})
		}
		if n == texts/2 { // the company moves once, half-way
			name := "Fixture Two"
			add(company.StreamID(co), company.CompanyUpdated{CompanyID: co, Name: &name, At: at},
				company.MessagingNumberChanged{CompanyID: co, PreviousNumber: number, MessagingNumber: "+12025550101", At: at},
				company.UserRemoved{CompanyID: co, UserID: "u2", At: at})
			number = "+12025550101"
		}
	}
	// Every third customer's last exchange is a text answered at the same
	// instant, so that how a tie is broken decides what the read models
	// end with.
	for i, c := range cs {
		if i%3 != 0 {
			continue
		}
		sid++
		at := tick()
		conv(c, conversation.MessageReceived{MessageID: uuid.New(), Thread: c.thread, MessagingNumber: number,
			MessageSID: fmt.Sprintf("SM%032x", sid), Body: "last word", App: "sms", ReceivedAt: at},
			conversation.OutboundMessageQueued{MessageID: uuid.New(), Thread: c.thread, From: number, To: c.phone,
				Body: "auto last word", App: "auto", Automated: true, QueuedAt: at})
	}
	return out
}

// appendFixture records a generated log, in order, and answers the head.
// Consecutive appends to different streams go in concurrently (the store
// commits them in groups), so a big log is quick to make; appends to one
// stream stay in order.
func appendFixture(tb testing.TB, store eventstore.Store, log []fixtureAppend) eventstore.Position {
	tb.Helper()
	ctx := context.Background()
	data := func(e domainEvent) eventstore.EventData {
		body, err := json.Marshal(e)
		if err != nil {
			tb.Fatal(err)
		}
		return eventstore.EventData{ID: uuid.New(), Type: e.EventType(), SchemaVersion: 1, Data: body,
			Metadata: eventstore.Metadata{Actor: "fixture"}, OccurredAt: e.OccurredAt()}
	}
	// Appends run in waves of distinct streams: a wave ends before the next
	// append to any of its streams.
	for i := 0; i < len(log); {
		seen := map[eventstore.StreamID]bool{}
		j := i
		for j < len(log) && !seen[log[j].stream] && j-i < 64 {
			seen[log[j].stream] = true
			j++
		}
		var wg sync.WaitGroup
		errs := make(chan error, j-i)
		for _, a := range log[i:j] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				events := make([]eventstore.EventData, len(a.events))
				for k, e := range a.events {
					events[k] = data(e)
				}
				if _, err := store.Append(ctx, a.stream, eventstore.Any(), events...); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			tb.Fatal(err)
		}
		i = j
	}
	head, err := store.Head(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return head
}

// readLog reads the whole log into memory.
func readLog(tb testing.TB, store eventstore.Store) []eventstore.RecordedEvent {
	tb.Helper()
	var out []eventstore.RecordedEvent
	for e, err := range store.ReadAll(context.Background(), eventstore.Start, eventstore.Filter{}) {
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}
