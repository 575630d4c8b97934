// Package contract is the one test suite that every eventstore.Store adapter
// runs. An adapter's test calls Run with a way to open clients of its store.
//
// The suite never assumes the store is empty: each case works in streams of
// its own (a random prefix) and reads the global log through a prefix filter,
// so it runs against a shared real server as well as a fresh database.
package contract

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Open returns a new client of the store under test each time it is called,
// as a separate process would have. The harness closes it at the end of the test.
type Open func(t *testing.T) eventstore.Store

// HeldAppend is an append whose transaction is open: its events are written
// but not committed.
type HeldAppend interface {
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// HoldOpenAppender is implemented by stores whose appends are transactions a
// test can hold open, to prove that a subscriber never passes over an append
// still in flight.
type HoldOpenAppender interface {
	AppendHeldOpen(ctx context.Context, stream eventstore.StreamID, events ...eventstore.EventData) (HeldAppend, error)
}

// Options tunes the suite to a backend.
type Options struct {
	// Writers and AppendsPerWriter size the stress case (8 × 2,000 by default).
	Writers, AppendsPerWriter int
}

// Run runs every case of the contract.
func Run(t *testing.T, open Open, opts Options) {
	if opts.Writers == 0 {
		opts.Writers = 8
	}
	if opts.AppendsPerWriter == 0 {
		opts.AppendsPerWriter = 2000
	}
	cases := []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"AppendThenReadStream", testAppendThenReadStream},
		{"ReadStreamFromVersion", testReadStreamFromVersion},
		{"ExpectedVersion", testExpectedVersion},
		{"ConcurrentWritersOneWins", testConcurrentWritersOneWins},
		{"IdempotentRetry", testIdempotentRetry},
		{"AppendWatching", testAppendWatching},
		{"InvalidEvents", testInvalidEvents},
		{"ReadAllWithFilters", testReadAllWithFilters},
		{"Head", testHead},
		{"SubscribeCatchUpThenLive", testSubscribeCatchUpThenLive},
		{"SubscribeFromCheckpoint", testSubscribeFromCheckpoint},
		{"SubscribeEndsWithContext", testSubscribeEndsWithContext},
		{"SubscribeConsumerStops", testSubscribeConsumerStops},
		{"LateCommit", testLateCommit},
		{"LateCommitRolledBack", testLateCommitRolledBack},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open) })
	}
	t.Run("Stress", func(t *testing.T) { testStress(t, open, opts) })
}

func prefix(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "ct" + hex.EncodeToString(b) + "-"
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

var occurred = time.Date(2026, 11, 25, 9, 30, 15, 123456000, time.UTC)

func event(typ string, n int) eventstore.EventData {
	data, _ := json.Marshal(map[string]any{"n": n, "text": fmt.Sprintf("body %d, \"quoted\" ✓", n)})
	return eventstore.EventData{
		ID:            uuid.New(),
		Type:          typ,
		SchemaVersion: 1,
		Data:          data,
		Metadata:      eventstore.Metadata{CorrelationID: "corr-1", CausationID: "cause-1", Actor: "user:42"},
		OccurredAt:    occurred.Add(time.Duration(n) * time.Second),
	}
}

func events(typ string, n int) []eventstore.EventData {
	out := make([]eventstore.EventData, n)
	for i := range out {
		out[i] = event(typ, i)
	}
	return out
}

func collect(t *testing.T, seq func(func(eventstore.RecordedEvent, error) bool)) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	for e, err := range seq {
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func mustAppend(t *testing.T, s eventstore.Store, stream eventstore.StreamID, exp eventstore.ExpectedVersion, evs ...eventstore.EventData) eventstore.AppendResult {
	t.Helper()
	res, err := s.Append(ctxFor(t, 10*time.Second), stream, exp, evs...)
	if err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

func sameEvent(t *testing.T, got eventstore.RecordedEvent, want eventstore.EventData) {
	t.Helper()
	if got.ID != want.ID || got.Type != want.Type || got.SchemaVersion != want.SchemaVersion {
		t.Fatalf("event = %s %s v%d, want %s %s v%d", got.ID, got.Type, got.SchemaVersion, want.ID, want.Type, want.SchemaVersion)
	}
	if string(got.Data) != string(want.Data) {
		t.Fatalf("data = %s, want %s (byte for byte)", got.Data, want.Data)
	}
	if got.Metadata != want.Metadata {
		t.Fatalf("metadata = %+v, want %+v", got.Metadata, want.Metadata)
	}
	if !got.OccurredAt.Equal(want.OccurredAt.Truncate(time.Microsecond)) {
		t.Fatalf("occurred_at = %s, want %s", got.OccurredAt, want.OccurredAt)
	}
}

func testAppendThenReadStream(t *testing.T, open Open) {
	s := open(t)
	stream := eventstore.StreamID(prefix(t) + "conversation-1")
	evs := events("MessageReceived", 3)
	res := mustAppend(t, s, stream, eventstore.NoStream(), evs...)
	if res.Version != 2 {
		t.Fatalf("version after 3 events = %d, want 2", res.Version)
	}
	got := collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 0))
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	for i, e := range got {
		sameEvent(t, e, evs[i])
		if e.Stream != stream || e.Version != uint64(i) {
			t.Fatalf("event %d: stream %s version %d", i, e.Stream, e.Version)
		}
		if i > 0 && e.Position <= got[i-1].Position {
			t.Fatalf("positions not increasing: %d after %d", e.Position, got[i-1].Position)
		}
	}
	if got[2].Position != res.Position {
		t.Fatalf("append reported position %d, last event is at %d", res.Position, got[2].Position)
	}
	if got[0].Position == eventstore.Start {
		t.Fatalf("an event sits at Start")
	}
	// A second append continues the stream's versions.
	res2 := mustAppend(t, s, stream, eventstore.Exact(2), event("ThreadArchived", 9))
	if res2.Version != 3 || res2.Position <= res.Position {
		t.Fatalf("second append = %+v after %+v", res2, res)
	}
	// Another client of the same store sees the same stream.
	other := open(t)
	if n := len(collect(t, other.ReadStream(ctxFor(t, 5*time.Second), stream, 0))); n != 4 {
		t.Fatalf("another client reads %d events, want 4", n)
	}
}

func testReadStreamFromVersion(t *testing.T, open Open) {
	s := open(t)
	p := prefix(t)
	stream := eventstore.StreamID(p + "s")
	mustAppend(t, s, stream, eventstore.Any(), events("E", 5)...)
	got := collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 3))
	if len(got) != 2 || got[0].Version != 3 || got[1].Version != 4 {
		t.Fatalf("from version 3 read %d events", len(got))
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 5))); n != 0 {
		t.Fatalf("from past the end read %d events", n)
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), eventstore.StreamID(p+"missing"), 0))); n != 0 {
		t.Fatalf("a missing stream yields %d events", n)
	}
	// A stream larger than one page reads whole and in order.
	big := eventstore.StreamID(p + "big")
	for i := 0; i < 3; i++ {
		mustAppend(t, s, big, eventstore.Any(), events("E", 400)...)
	}
	all := collect(t, s.ReadStream(ctxFor(t, 10*time.Second), big, 0))
	if len(all) != 1200 {
		t.Fatalf("big stream read %d events, want 1200", len(all))
	}
	for i, e := range all {
		if e.Version != uint64(i) {
			t.Fatalf("big stream event %d has version %d", i, e.Version)
		}
	}
}

func testExpectedVersion(t *testing.T, open Open) {
	s := open(t)
	p := prefix(t)
	existing := eventstore.StreamID(p + "existing")
	mustAppend(t, s, existing, eventstore.NoStream(), events("E", 2)...) // at version 1
	missing := eventstore.StreamID(p + "missing")

	cases := []struct {
		name       string
		stream     eventstore.StreamID
		expected   eventstore.ExpectedVersion
		wantActual int64 // -2: the append succeeds
	}{
		{"no stream on existing", existing, eventstore.NoStream(), 1},
		{"exact behind", existing, eventstore.Exact(0), 1},
		{"exact ahead", existing, eventstore.Exact(5), 1},
		{"stream exists on missing", missing, eventstore.StreamExists(), -1},
		{"exact on missing", missing, eventstore.Exact(0), -1},
	}
	for _, c := range cases {
		_, err := s.Append(ctxFor(t, 5*time.Second), c.stream, c.expected, event("E", 7))
		var ce *eventstore.ConcurrencyError
		if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConcurrency) {
			t.Fatalf("%s: err = %v, want a ConcurrencyError", c.name, err)
		}
		if ce.Actual != c.wantActual || ce.Stream != c.stream {
			t.Fatalf("%s: error says stream %s at %d, want %s at %d", c.name, ce.Stream, ce.Actual, c.stream, c.wantActual)
		}
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), existing, 0))); n != 2 {
		t.Fatalf("refused appends recorded something: %d events", n)
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), missing, 0))); n != 0 {
		t.Fatalf("refused appends created the stream: %d events", n)
	}
	if r := mustAppend(t, s, existing, eventstore.Exact(1), event("E", 2)); r.Version != 2 {
		t.Fatalf("exact append gave version %d", r.Version)
	}
	if r := mustAppend(t, s, existing, eventstore.StreamExists(), event("E", 3)); r.Version != 3 {
		t.Fatalf("stream-exists append gave version %d", r.Version)
	}
	if r := mustAppend(t, s, existing, eventstore.Any(), event("E", 4)); r.Version != 4 {
		t.Fatalf("any append gave version %d", r.Version)
	}
	if r := mustAppend(t, s, missing, eventstore.Any(), event("E", 0)); r.Version != 0 {
		t.Fatalf("any append to a new stream gave version %d", r.Version)
	}
}

func testConcurrentWritersOneWins(t *testing.T, open Open) {
	a, b := open(t), open(t)
	stream := eventstore.StreamID(prefix(t) + "contended")
	mustAppend(t, a, stream, eventstore.NoStream(), event("E", 0))
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func(i int, s eventstore.Store) {
			defer wg.Done()
			_, errs[i] = s.Append(ctxFor(t, 10*time.Second), stream, eventstore.Exact(0), event("E", i+1))
		}(i, s)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, eventstore.ErrConcurrency):
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won the same expected version, want exactly 1", wins)
	}
	if n := len(collect(t, a.ReadStream(ctxFor(t, 5*time.Second), stream, 0))); n != 2 {
		t.Fatalf("stream holds %d events, want 2", n)
	}
}

func testIdempotentRetry(t *testing.T, open Open) {
	s := open(t)
	p := prefix(t)
	stream := eventstore.StreamID(p + "retry")
	evs := events("E", 3)
	first := mustAppend(t, s, stream, eventstore.NoStream(), evs...)
	// The same append again, as a client does when it never saw the answer.
	again := mustAppend(t, s, stream, eventstore.NoStream(), evs...)
	if again != first {
		t.Fatalf("retry answered %+v, the original %+v", again, first)
	}
	// And through another client with no condition.
	again = mustAppend(t, open(t), stream, eventstore.Any(), evs...)
	if again != first {
		t.Fatalf("retry with any answered %+v, the original %+v", again, first)
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 0))); n != 3 {
		t.Fatalf("after retries the stream holds %d events, want 3", n)
	}
	all := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), eventstore.Start, eventstore.Filter{StreamPrefixes: []string{p}}))
	if len(all) != 3 {
		t.Fatalf("after retries the global log holds %d of the events, want 3", len(all))
	}
	// Concurrent copies of one single-event append (a webhook delivered
	// twice at once) record it once.
	dup := event("MessageReceived", 1)
	dupStream := eventstore.StreamID(p + "dup")
	var wg sync.WaitGroup
	results := make([]eventstore.AppendResult, 6)
	errs := make([]error, 6)
	for i := range results {
		c := open(t)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = c.Append(ctxFor(t, 10*time.Second), dupStream, eventstore.Any(), dup)
		}(i)
	}
	wg.Wait()
	for i := range results {
		if errs[i] != nil {
			t.Fatalf("copy %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Fatalf("copies answered %+v and %+v", results[i], results[0])
		}
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), dupStream, 0))); n != 1 {
		t.Fatalf("concurrent copies recorded %d events, want 1", n)
	}
	// An append that repeats only part of a recorded append is refused
	// and records nothing.
	mixed := []eventstore.EventData{evs[2], event("E", 10)}
	if _, err := s.Append(ctxFor(t, 5*time.Second), stream, eventstore.Any(), mixed...); err == nil {
		t.Fatalf("an append repeating part of a recorded one was accepted")
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 0))); n != 3 {
		t.Fatalf("after a refused partial retry the stream holds %d events, want 3", n)
	}
}

func testInvalidEvents(t *testing.T, open Open) {
	s := open(t)
	stream := eventstore.StreamID(prefix(t) + "invalid")
	noID := event("E", 0)
	noID.ID = uuid.Nil
	noType := event("", 0)
	notJSON := event("E", 0)
	notJSON.Data = []byte("{not json")
	for name, e := range map[string]eventstore.EventData{"no id": noID, "no type": noType, "data not json": notJSON} {
		_, err := s.Append(ctxFor(t, 5*time.Second), stream, eventstore.Any(), event("E", 1), e)
		if !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Fatalf("%s: err = %v, want ErrInvalidEvent", name, err)
		}
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 0))); n != 0 {
		t.Fatalf("invalid appends recorded %d events", n)
	}
}

func testReadAllWithFilters(t *testing.T, open Open) {
	s := open(t)
	p := prefix(t)
	mustAppend(t, s, eventstore.StreamID(p+"conversation-1"), eventstore.Any(), event("MessageReceived", 0), event("ThreadRead", 1))
	mustAppend(t, s, eventstore.StreamID(p+"consent-1"), eventstore.Any(), event("ConsentRequested", 2))
	mustAppend(t, s, eventstore.StreamID(p+"conversation-2"), eventstore.Any(), event("MessageReceived", 3))

	all := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), eventstore.Start, eventstore.Filter{StreamPrefixes: []string{p}}))
	if len(all) != 4 {
		t.Fatalf("read %d events of the case, want 4", len(all))
	}
	wantStreams := []string{"conversation-1", "conversation-1", "consent-1", "conversation-2"}
	for i, e := range all {
		if string(e.Stream) != p+wantStreams[i] {
			t.Fatalf("event %d in %s, want %s", i, e.Stream, wantStreams[i])
		}
		if i > 0 && e.Position <= all[i-1].Position {
			t.Fatalf("global order not increasing")
		}
	}
	after := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), all[1].Position, eventstore.Filter{StreamPrefixes: []string{p}}))
	if len(after) != 2 || after[0].Position != all[2].Position {
		t.Fatalf("after position %d read %d events", all[1].Position, len(after))
	}
	conv := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), eventstore.Start, eventstore.Filter{StreamPrefixes: []string{p + "conversation-"}}))
	if len(conv) != 3 {
		t.Fatalf("conversation prefix read %d events, want 3", len(conv))
	}
	typed := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), eventstore.Start, eventstore.Filter{StreamPrefixes: []string{p}, EventTypes: []string{"MessageReceived", "ConsentRequested"}}))
	if len(typed) != 3 {
		t.Fatalf("type filter read %d events, want 3", len(typed))
	}
	for _, e := range typed {
		if e.Type == "ThreadRead" {
			t.Fatalf("type filter let ThreadRead through")
		}
	}
}

func testHead(t *testing.T, open Open) {
	s := open(t)
	res := mustAppend(t, s, eventstore.StreamID(prefix(t)+"h"), eventstore.Any(), events("E", 2)...)
	head, err := s.Head(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if head < res.Position {
		t.Fatalf("head %d is before the last append at %d", head, res.Position)
	}
}

// receive takes n events from a subscription running in the background.
type subscription struct {
	ch     chan eventstore.RecordedEvent
	errs   chan error
	cancel context.CancelFunc
}

func subscribe(t *testing.T, s eventstore.Store, after eventstore.Position, f eventstore.Filter) *subscription {
	ctx, cancel := context.WithCancel(context.Background())
	sub := &subscription{ch: make(chan eventstore.RecordedEvent, 100000), errs: make(chan error, 1), cancel: cancel}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e, err := range s.Subscribe(ctx, after, f) {
			if err != nil {
				sub.errs <- err
				return
			}
			sub.ch <- e
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return sub
}

func (s *subscription) take(t *testing.T, n int, within time.Duration) []eventstore.RecordedEvent {
	t.Helper()
	deadline := time.After(within)
	var out []eventstore.RecordedEvent
	for len(out) < n {
		select {
		case e := <-s.ch:
			out = append(out, e)
		case err := <-s.errs:
			t.Fatalf("subscription ended after %d of %d events: %v", len(out), n, err)
		case <-deadline:
			t.Fatalf("subscription delivered %d of %d events within %s", len(out), n, within)
		}
	}
	return out
}

// nothingBefore shows that the subscription delivered nothing more: it
// appends marker to stream (which the subscription's filter selects) through
// store, and the next event delivered must be the marker.
func (s *subscription) nothingBefore(t *testing.T, store eventstore.Store, stream eventstore.StreamID, marker eventstore.EventData) {
	t.Helper()
	mustAppend(t, store, stream, eventstore.Any(), marker)
	if e := s.take(t, 1, 10*time.Second)[0]; e.ID != marker.ID {
		t.Fatalf("subscription delivered %s %s at %d, want nothing before the marker", e.Stream, e.Type, e.Position)
	}
}

// quiet shows that the subscription delivers nothing for d. Only where no
// later event could be delivered either (an earlier append is held open,
// and nothing may pass it): there is no positive event to wait for then,
// so the store is given d to go wrong.
func (s *subscription) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case e := <-s.ch:
		t.Fatalf("subscription delivered %s at %d, want nothing yet", e.Stream, e.Position)
	case err := <-s.errs:
		t.Fatalf("subscription ended: %v", err)
	case <-time.After(d):
	}
}

func testSubscribeCatchUpThenLive(t *testing.T, open Open) {
	s := open(t)
	p := prefix(t)
	f := eventstore.Filter{StreamPrefixes: []string{p}}
	stream := eventstore.StreamID(p + "live")
	mustAppend(t, s, stream, eventstore.Any(), events("E", 5)...)
	sub := subscribe(t, s, eventstore.Start, f)
	old := sub.take(t, 5, 5*time.Second)
	sub.nothingBefore(t, s, eventstore.StreamID(p+"marker"), event("Marker", 0))
	// Live events from another client reach the subscriber promptly.
	writer := open(t)
	start := time.Now()
	mustAppend(t, writer, stream, eventstore.Any(), events("E", 3)...)
	live := sub.take(t, 3, 5*time.Second)
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("live events took %s to arrive", d)
	}
	got := append(old, live...)
	for i, e := range got {
		if e.Version != uint64(i) {
			t.Fatalf("event %d has version %d", i, e.Version)
		}
	}
	// Events outside the filter are not delivered.
	mustAppend(t, writer, eventstore.StreamID(prefix(t)+"other"), eventstore.Any(), event("E", 0))
	sub.nothingBefore(t, writer, eventstore.StreamID(p+"marker"), event("Marker", 1))
}

func testSubscribeFromCheckpoint(t *testing.T, open Open) {
	s := open(t)
	p := prefix(t)
	f := eventstore.Filter{StreamPrefixes: []string{p}}
	stream := eventstore.StreamID(p + "cp")
	mustAppend(t, s, stream, eventstore.Any(), events("E", 4)...)
	all := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), eventstore.Start, f))
	sub := subscribe(t, s, all[1].Position, f)
	got := sub.take(t, 2, 5*time.Second)
	if got[0].Position != all[2].Position || got[1].Position != all[3].Position {
		t.Fatalf("resumed at %d, want %d", got[0].Position, all[2].Position)
	}
	sub.nothingBefore(t, s, eventstore.StreamID(p+"marker"), event("Marker", 0))
	typed := subscribe(t, s, eventstore.Start, eventstore.Filter{StreamPrefixes: []string{p}, EventTypes: []string{"Wanted"}})
	mustAppend(t, s, stream, eventstore.Any(), event("Unwanted", 1), event("Wanted", 2))
	if e := typed.take(t, 1, 5*time.Second)[0]; e.Type != "Wanted" {
		t.Fatalf("type filter delivered %s", e.Type)
	}
	typed.nothingBefore(t, s, eventstore.StreamID(p+"marker"), event("Wanted", 3))
}

func testSubscribeEndsWithContext(t *testing.T, open Open) {
	s := open(t)
	ctx, cancel := context.WithCancel(context.Background())
	// The subscription is live (it delivered the event there was) when its
	// context ends.
	p := prefix(t)
	mustAppend(t, s, eventstore.StreamID(p+"a"), eventstore.Any(), event("E", 0))
	live, done := make(chan struct{}, 1), make(chan error, 1)
	go func() {
		var last error
		for _, err := range s.Subscribe(ctx, eventstore.Start, eventstore.Filter{StreamPrefixes: []string{p}}) {
			last = err
			if err == nil {
				live <- struct{}{}
			}
		}
		done <- last
	}()
	select {
	case <-live:
	case err := <-done:
		t.Fatalf("subscription ended before its context: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription delivered nothing")
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("subscription ended with %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("subscription did not end with its context")
	}
}

// testSubscribeConsumerStops: a consumer that cancels its context and stops
// in the same breath must simply be left alone (a range-over-func iterator
// may not yield again after its loop body returned false).
func testSubscribeConsumerStops(t *testing.T, open Open) {
	s := open(t)
	p := prefix(t)
	stream := eventstore.StreamID(p + "stop")
	mustAppend(t, s, stream, eventstore.Any(), events("E", 3)...)
	for _, cancelFirst := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		got := 0
		for _, err := range s.Subscribe(ctx, eventstore.Start, eventstore.Filter{StreamPrefixes: []string{p}}) {
			if err != nil {
				t.Fatalf("subscription failed: %v", err)
			}
			got++
			if cancelFirst {
				cancel()
			}
			break
		}
		cancel()
		if got != 1 {
			t.Fatalf("consumer saw %d events before it stopped, want 1", got)
		}
	}
}

func heldOpen(t *testing.T, s eventstore.Store) HoldOpenAppender {
	h, ok := s.(HoldOpenAppender)
	if !ok {
		t.Skip("the store has no client-held transactions (every append commits as it is written); the late-commit case needs one")
	}
	return h
}

// testLateCommit holds an append's transaction open while a later append is
// issued: no subscriber may deliver past the open one, and once it commits
// both arrive in order.
func testLateCommit(t *testing.T, open Open) {
	s := open(t)
	h := heldOpen(t, s)
	p := prefix(t)
	f := eventstore.Filter{StreamPrefixes: []string{p}}
	sub := subscribe(t, open(t), eventstore.Start, f)

	first := event("First", 0)
	held, err := h.AppendHeldOpen(ctxFor(t, 5*time.Second), eventstore.StreamID(p+"a"), first)
	if err != nil {
		t.Fatal(err)
	}
	later := event("Later", 1)
	laterDone := make(chan error, 1)
	go func() {
		_, err := open(t).Append(ctxFor(t, 20*time.Second), eventstore.StreamID(p+"b"), eventstore.Any(), later)
		laterDone <- err
	}()
	sub.quiet(t, 500*time.Millisecond)
	select {
	case err := <-laterDone:
		// The later append may commit (a store that orders at read time) but
		// must still not be delivered before the held one.
		if err != nil {
			t.Fatalf("later append: %v", err)
		}
		sub.quiet(t, 200*time.Millisecond)
	default:
	}
	if err := held.Commit(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	got := sub.take(t, 2, 10*time.Second)
	if got[0].ID != first.ID || got[1].ID != later.ID || got[1].Position <= got[0].Position {
		t.Fatalf("delivered %s@%d then %s@%d, want First then Later", got[0].Type, got[0].Position, got[1].Type, got[1].Position)
	}
	if err := <-laterDone; err != nil {
		t.Fatalf("later append: %v", err)
	}
}

func testLateCommitRolledBack(t *testing.T, open Open) {
	s := open(t)
	h := heldOpen(t, s)
	p := prefix(t)
	f := eventstore.Filter{StreamPrefixes: []string{p}}
	sub := subscribe(t, open(t), eventstore.Start, f)
	held, err := h.AppendHeldOpen(ctxFor(t, 5*time.Second), eventstore.StreamID(p+"a"), event("Doomed", 0))
	if err != nil {
		t.Fatal(err)
	}
	later := event("Later", 1)
	laterDone := make(chan error, 1)
	go func() {
		_, err := open(t).Append(ctxFor(t, 20*time.Second), eventstore.StreamID(p+"b"), eventstore.Any(), later)
		laterDone <- err
	}()
	sub.quiet(t, 500*time.Millisecond)
	if err := held.Rollback(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	got := sub.take(t, 1, 10*time.Second)
	if got[0].ID != later.ID {
		t.Fatalf("delivered %s, want Later", got[0].Type)
	}
	sub.nothingBefore(t, s, eventstore.StreamID(p+"marker"), event("Marker", 0))
	if err := <-laterDone; err != nil {
		t.Fatalf("later append: %v", err)
	}
	if n := len(collect(t, s.ReadStream(ctxFor(t, 5*time.Second), eventstore.StreamID(p+"a"), 0))); n != 0 {
		t.Fatalf("rolled-back append left %d events", n)
	}
}

// testStress runs concurrent writers, from two clients as two processes
// would, over overlapping streams while a subscriber reads from the start.
func testStress(t *testing.T, open Open, opts Options) {
	p := prefix(t)
	f := eventstore.Filter{StreamPrefixes: []string{p}}
	const streams = 16
	total := opts.Writers * opts.AppendsPerWriter
	sub := subscribe(t, open(t), eventstore.Start, f)
	clients := []eventstore.Store{open(t), open(t)}

	var wg sync.WaitGroup
	errs := make(chan error, opts.Writers)
	for w := 0; w < opts.Writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := clients[w%len(clients)]
			for i := 0; i < opts.AppendsPerWriter; i++ {
				stream := eventstore.StreamID(fmt.Sprintf("%sstream-%d", p, (w*7+i)%streams))
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := c.Append(ctx, stream, eventstore.Any(), event("Stress", w*opts.AppendsPerWriter+i))
				cancel()
				if err != nil {
					errs <- fmt.Errorf("writer %d append %d: %w", w, i, err)
					return
				}
			}
		}(w)
	}
	// The writers' own errors first: an append that failed is why the
	// subscriber would come short.
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := sub.take(t, total, 3*time.Minute)
	sub.nothingBefore(t, clients[0], eventstore.StreamID(p+"marker"), event("Marker", 0))

	seen := make(map[uuid.UUID]bool, total)
	nextVersion := map[eventstore.StreamID]uint64{}
	for i, e := range got {
		if seen[e.ID] {
			t.Fatalf("event %s delivered twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && e.Position <= got[i-1].Position {
			t.Fatalf("position %d delivered after %d", e.Position, got[i-1].Position)
		}
		if e.Version != nextVersion[e.Stream] {
			t.Fatalf("%s: version %d delivered when %d was next", e.Stream, e.Version, nextVersion[e.Stream])
		}
		nextVersion[e.Stream]++
	}
	if len(seen) != total || len(nextVersion) != streams {
		t.Fatalf("saw %d distinct events in %d streams, want %d in %d", len(seen), len(nextVersion), total, streams)
	}
	t.Logf("stress: %d writers × %d appends = %d events over %d streams, delivered exactly once, positions strictly increasing, versions in order",
		opts.Writers, opts.AppendsPerWriter, len(seen), len(nextVersion))
}

// testAppendWatching: a Watcher's append answers where the watched streams
// stand, another client's appends included; appends of a group that watch
// different streams, or none, each get their own answer.
func testAppendWatching(t *testing.T, open Open) {
	a, b := open(t), open(t)
	w, ok := a.(eventstore.Watcher)
	if !ok {
		t.Skip("the store is no eventstore.Watcher")
	}
	p := prefix(t)
	watched, missing := eventstore.StreamID(p+"watched"), eventstore.StreamID(p+"missing")
	appendWatching := func(stream eventstore.StreamID, exp eventstore.ExpectedVersion, n int) []int64 {
		t.Helper()
		_, got, err := w.AppendWatching(ctxFor(t, 10*time.Second), []eventstore.StreamID{watched, missing}, stream, exp, event("E", n))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := appendWatching(eventstore.StreamID(p+"x"), eventstore.NoStream(), 0); fmt.Sprint(got) != "[-1 -1]" {
		t.Fatalf("watched versions %v before any event, want [-1 -1]", got)
	}
	mustAppend(t, b, watched, eventstore.NoStream(), events("W", 2)...)
	if got := appendWatching(eventstore.StreamID(p+"x"), eventstore.Exact(0), 1); fmt.Sprint(got) != "[1 -1]" {
		t.Fatalf("watched versions %v after another client appended two events, want [1 -1]", got)
	}

	const n = 16
	var wg sync.WaitGroup
	answers := make([][]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := eventstore.StreamID(fmt.Sprintf("%sgroup-%d", p, i))
			if i%3 == 0 { // plain appends in the same groups
				_, errs[i] = a.Append(ctxFor(t, 10*time.Second), stream, eventstore.NoStream(), event("G", i))
				return
			}
			_, answers[i], errs[i] = w.AppendWatching(ctxFor(t, 10*time.Second), []eventstore.StreamID{watched, stream + "-other"}, stream, eventstore.NoStream(), event("G", i))
		}()
	}
	wg.Wait()
	untold := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("append %d: %v", i, errs[i])
		}
		// nil: the store could not tell (the caller then reads).
		if i%3 != 0 && answers[i] == nil {
			untold++
		}
		if i%3 != 0 && answers[i] != nil && fmt.Sprint(answers[i]) != "[1 -1]" {
			t.Fatalf("append %d of a group watched %v, want [1 -1]", i, answers[i])
		}
	}
	t.Logf("%d of the concurrent appends that watched were answered no versions", untold)
}
