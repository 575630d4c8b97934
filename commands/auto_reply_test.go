package commands_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// autoReplies are the auto-replies queued in the customer's conversation.
func (e *consentEnv) autoReplies(t *testing.T) []conversation.OutboundMessageQueued {
	t.Helper()
	var out []conversation.OutboundMessageQueued
	for rec, err := range e.store.ReadStream(context.Background(), conversation.StreamID(e.company, cust), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type != conversation.TypeOutboundMessageQueued {
			continue
		}
		ev, err := conversation.Decode(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		if q := ev.(conversation.OutboundMessageQueued); q.AutoReply {
			out = append(out, q)
		}
	}
	return out
}

// meetingStore holds the first auto-reply appends until two have arrived,
// then lets everything through: two texts' decisions are then both taken
// on a thread without an auto-reply, which is the race to prove safe.
type meetingStore struct {
	eventstore.Store
	mu      sync.Mutex
	arrived int
	met     chan struct{}
}

func (m *meetingStore) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	for _, ev := range events {
		if ev.Type == conversation.TypeOutboundMessageQueued && strings.Contains(string(ev.Data), `"auto_reply":true`) {
			m.mu.Lock()
			m.arrived++
			if m.arrived == 2 {
				close(m.met)
			}
			m.mu.Unlock()
			select {
			case <-m.met:
			case <-ctx.Done():
				return eventstore.AppendResult{}, ctx.Err()
			}
		}
	}
	return m.Store.Append(ctx, stream, expected, events...)
}

// Two texts that arrive at once, each deciding on a thread without an
// auto-reply, get one: the thread decides the 12 hours again when the reply
// is queued, and the loser's append fails on the version and then decides
// nothing. A webhook delivered again queues nothing more.
func TestAutoReplyOnceForTextsAtOnce(t *testing.T) {
	t.Parallel()
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	closed, err := autoreply.New(true, "{{company_name}}: closed.", nil) // no hours: always closed
	if err != nil {
		t.Fatal(err)
	}
	set := commands.NewSetAutoReplyHandler(e.store, fixedClock(&e.now))
	if _, err := set.Handle(context.Background(), commands.SetAutoReply{CompanyID: e.company, Settings: closed, Actor: "user:admin"}); err != nil {
		t.Fatal(err)
	}
	inbound := *e.inbound
	inbound.Store = &meetingStore{Store: e.store, met: make(chan struct{})}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sids := []string{fmt.Sprintf("SM%032x", 0xa1), fmt.Sprintf("SM%032x", 0xa2)}
	errs := make(chan error, len(sids))
	for i, sid := range sids {
		go func() {
			_, err := inbound.Handle(ctx, commands.InboundText{MessageSID: sid, From: string(cust), To: string(numA), Body: fmt.Sprintf("Are you there? (%d)", i)})
			errs <- err
		}()
	}
	for range sids {
		if err := <-errs; err != nil {
			t.Fatalf("inbound: %v", err)
		}
	}
	replies := e.autoReplies(t)
	if len(replies) != 1 || replies[0].Body != "Acme: closed." || !replies[0].Automated || replies[0].App != commands.AppAutomated {
		t.Fatalf("%d auto-replies %+v, want one", len(replies), replies)
	}
	for _, sid := range sids {
		if _, err := e.inbound.Handle(ctx, commands.InboundText{MessageSID: sid, From: string(cust), To: string(numA), Body: "again"}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(e.autoReplies(t)); got != 1 {
		t.Fatalf("%d auto-replies after the webhooks came again", got)
	}
}
