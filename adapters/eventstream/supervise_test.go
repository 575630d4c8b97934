package eventstream

import (
	"context"
	"iter"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// endlessLog is a log of events 1, 2, 3, … that never ends.
type endlessLog struct{ eventstore.Store }

func (endlessLog) Subscribe(ctx context.Context, after eventstore.Position, _ eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		for p := after + 1; ctx.Err() == nil; p++ {
			if !yield(eventstore.RecordedEvent{EventData: eventstore.EventData{ID: uuid.New(), Type: "T"}, Position: p}, nil) {
				return
			}
		}
	}
}

// claims is a Claim whose claims the test ends, and which records what
// happened in order.
type claims struct {
	mu      sync.Mutex
	events  []string
	lose    []context.CancelFunc
	claimed chan int // the number of each claim made
}

func (c *claims) claim(ctx context.Context, _ string) (eventstore.Position, context.Context, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	claimed, lose := context.WithCancel(ctx)
	c.lose = append(c.lose, lose)
	n := len(c.lose)
	c.events = append(c.events, "claim")
	c.claimed <- n
	return 0, claimed, func() { c.record("release") }, nil
}

func (c *claims) record(e string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *claims) loseClaim(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lose[n-1]()
}

func (c *claims) log() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.events...)
}

// A lost claim does not end the subscription: it is claimed again and the
// channel goes on. And a claim is released only once the message in the
// handler's hands when it ended is acked, so that no other process starts
// on what this one is still doing.
func TestLostClaimIsClaimedAgainAfterTheHandlerFinishes(t *testing.T) {
	c := &claims{claimed: make(chan int, 4)}
	s, out := subscribed(t, Config{Claim: c.claim, MaxBatch: 1, ClaimBackoff: time.Millisecond})
	if n := <-c.claimed; n != 1 {
		t.Fatalf("claim %d first", n)
	}
	msg := <-out // in the handler's hands
	if !s.Status("topic").Claimed {
		t.Fatal("status: not claimed while streaming")
	}
	c.loseClaim(1)
	<-msg.Context().Done() // the handler is told
	c.record("ack")
	msg.Ack()

	if n := <-c.claimed; n != 2 {
		t.Fatalf("claim %d second", n)
	}
	again, ok := <-out
	if !ok {
		t.Fatal("the channel closed when the claim was lost")
	}
	again.Ack()
	go ackAll(out)
	want := []string{"claim", "ack", "release", "claim"}
	got := c.log()
	if len(got) != len(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %v, want %v", got, want)
		}
	}
}

// A message nacked again and again marks its topic stalled; an ack clears it.
func TestNackedMessageStallsTheTopic(t *testing.T) {
	c := &claims{claimed: make(chan int, 4)}
	s, out := subscribed(t, Config{Claim: c.claim, MaxBatch: 1, RedeliveryDelay: time.Millisecond, StallAfter: 2})
	(<-out).Nack()
	(<-out).Nack()
	m := <-out // the third delivery comes after the second nack was counted
	if st := s.Status("topic"); !st.Stalled || st.Nacks != 2 {
		t.Fatalf("after two nacks: %+v, want stalled", st)
	}
	m.Ack()
	next := <-out // the next message comes after the ack was counted
	if st := s.Status("topic"); st.Stalled || st.Nacks != 0 {
		t.Fatalf("after an ack: %+v, want not stalled", st)
	}
	next.Ack()
	go ackAll(out)
}

// subscribed is a Subscriber of cfg over the endless log (unless cfg names
// a store), logging nothing, subscribed to "topic"; it is closed when the
// test ends.
func subscribed(t *testing.T, cfg Config) (*Subscriber, <-chan *message.Message) {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = endlessLog{}
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	out, err := s.Subscribe(context.Background(), "topic")
	if err != nil {
		t.Fatal(err)
	}
	return s, out
}

// ackAll acks what comes until the subscription ends, as a router does.
func ackAll(out <-chan *message.Message) {
	for m := range out {
		m.Ack()
	}
}

// A message's context ends once its handler has answered it, acked or
// nacked, as Watermill's Pub/Subs do: what the handler started with it stops
// with it, and is not left running for as long as the subscription lasts.
func TestMessageContextEndsWithItsAnswer(t *testing.T) {
	c := &claims{claimed: make(chan int, 4)}
	// AckWait only bounds Close when the test fails with a message unanswered.
	_, out := subscribed(t, Config{Claim: c.claim, MaxBatch: 1, RedeliveryDelay: time.Millisecond, AckWait: time.Millisecond})
	nacked := <-out
	if err := nacked.Context().Err(); err != nil {
		t.Fatalf("context of a message in the handler's hands: %v", err)
	}
	nacked.Nack()
	acked := <-out // the redelivery comes after the nack was dealt with
	if nacked.Context().Err() == nil {
		t.Fatal("the context of a nacked message goes on")
	}
	acked.Ack()
	next := <-out // the next message comes after the ack was dealt with
	if acked.Context().Err() == nil {
		t.Fatal("the context of an acked message goes on")
	}
	next.Ack()
	go ackAll(out)
}

// The claim's context, unlike the message's, outlives the handler's answer
// and ends with the claim: a handler that acks at once and sends what the
// message asked afterwards (the sender) keeps working until the claim ends.
func TestClaimContextOutlivesTheAckAndEndsWithTheClaim(t *testing.T) {
	c := &claims{claimed: make(chan int, 4)}
	_, out := subscribed(t, Config{Claim: c.claim, MaxBatch: 1, ClaimBackoff: time.Millisecond})
	<-c.claimed
	acked := <-out
	claim := ClaimContext(acked)
	acked.Ack()
	next := <-out // the next message comes after the ack was dealt with
	if acked.Context().Err() == nil {
		t.Fatal("the context of an acked message goes on")
	}
	if err := claim.Err(); err != nil {
		t.Fatalf("the claim's context ended with the ack: %v", err)
	}
	if ClaimContext(next).Done() != claim.Done() {
		t.Fatal("two messages of one claim answer different claim contexts")
	}
	c.loseClaim(1)
	<-claim.Done() // the claim's end reaches it
	next.Ack()
	go ackAll(out)
}

// A message that did not come from a Subscriber answers its own context.
func TestClaimContextOfAnotherMessageIsItsOwn(t *testing.T) {
	msg := message.NewMessage("id", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msg.SetContext(ctx)
	if ClaimContext(msg) != ctx {
		t.Fatal("ClaimContext of a message of no claim is not its context")
	}
}
