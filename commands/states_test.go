package commands

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

const (
	statesNumber   = "+12025550123"
	statesCustomer = "+13125550111"
)

// statesEnv is one database with a company, and two processes on it, each
// with its own event store client and its own remembered states.
type statesEnv struct {
	plain     eventstore.Store
	a, b      *States
	companyID string
}

func newStatesEnv(t testing.TB) *statesEnv {
	t.Helper()
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	open := func() eventstore.Store {
		s, err := pgstore.New(ctx, pool, pgstore.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	plain := open()
	co, err := NewCreateCompanyHandler(plain, time.Now, RandomIDs).Handle(ctx, CreateCompany{Name: "Acme", MessagingNumber: statesNumber})
	if err != nil {
		t.Fatal(err)
	}
	return &statesEnv{plain: plain, a: WithStates(open(), 0), b: WithStates(open(), 0), companyID: co.Company.ID}
}

func (e *statesEnv) receive(store eventstore.Store) *ReceiveInboundHandler {
	clock := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	return NewReceiveInboundHandler(ReceiveInboundDeps{Store: store, Logger: slog.New(slog.DiscardHandler), CancelUnsent: NewCancelUnsentHandler(store),
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Second); return clock },
		Route: func(ctx context.Context, n phone.Number) (string, bool, error) {
			return RouteNumber(ctx, store, n)
		}})
}

func text(t testing.TB, h *ReceiveInboundHandler, sid int) {
	t.Helper()
	_, err := h.Handle(context.Background(), InboundText{MessageSID: fmt.Sprintf("SM%032x", sid),
		From: statesCustomer, To: statesNumber, Body: fmt.Sprintf("text %d", sid)})
	if err != nil {
		t.Fatal(err)
	}
}

// A remembered state is never answered alone: each process starts from
// what it remembers and reads what the other appended since, so both
// decide on the whole stream (a webhook recorded by one is known to the
// other), and what Load answers equals a fold of the whole stream.
func TestStatesFollowOtherProcesses(t *testing.T) {
	e := newStatesEnv(t)
	ctx := context.Background()
	inA, inB := e.receive(e.a), e.receive(e.b)
	stream := conversation.StreamID(e.companyID, statesCustomer)
	for sid := 1; sid <= 3; sid++ {
		text(t, inA, sid)
	}
	if e.a.Len() == 0 {
		t.Fatal("process A remembers no state after three commands")
	}
	for sid := 4; sid <= 5; sid++ {
		text(t, inB, sid)
	}
	// Twilio delivers B's text again, to A: A must see it is recorded.
	text(t, inA, 5)
	text(t, inA, 6)

	whole, wholeVersion, wholePos, err := Load(ctx, e.plain, conversationDecider, stream)
	if err != nil {
		t.Fatal(err)
	}
	if whole.Messages != 6 {
		t.Fatalf("the thread holds %d messages, want 6 (one webhook delivered twice)", whole.Messages)
	}
	for name, s := range map[string]*States{"A": e.a, "B": e.b} {
		got, version, pos, err := Load(ctx, s, conversationDecider, stream)
		if err != nil {
			t.Fatal(err)
		}
		if version != wholeVersion || pos != wholePos || !reflect.DeepEqual(got, whole) {
			t.Fatalf("process %s loads version %d at %d, %+v; the whole stream is version %d at %d, %+v",
				name, version, pos, got, wholeVersion, wholePos, whole)
		}
	}
}

// One webhook delivered to both processes at once is recorded once, as
// without remembered states.
func TestStatesRecordAWebhookOnce(t *testing.T) {
	e := newStatesEnv(t)
	inA, inB := e.receive(e.a), e.receive(e.b)
	for sid := 1; sid <= 20; sid++ {
		var wg sync.WaitGroup
		for _, h := range []*ReceiveInboundHandler{inA, inB} {
			wg.Add(1)
			go func() { defer wg.Done(); text(t, h, sid) }()
		}
		wg.Wait()
	}
	var sids []string
	for rec, err := range e.plain.ReadStream(context.Background(), conversation.StreamID(e.companyID, statesCustomer), 0) {
		if err != nil {
			t.Fatal(err)
		}
		ev, err := conversation.Decode(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		if m, ok := ev.(conversation.MessageReceived); ok {
			sids = append(sids, m.MessageSID)
		}
	}
	slices.Sort(sids)
	if len(sids) != 20 || len(slices.Compact(slices.Clone(sids))) != 20 {
		t.Fatalf("recorded %d texts (%d distinct), want 20", len(sids), len(slices.Compact(sids)))
	}
}

// At most max streams are remembered, the least recently used forgotten;
// a forgotten stream is folded whole again.
func TestStatesForgetTheLeastRecentlyUsed(t *testing.T) {
	e := newStatesEnv(t)
	small := WithStates(e.plain, 2)
	ctx := context.Background()
	streams := []eventstore.StreamID{"conversation-x-1", "conversation-x-2", "conversation-x-3"}
	for i, s := range streams {
		p := phone.Number(fmt.Sprintf("+1312555000%d", i))
		th := conversation.Thread{ThreadID: conversation.ThreadID("x", p), CompanyID: "x", CustomerPhone: p}
		if _, err := e.plain.Append(ctx, s, eventstore.Any(), eventstore.EventData{ID: uuid.New(), Type: conversation.TypeThreadRead,
			SchemaVersion: 1, Data: fmt.Appendf(nil, `{"thread_id":%q,"company_id":"x","customer_phone":%q,"occurred_at":"2026-12-04T09:00:00Z"}`,
				th.ThreadID, th.CustomerPhone), OccurredAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	load := func(s eventstore.StreamID) int64 {
		_, v, _, err := Load(ctx, small, conversationDecider, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	load(streams[0])
	load(streams[1])
	load(streams[0]) // 0 is now the most recently used
	load(streams[2]) // forgets 1
	if small.Len() != 2 {
		t.Fatalf("remembers %d states, want 2", small.Len())
	}
	if _, ok := small.get(stateKey{stream: streams[1], state: reflect.TypeFor[conversation.State]()}); ok {
		t.Fatal("the least recently used stream is still remembered")
	}
	if _, ok := small.get(stateKey{stream: streams[0], state: reflect.TypeFor[conversation.State]()}); !ok {
		t.Fatal("a recently used stream was forgotten")
	}
	if v := load(streams[1]); v != 0 {
		t.Fatalf("a forgotten stream loads at version %d, want 0", v)
	}
}
