package projections

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// liveRows reads the live read model: thread ID or "company:<id>" → its
// company and position.
func liveRows(t *testing.T, q Queries) map[string]liveRow {
	t.Helper()
	ctx := context.Background()
	out := map[string]liveRow{}
	rows, err := q.Pool.Query(ctx, `SELECT thread_id::text, company_id, position FROM thread_changes
		UNION ALL SELECT 'company:' || company_id, company_id, position FROM company_changes`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var r liveRow
		if err := rows.Scan(&key, &r.Company, &r.Position); err != nil {
			t.Fatal(err)
		}
		out[key] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type liveRow struct {
	Company  string
	Position int64
}

type domainEvent interface {
	EventType() string
	OccurredAt() time.Time
}

// The live projector records, for each event that changes what a thread
// shows, the thread and the event's position (the later one when a thread
// changes again); for company-wide changes, the company; other events,
// nothing.
func TestLiveProjector(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	q := Queries{Pool: pool}
	const co, other = "co", "other"
	cust1, cust2 := phone.Number("+13125550101"), phone.Number("+13125550102")
	th1 := conversation.Thread{ThreadID: conversation.ThreadID(co, cust1), CompanyID: co, CustomerPhone: cust1}
	thOther := conversation.Thread{ThreadID: conversation.ThreadID(other, cust1), CompanyID: other, CustomerPhone: cust1}
	msg := uuid.New()
	ch2 := consentChange(cNumA, consent.StatusNo, consent.StatusPending, 0)
	ch2.CompanyID, ch2.CustomerPhone = co, cust2
	details := lead.Details{LeadID: uuid.New(), CompanyID: co, CustomerPhone: cust1, ThreadID: th1.ThreadID,
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com", Source: "dashboard", At: cT0}
	thread1 := th1.ThreadID.String()
	thread2 := conversation.ThreadID(co, cust2).String()
	threadOther := thOther.ThreadID.String()

	steps := []struct {
		name   string
		stream eventstore.StreamID
		event  domainEvent
		// changes is the row the event moves ("" for none).
		changes string
	}{
		{"a text opens thread 1", conversation.StreamID(co, cust1),
			conversation.MessageReceived{MessageID: uuid.New(), Thread: th1, MessagingNumber: cNumA, MessageSID: "SM1", Body: "hi", App: "sms", ReceivedAt: cT0}, thread1},
		{"read", conversation.StreamID(co, cust1), conversation.ThreadRead{Thread: th1, At: cT0}, thread1},
		{"a reply queued", conversation.StreamID(co, cust1),
			conversation.OutboundMessageQueued{MessageID: msg, Thread: th1, From: cNumA, To: cust1, Body: "hello", App: "dashboard", QueuedAt: cT0}, thread1},
		{"its status", conversation.StreamID(co, cust1),
			conversation.OutboundMessageStatusChanged{MessageID: msg, Thread: th1, TwilioSID: "SM2", TwilioStatus: "delivered", Status: conversation.StatusDelivered, At: cT0}, thread1},
		{"consent before any message", consent.StreamID(co, cust2), consent.ConsentRequested{Change: ch2}, thread2},
		{"another company's text", conversation.StreamID(other, cust1),
			conversation.MessageReceived{MessageID: uuid.New(), Thread: thOther, MessagingNumber: cNumB, MessageSID: "SM3", Body: "yo", App: "sms", ReceivedAt: cT0}, threadOther},
		{"a lead for thread 1", "lead-co-" + eventstore.StreamID(cust1), lead.LeadCreated{Details: details}, thread1},
		{"a number change", "company-co",
			company.MessagingNumberChanged{CompanyID: co, PreviousNumber: cNumA, MessagingNumber: cNumB, At: cT0}, "company:" + co},
		{"a user added", "company-co", company.UserAdded{CompanyID: co, UserID: "u1", Name: "A", Role: company.RoleAgent, TokenHash: "h", At: cT0}, ""},
		{"the lead updated", "lead-co-" + eventstore.StreamID(cust1), lead.LeadUpdated{Details: details}, thread1},
		{"settings changed", "company-other", company.CompanyUpdated{CompanyID: other, Name: new(string), At: cT0}, "company:" + other},
	}
	want := map[string]liveRow{}
	for _, s := range steps {
		pos := appendEvent(t, store, s.stream, s.event)
		if s.changes != "" {
			company := co
			if s.changes == threadOther || s.changes == "company:"+other {
				company = other
			}
			want[s.changes] = liveRow{Company: company, Position: int64(pos)}
		}
		if _, err := Rebuild(ctx, pool, store, Live{}, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := liveRows(t, q); !maps.Equal(got, want) {
			t.Fatalf("after %s:\n got %v\nwant %v", s.name, got, want)
		}
	}
}

// ThreadChanges lists the company's changed threads in a range of
// positions, as the thread list reads them; a thread the inbox has not
// opened is left out. CompanyChange finds a company-wide change in a range.
func TestThreadChanges(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	q := Queries{Pool: pool}
	const co = "co"
	custs := []phone.Number{"+13125550101", "+13125550102", "+13125550103"}
	appendEvent(t, store, "company-co", company.CompanyCreated{CompanyID: co, Name: "Acme", MessagingNumber: cNumA, TimeZone: "UTC", SMSEnabled: true, Country: "US", At: cT0})
	var pos []eventstore.Position
	for i, c := range custs {
		th := conversation.Thread{ThreadID: conversation.ThreadID(co, c), CompanyID: co, CustomerPhone: c}
		pos = append(pos, appendEvent(t, store, conversation.StreamID(co, c), conversation.MessageReceived{
			MessageID: uuid.New(), Thread: th, MessagingNumber: cNumA, MessageSID: "SM" + string(c), Body: "hi", App: "sms",
			ReceivedAt: cT0.Add(time.Duration(i) * time.Minute)}))
	}
	// Thread 0 changes again: it moves after the others.
	th0 := conversation.Thread{ThreadID: conversation.ThreadID(co, custs[0]), CompanyID: co, CustomerPhone: custs[0]}
	read0 := appendEvent(t, store, conversation.StreamID(co, custs[0]), conversation.ThreadRead{Thread: th0, At: cT0})
	// A consent with no thread yet, another company's thread, a number change.
	ch := consentChange(cNumA, consent.StatusNo, consent.StatusPending, 0)
	ch.CompanyID, ch.CustomerPhone = co, "+13125550199"
	appendEvent(t, store, consent.StreamID(co, ch.CustomerPhone), consent.ConsentRequested{Change: ch})
	thx := conversation.Thread{ThreadID: conversation.ThreadID("other", custs[0]), CompanyID: "other", CustomerPhone: custs[0]}
	appendEvent(t, store, conversation.StreamID("other", custs[0]), conversation.MessageReceived{
		MessageID: uuid.New(), Thread: thx, MessagingNumber: cNumB, MessageSID: "SMx", Body: "x", App: "sms", ReceivedAt: cT0})
	numberAt := appendEvent(t, store, "company-co", company.MessagingNumberChanged{CompanyID: co, PreviousNumber: cNumA, MessagingNumber: cNumB, At: cT0})
	for _, p := range []Projector{Directory{}, Inbox{}, Consent{}, Leads{}, Live{}} {
		if _, err := Rebuild(ctx, pool, store, p, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
	}

	type change struct {
		pos    eventstore.Position
		phone  string
		unread bool
	}
	tests := []struct {
		name        string
		after, upTo eventstore.Position
		limit       int
		want        []change
	}{
		{"everything", 0, numberAt, 10, []change{{pos[1], string(custs[1]), true}, {pos[2], string(custs[2]), true}, {read0, string(custs[0]), false}}},
		{"a page", 0, numberAt, 2, []change{{pos[1], string(custs[1]), true}, {pos[2], string(custs[2]), true}}},
		{"after the first", pos[1], numberAt, 10, []change{{pos[2], string(custs[2]), true}, {read0, string(custs[0]), false}}},
		{"up to a position", 0, pos[2], 10, []change{{pos[1], string(custs[1]), true}, {pos[2], string(custs[2]), true}}},
		// Thread 0's change at pos[0] is now read0's: it is not in this range.
		{"a coalesced change", 0, pos[0], 10, nil},
		{"nothing after", numberAt, numberAt + 10, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := q.ThreadChanges(ctx, co, tc.after, tc.upTo, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("%d changes, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Position != w.pos || g.Thread.CustomerPhone != w.phone || g.Thread.Unread != w.unread {
					t.Fatalf("change %d: %d %s unread=%v, want %+v", i, g.Position, g.Thread.CustomerPhone, g.Thread.Unread, w)
				}
				// Byte for byte the Thread that the thread queries read.
				th, err := q.Thread(ctx, co, g.Thread.ID)
				if err != nil {
					t.Fatal(err)
				}
				gotJSON, _ := json.Marshal(g.Thread)
				wantJSON, _ := json.Marshal(th)
				if string(gotJSON) != string(wantJSON) {
					t.Fatalf("thread %s, the thread query reads %s", gotJSON, wantJSON)
				}
			}
		})
	}

	for _, tc := range []struct {
		after, upTo eventstore.Position
		want        eventstore.Position
	}{{0, numberAt, numberAt}, {0, numberAt - 1, 0}, {numberAt, numberAt + 5, 0}} {
		got, err := q.CompanyChange(ctx, co, tc.after, tc.upTo)
		if err != nil || got != tc.want {
			t.Fatalf("CompanyChange(%d, %d) = %d %v, want %d", tc.after, tc.upTo, got, err, tc.want)
		}
	}
	if got, err := q.CompanyChange(ctx, "other", 0, numberAt); err != nil || got != 0 {
		t.Fatalf("another company's number change: %d %v", got, err)
	}
}
