package eventstream

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/eventstore/memory"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// wantsType is an Interest in events of type typ only.
func wantsType(typ string) func(string) func(eventstore.RecordedEvent) bool {
	return func(string) func(eventstore.RecordedEvent) bool {
		return func(e eventstore.RecordedEvent) bool { return e.Type == typ }
	}
}

// claimFromStart claims at once, from the start of the log, for ever.
func claimFromStart(ctx context.Context, _ string) (eventstore.Position, context.Context, func(), error) {
	return eventstore.Start, ctx, func() {}, nil
}

// appendTypes appends one event of each type, in order, to a stream of its own.
func appendTypes(t *testing.T, store eventstore.Store, types ...string) {
	t.Helper()
	for _, typ := range types {
		e := eventstore.EventData{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: []byte(`{}`), OccurredAt: time.Now()}
		if _, err := store.Append(context.Background(), eventstore.StreamID("s-"+e.ID.String()), eventstore.Any(), e); err != nil {
			t.Fatal(err)
		}
	}
}

// subscribedTo is a Subscriber of cfg over store, claimed from the start,
// subscribed to "topic"; it is closed when the test ends.
func subscribedTo(t *testing.T, store eventstore.Store, cfg Config) <-chan *message.Message {
	t.Helper()
	cfg.Store, cfg.Claim = store, claimFromStart
	_, out := subscribed(t, cfg)
	return out
}

// next is the next message of out, with its events and KeyAfter.
func next(t *testing.T, out <-chan *message.Message) (*message.Message, []eventstore.RecordedEvent, eventstore.Position) {
	t.Helper()
	select {
	case msg := <-out:
		events, err := Events(msg)
		if err != nil {
			t.Fatal(err)
		}
		after, ok := After(msg)
		if !ok {
			t.Fatal("a message without KeyAfter")
		}
		return msg, events, after
	case <-time.After(30 * time.Second):
		t.Fatal("no message came")
		return nil, nil, 0
	}
}

// Batches that hold nothing the consumer acts on are not delivered: the
// first message is the one with work in it, and says where the consumer's
// checkpoint stands (it was never moved past the skipped span), so that a
// consumer does not take the span for a lost commit.
func TestBatchesOfNoInterestAreNotDelivered(t *testing.T) {
	store := memory.New()
	appendTypes(t, store, "Other", "Other", "Other", "Other", "Other", "Wanted", "Other")
	out := subscribedTo(t, store, Config{MaxBatch: 1, AckWait: time.Millisecond, Interest: wantsType("Wanted"), SkipIdle: time.Hour, SkipAge: time.Hour})
	msg, events, after := next(t, out)
	if len(events) != 1 || events[0].Position != 6 || after != eventstore.Start {
		t.Fatalf("first message: %d events from %d, after %d; want the event at 6 alone, after the start", len(events), events[0].Position, after)
	}
	msg.Ack()
	go ackAll(out)
}

// A span of skipped events is passed once nothing more comes: its last
// event alone, so that the checkpoint catches up with the log at rest; the
// next message follows it.
func TestSkippedSpanIsHandedOverWhenIdle(t *testing.T) {
	store := memory.New()
	appendTypes(t, store, "Other", "Other", "Other")
	out := subscribedTo(t, store, Config{MaxBatch: 1, AckWait: time.Millisecond, Interest: wantsType("Wanted"), SkipIdle: time.Millisecond, SkipAge: time.Hour})
	msg, events, after := next(t, out)
	if len(events) != 1 || events[0].Position != 3 || after != eventstore.Start {
		t.Fatalf("idle: %d events from %d, after %d; want the event at 3 alone, after the start", len(events), events[0].Position, after)
	}
	msg.Ack()
	appendTypes(t, store, "Wanted")
	msg, events, after = next(t, out)
	if len(events) != 1 || events[0].Position != 4 || after != 3 {
		t.Fatalf("then: %d events from %d, after %d; want the event at 4, after 3", len(events), events[0].Position, after)
	}
	msg.Ack()
	go ackAll(out)
}

// Under a steady stream of events of no interest, which never leaves the
// subscription idle, the span is still handed over once it is SkipAge old,
// and again after that.
func TestSkippedSpanIsHandedOverWhenOld(t *testing.T) {
	cfg := Config{Claim: claimFromStart, MaxBatch: 1, AckWait: time.Millisecond, Interest: wantsType("Wanted"), SkipIdle: time.Hour, SkipAge: time.Millisecond}
	_, out := subscribed(t, cfg)
	msg, events, after := next(t, out)
	if len(events) != 1 || after != eventstore.Start {
		t.Fatalf("first: %d events, after %d; want one event, after the start", len(events), after)
	}
	first := events[0].Position
	msg.Ack()
	msg, events, after = next(t, out)
	if len(events) != 1 || after != first || events[0].Position <= first {
		t.Fatalf("second: %d events from %d, after %d; want one event past %d, after it", len(events), events[0].Position, after, first)
	}
	msg.Ack()
	go ackAll(out)
}
