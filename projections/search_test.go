package projections

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/search"
)

// The search projector indexes what a thread shows, and nothing else: not
// the hidden opt-out confirmation, not a note (another event type), not a
// text without words; a late event of an older text does not replace the
// thread's last text; a customer with a lead but no text is not a result.
func TestSearchProjector(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	q := Queries{Pool: pool}
	const co = "co"
	cust, silent := phone.Number("+13125550101"), phone.Number("+13125550102")
	th := conversation.Thread{ThreadID: conversation.ThreadID(co, cust), CompanyID: co, CustomerPhone: cust}
	stream := conversation.StreamID(co, cust)
	at := func(min int) time.Time { return cT0.Add(time.Duration(min) * time.Minute) }

	appendEvent(t, store, stream, conversation.MessageReceived{MessageID: uuid.New(), Thread: th, MessagingNumber: cNumA,
		MessageSID: "SM1", Body: "Can I book Tuesday?", App: "sms", ReceivedAt: at(2)})
	appendEvent(t, store, stream, conversation.OutboundMessageQueued{MessageID: uuid.New(), Thread: th, From: cNumA, To: cust,
		Body: "You have been unsubscribed from zebra texts", App: "automated", Automated: true, Hidden: true, QueuedAt: at(3)})
	// An older text recorded late: found, but the thread's last text stays.
	appendEvent(t, store, stream, conversation.OutboundMessageQueued{MessageID: uuid.New(), Thread: th, From: cNumA, To: cust,
		Body: "Booking confirmed", App: "dashboard", QueuedAt: at(1)})
	appendEvent(t, store, stream, conversation.MessageReceived{MessageID: uuid.New(), Thread: th, MessagingNumber: cNumA,
		MessageSID: "SM2", Media: []conversation.Media{{URL: "https://api.twilio.com/m", ContentType: "image/png"}}, App: "sms", ReceivedAt: at(0)})
	// A note names the thread and has a body, yet it is no text.
	note, _ := json.Marshal(map[string]any{"note_id": uuid.New(), "thread_id": th.ThreadID, "company_id": co,
		"customer_phone": cust, "body": "zebra note between colleagues", "at": at(4)})
	if _, err := store.Append(ctx, stream, eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: "NoteAdded", SchemaVersion: 1, Data: note, OccurredAt: at(4)}); err != nil {
		t.Fatal(err)
	}
	appendEvent(t, store, "lead-co-"+eventstore.StreamID(silent), lead.LeadCreated{Details: lead.Details{LeadID: uuid.New(), CompanyID: co,
		CustomerPhone: silent, ThreadID: conversation.ThreadID(co, silent), FirstName: "Zelda", LastName: "Quiet", Email: "z@example.com", Source: "dashboard", At: at(5)}})
	if _, err := Rebuild(ctx, pool, store, Search{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}

	find := func(text string) []SearchResult {
		t.Helper()
		query, err := search.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		res, _, err := q.Search(ctx, co, query, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if got := find("booking"); len(got) != 2 || got[0].Snippet != "Can I book Tuesday?" || got[1].Snippet != "Booking confirmed" {
		t.Fatalf("booking: %+v", got)
	}
	for _, word := range []string{"zebra", "unsubscribed", "Zelda"} {
		if got := find(word); len(got) != 0 {
			t.Errorf("%q found %+v", word, got)
		}
	}
	got := find("0101")
	if len(got) != 1 || got[0].MessageID != nil || got[0].Snippet != "Can I book Tuesday?" || !got[0].CreatedAt.Equal(at(2)) {
		t.Fatalf("0101: %+v", got)
	}
	var texts int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM search_messages`).Scan(&texts); err != nil {
		t.Fatal(err)
	}
	if texts != 2 {
		t.Fatalf("%d texts indexed, want 2 (not the hidden one, not the media-only one)", texts)
	}
}
