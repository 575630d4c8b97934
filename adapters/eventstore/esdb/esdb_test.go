package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/eventstore/contract"
	"github.com/smsinbox/smsinbox/adapters/eventstore/esdb"
	"github.com/smsinbox/smsinbox/adapters/eventstore/esdb/standin"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// server returns the URL of the EventStoreDB the tests run against: the one
// EVENTSTORE_TEST_URL names, else an in-process stand-in (nil then).
func server(t *testing.T) (string, *standin.Server) {
	t.Helper()
	if url := os.Getenv("EVENTSTORE_TEST_URL"); url != "" {
		return url, nil
	}
	srv := standin.Start(t)
	return srv.URL(), srv
}

// testLogger logs to the test at Warn and above, and stops when the test
// ends (the client may still log from its own goroutines).
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func opener(url string) contract.Open {
	return func(t *testing.T) eventstore.Store {
		t.Helper()
		return openWith(t, url, testLogger(t))
	}
}

func openWith(t *testing.T, url string, log *slog.Logger) *esdb.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := esdb.New(ctx, url, log)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// watchFor wraps a logger's handler: seen is closed once a record whose
// message contains text is logged (what a test waits for that the store
// says only in its log).
func watchFor(log *slog.Logger, text string) (_ *slog.Logger, seen <-chan struct{}) {
	ch := make(chan struct{})
	return slog.New(watchHandler{Handler: log.Handler(), text: text, once: new(sync.Once), seen: ch}), ch
}

type watchHandler struct {
	slog.Handler
	text string
	once *sync.Once
	seen chan struct{}
}

func (h watchHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.text) {
		h.once.Do(func() { close(h.seen) })
	}
	return h.Handler.Handle(ctx, r)
}

func (h watchHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(attrs)
	return h
}

func (h watchHandler) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}

func TestContract(t *testing.T) {
	url, srv := server(t)
	if srv != nil {
		t.Logf("running the contract against the in-process stand-in at %s (set EVENTSTORE_TEST_URL for a real server)", url)
	} else {
		t.Logf("running the contract against the EventStoreDB at EVENTSTORE_TEST_URL=%s", url)
	}
	contract.Run(t, opener(url), contract.Options{})
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func newEvent(typ string, n int) eventstore.EventData {
	return eventstore.EventData{
		ID:            uuid.New(),
		Type:          typ,
		SchemaVersion: 3,
		Data:          []byte(fmt.Sprintf(`{"n": %d,  "spaced":  true}`, n)),
		Metadata:      eventstore.Metadata{CorrelationID: "c", Actor: "system"},
		OccurredAt:    time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("X", 3600)),
	}
}

func streamName(prefix string) eventstore.StreamID {
	return eventstore.StreamID(prefix + "-" + uuid.NewString())
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

// The scheme KurrentDB documents is accepted too.
func TestKurrentDBScheme(t *testing.T) {
	url, _ := server(t)
	kurrent := "kurrentdb://" + strings.TrimPrefix(url, "esdb://")
	s := opener(kurrent)(t)
	if _, err := s.Head(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestBadURL(t *testing.T) {
	for _, url := range []string{"postgres://x", "esdb://user:secret@host:99999", ""} {
		_, err := esdb.New(ctxFor(t, 2*time.Second), url, nil)
		if err == nil {
			t.Fatalf("%q: no error", url)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("%q: the error repeats the password: %v", url, err)
		}
	}
}

// Metadata, schema version and occurred-at come back as written, the data
// byte for byte (spacing included), the time in UTC to the microsecond.
func TestMetadataRoundTrip(t *testing.T) {
	url, _ := server(t)
	s := opener(url)(t)
	stream := streamName("meta")
	e := newEvent("Typed", 1)
	e.Metadata = eventstore.Metadata{CorrelationID: "corr ✓", CausationID: `cause "q"`, Actor: "customer:+15551234567"}
	bare := newEvent("Bare", 2)
	bare.SchemaVersion, bare.Metadata, bare.OccurredAt = 0, eventstore.Metadata{}, time.Time{}
	if _, err := s.Append(ctxFor(t, 5*time.Second), stream, eventstore.NoStream(), e, bare); err != nil {
		t.Fatal(err)
	}
	got := collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 0))
	if len(got) != 2 {
		t.Fatalf("read %d events", len(got))
	}
	g := got[0]
	if string(g.Data) != string(e.Data) || g.Metadata != e.Metadata || g.SchemaVersion != 3 || g.Type != "Typed" || g.ID != e.ID {
		t.Fatalf("read back %+v, wrote %+v", g.EventData, e)
	}
	want := e.OccurredAt.Truncate(time.Microsecond)
	if !g.OccurredAt.Equal(want) || g.OccurredAt.Location() != time.UTC {
		t.Fatalf("occurred_at %s, want %s in UTC", g.OccurredAt, want)
	}
	if b := got[1]; b.SchemaVersion != 0 || b.Metadata != (eventstore.Metadata{}) || !b.OccurredAt.IsZero() {
		t.Fatalf("bare event read back as %+v", b.EventData)
	}
}

// Positions are commit positions + 1: never Start, strictly increasing, and
// what Append reports is where ReadStream, ReadAll and Subscribe put the event.
func TestPositions(t *testing.T) {
	url, _ := server(t)
	s := opener(url)(t)
	stream := streamName("pos")
	res, err := s.Append(ctxFor(t, 5*time.Second), stream, eventstore.NoStream(), newEvent("A", 0), newEvent("B", 1))
	if err != nil {
		t.Fatal(err)
	}
	read := collect(t, s.ReadStream(ctxFor(t, 5*time.Second), stream, 0))
	if read[1].Position != res.Position || read[0].Position >= read[1].Position || read[0].Position == eventstore.Start {
		t.Fatalf("positions %d, %d; append reported %d", read[0].Position, read[1].Position, res.Position)
	}
	f := eventstore.Filter{StreamPrefixes: []string{string(stream)}}
	all := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), read[0].Position-1, f))
	if len(all) != 2 || all[0].Position != read[0].Position {
		t.Fatalf("read all from just before the first event gave %d events", len(all))
	}
	// After a position: exclusive, in ReadAll and in Subscribe alike.
	if all := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), read[0].Position, f)); len(all) != 1 || all[0].ID != read[1].ID {
		t.Fatalf("read all after the first event gave %d events", len(all))
	}
	for e, err := range s.Subscribe(ctxFor(t, 5*time.Second), read[0].Position, f) {
		if err != nil {
			t.Fatal(err)
		}
		if e.ID != read[1].ID || e.Position != read[1].Position {
			t.Fatalf("subscription after the first event began with %s@%d", e.Type, e.Position)
		}
		break
	}
}

func TestExpectedVersionMapping(t *testing.T) {
	url, _ := server(t)
	s := opener(url)(t)
	stream := streamName("ev")
	ctx := ctxFor(t, 10*time.Second)
	steps := []struct {
		expected eventstore.ExpectedVersion
		actual   int64 // -2: accepted
	}{
		{eventstore.StreamExists(), -1},
		{eventstore.Exact(0), -1},
		{eventstore.NoStream(), -2},
		{eventstore.NoStream(), 0},
		{eventstore.Exact(1), 0},
		{eventstore.Exact(0), -2},
		{eventstore.StreamExists(), -2},
		{eventstore.Any(), -2},
		{eventstore.Exact(2), 3},
		{eventstore.Exact(3), -2},
	}
	for i, st := range steps {
		_, err := s.Append(ctx, stream, st.expected, newEvent("E", i))
		var ce *eventstore.ConcurrencyError
		switch {
		case st.actual == -2 && err != nil:
			t.Fatalf("step %d (%s): %v", i, st.expected, err)
		case st.actual != -2 && (!errors.As(err, &ce) || ce.Actual != st.actual || ce.Expected != st.expected):
			t.Fatalf("step %d (%s): err = %v, want a concurrency error at %d", i, st.expected, err, st.actual)
		}
	}
}

// A retry with an exact version that repeats the recorded event at that
// version but adds another is a duplicate, not a concurrency conflict (a
// command handler would retry a conflict for ever).
func TestPartialRepeatIsDuplicate(t *testing.T) {
	url, _ := server(t)
	s := opener(url)(t)
	stream := streamName("partial")
	ctx := ctxFor(t, 10*time.Second)
	a, b := newEvent("A", 0), newEvent("B", 1)
	if _, err := s.Append(ctx, stream, eventstore.NoStream(), a, b); err != nil {
		t.Fatal(err)
	}
	for _, exp := range []eventstore.ExpectedVersion{eventstore.NoStream(), eventstore.Any(), eventstore.StreamExists()} {
		_, err := s.Append(ctx, stream, exp, a, newEvent("C", 2))
		if !errors.Is(err, eventstore.ErrDuplicateEvent) || errors.Is(err, eventstore.ErrConcurrency) {
			t.Fatalf("%s: err = %v, want ErrDuplicateEvent", exp, err)
		}
	}
	_, err := s.Append(ctx, stream, eventstore.Exact(0), b, newEvent("C", 2))
	if !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Fatalf("exact: err = %v, want ErrDuplicateEvent", err)
	}
	// The tail of a recorded append alone is a retry of it.
	res, err := s.Append(ctx, stream, eventstore.Exact(0), b)
	if err != nil || res.Version != 1 {
		t.Fatalf("retry of the tail: %+v, %v", res, err)
	}
	if n := len(collect(t, s.ReadStream(ctx, stream, 0))); n != 2 {
		t.Fatalf("stream holds %d events, want 2", n)
	}
}

func TestInvalidEventsSendNothing(t *testing.T) {
	url, srv := server(t)
	if srv == nil {
		t.Skip("counts the stand-in's records")
	}
	s := opener(url)(t)
	before := srv.Len()
	system := newEvent("$system", 0)
	empty := newEvent("E", 0)
	empty.Data = nil
	for name, evs := range map[string][]eventstore.EventData{"none": nil, "system type": {system}, "empty data": {newEvent("E", 1), empty}} {
		if _, err := s.Append(ctxFor(t, 5*time.Second), streamName("invalid"), eventstore.Any(), evs...); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Fatalf("%s: err = %v, want ErrInvalidEvent", name, err)
		}
	}
	if srv.Len() != before {
		t.Fatalf("invalid appends reached the server")
	}
}

// Head skips EventStoreDB's own events written after ours.
func TestHeadSkipsSystemEvents(t *testing.T) {
	url, _ := server(t)
	s := opener(url)(t)
	stream := streamName("head")
	res, err := s.Append(ctxFor(t, 5*time.Second), stream, eventstore.Any(), newEvent("E", 0))
	if err != nil {
		t.Fatal(err)
	}
	writeStreamMetadata(t, url, string(stream))
	head, err := s.Head(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if head != res.Position {
		t.Fatalf("head %d, want the last event of ours at %d", head, res.Position)
	}
	all := collect(t, s.ReadAll(ctxFor(t, 5*time.Second), res.Position-1, eventstore.Filter{}))
	if len(all) != 1 || all[0].ID == uuid.Nil || strings.HasPrefix(all[0].Type, "$") {
		t.Fatalf("read all after our event gave %d events: %+v", len(all), all)
	}
}

// The subscription outlives the node going away for longer than the client
// survives (it gives up rediscovering its node after about a second): no
// event is lost or repeated across the restart, and appends during the
// outage fail within their context instead of hanging.
func TestSubscriptionSurvivesRestart(t *testing.T) {
	url, srv := server(t)
	if srv == nil {
		t.Skip("restarts the stand-in")
	}
	open := opener(url)
	readerLog, lost := watchFor(testLogger(t), "lost its node for good")
	writer, reader := open(t), openWith(t, url, readerLog)
	stream := streamName("restart")
	f := eventstore.Filter{StreamPrefixes: []string{string(stream)}}

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan eventstore.RecordedEvent, 100)
	ended := make(chan error, 1)
	go func() {
		for e, err := range reader.Subscribe(ctx, eventstore.Start, f) {
			if err != nil {
				ended <- err
				return
			}
			got <- e
		}
	}()
	t.Cleanup(func() { cancel(); <-ended })
	take := func(n int) []eventstore.RecordedEvent {
		t.Helper()
		var out []eventstore.RecordedEvent
		timeout := time.After(20 * time.Second)
		for len(out) < n {
			select {
			case e := <-got:
				out = append(out, e)
			case err := <-ended:
				t.Fatalf("subscription ended: %v", err)
			case <-timeout:
				t.Fatalf("received %d of %d events", len(out), n)
			}
		}
		return out
	}

	mustAppend := func(n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			if _, err := writer.Append(ctxFor(t, 10*time.Second), stream, eventstore.Any(), newEvent("E", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	mustAppend(3)
	first := take(3)

	srv.Stop()
	start := time.Now()
	if _, err := writer.Append(ctxFor(t, 3*time.Second), stream, eventstore.Any(), newEvent("Lost", 0)); err == nil {
		t.Fatal("an append succeeded with the server down")
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("an append during the outage took %s to fail", d)
	}
	// The node stays away until the reader's client has given it up (the
	// subscription, retrying, finds the client closed and replaces it).
	select {
	case <-lost:
	case <-time.After(30 * time.Second):
		t.Fatal("the reader's client never gave up its node")
	}
	if err := srv.Listen(srv.Addr()); err != nil {
		t.Fatal(err)
	}
	mustAppend(3)
	second := take(3)
	all := append(first, second...)
	for i, e := range all {
		if e.Version != uint64(i) || (i > 0 && e.Position <= all[i-1].Position) {
			t.Fatalf("event %d: version %d position %d", i, e.Version, e.Position)
		}
	}
	// Nothing else came: the next event delivered is one appended now.
	if _, err := writer.Append(ctxFor(t, 10*time.Second), stream, eventstore.Any(), newEvent("Marker", 0)); err != nil {
		t.Fatal(err)
	}
	if e := take(1)[0]; e.Type != "Marker" {
		t.Fatalf("an extra event arrived: %s v%d", e.Type, e.Version)
	}
}

func TestClose(t *testing.T) {
	url, _ := server(t)
	s, err := esdb.New(ctxFor(t, 5*time.Second), url, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	// The subscription is live (it delivered the event there was) when the
	// store closes.
	stream := streamName("close")
	if _, err := s.Append(ctxFor(t, 5*time.Second), stream, eventstore.Any(), newEvent("E", 0)); err != nil {
		t.Fatal(err)
	}
	live, ended := make(chan struct{}, 1), make(chan error, 1)
	go func() {
		for _, err := range s.Subscribe(context.Background(), eventstore.Start, eventstore.Filter{StreamPrefixes: []string{string(stream)}}) {
			if err != nil {
				ended <- err
				return
			}
			live <- struct{}{}
		}
	}()
	select {
	case <-live:
	case err := <-ended:
		t.Fatalf("subscription ended before the close: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the subscription delivered nothing")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, esdb.ErrClosed) {
			t.Fatalf("subscription ended with %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscription did not end with the store")
	}
	if _, err := s.Append(ctxFor(t, time.Second), "x", eventstore.Any(), newEvent("E", 0)); !errors.Is(err, esdb.ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
