package standin_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/eventstore/esdb/standin"
)

// These tests drive the stand-in with the real client, to pin down the
// EventStoreDB behaviour the stand-in claims.

func client(t *testing.T) (*esdb.Client, *standin.Server) {
	t.Helper()
	srv := standin.Start(t)
	config, err := esdb.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	config.Logger = esdb.NoopLogging()
	c, err := esdb.NewClient(config)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c, srv
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func events(n int, typ string) []esdb.EventData {
	out := make([]esdb.EventData, n)
	for i := range out {
		out[i] = esdb.EventData{EventID: uuid.New(), EventType: typ, ContentType: esdb.ContentTypeJson, Data: []byte(`{"x":1}`)}
		if i%2 == 1 {
			out[i].Data = []byte(`{"longer":"body"}`)
		}
	}
	return out
}

func readAll(t *testing.T, c *esdb.Client, opts esdb.ReadAllOptions, n uint64) []*esdb.ResolvedEvent {
	t.Helper()
	rs, err := c.ReadAll(ctxFor(t), opts, n)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []*esdb.ResolvedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

func TestLogStartsWithSystemEventsAndPositionsAreByteOffsets(t *testing.T) {
	c, _ := client(t)
	if _, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{}, events(3, "E")...); err != nil {
		t.Fatal(err)
	}
	wr, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{}, events(1, "E")...)
	if err != nil {
		t.Fatal(err)
	}
	all := readAll(t, c, esdb.ReadAllOptions{}, 100)
	if !strings.HasPrefix(all[0].Event.EventType, "$") {
		t.Fatalf("the log begins with %s, want a system event", all[0].Event.EventType)
	}
	gaps := map[uint64]bool{}
	for i, e := range all {
		p := e.Event.Position
		if p.Commit != p.Prepare || *e.Commit != p.Commit {
			t.Fatalf("event %d: position %+v, commit %d", i, p, *e.Commit)
		}
		if i > 0 {
			gap := p.Commit - all[i-1].Event.Position.Commit
			if gap <= 1 {
				t.Fatalf("positions %d then %d", all[i-1].Event.Position.Commit, p.Commit)
			}
			gaps[gap] = true
		}
	}
	if len(gaps) < 2 {
		t.Fatalf("positions advance by a constant step %v", gaps)
	}
	if last := all[len(all)-1].Event; wr.CommitPosition != last.Position.Commit || wr.NextExpectedVersion != 3 || last.EventNumber != 3 {
		t.Fatalf("append answered %+v, the event is at %+v revision %d", wr, last.Position, last.EventNumber)
	}
}

func TestReadAllFromPosition(t *testing.T) {
	c, _ := client(t)
	if _, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{}, events(4, "E")...); err != nil {
		t.Fatal(err)
	}
	all := readAll(t, c, esdb.ReadAllOptions{}, 100)
	at := all[len(all)-2].Event.Position
	fwd := readAll(t, c, esdb.ReadAllOptions{From: at}, 10)
	if len(fwd) != 2 || fwd[0].Event.Position != at {
		t.Fatalf("forwards from a position: %d events, first at %+v; want the event at %+v first", len(fwd), fwd[0].Event.Position, at)
	}
	back := readAll(t, c, esdb.ReadAllOptions{From: at, Direction: esdb.Backwards}, 1)
	if len(back) != 1 || back[0].Event.Position != all[len(all)-3].Event.Position {
		t.Fatalf("backwards from a position starts at %+v, want the event before %+v", back[0].Event.Position, at)
	}
	end := readAll(t, c, esdb.ReadAllOptions{From: esdb.End{}, Direction: esdb.Backwards}, 1)
	if end[0].Event.Position != all[len(all)-1].Event.Position {
		t.Fatalf("backwards from the end starts at %+v", end[0].Event.Position)
	}
}

func TestStreamReads(t *testing.T) {
	c, _ := client(t)
	_, err := c.ReadStream(ctxFor(t), "missing", esdb.ReadStreamOptions{}, 10)
	if err == nil {
		rs, _ := c.ReadStream(ctxFor(t), "missing", esdb.ReadStreamOptions{}, 10)
		_, err = rs.Recv()
	}
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeResourceNotFound {
		t.Fatalf("reading a missing stream: %v", err)
	}
	if _, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{}, events(5, "E")...); err != nil {
		t.Fatal(err)
	}
	rs, err := c.ReadStream(ctxFor(t), "s", esdb.ReadStreamOptions{From: esdb.Revision(3), Direction: esdb.Backwards}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var revs []uint64
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		revs = append(revs, ev.Event.EventNumber)
	}
	if len(revs) != 4 || revs[0] != 3 || revs[3] != 0 {
		t.Fatalf("backwards from revision 3: %v", revs)
	}
}

func TestWrongExpectedVersionAndIdempotency(t *testing.T) {
	c, _ := client(t)
	evs := events(3, "E")
	first, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.NoStream{}}, evs...)
	if err != nil {
		t.Fatal(err)
	}
	// A retry records nothing and answers the last revision, without a position.
	for _, exp := range []esdb.ExpectedRevision{esdb.NoStream{}, esdb.Any{}, esdb.StreamExists{}} {
		again, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{ExpectedRevision: exp}, evs...)
		if err != nil || again.NextExpectedVersion != 2 || again.CommitPosition != 0 {
			t.Fatalf("retry with %T: %+v, %v (first %+v)", exp, again, err, first)
		}
	}
	tail, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{ExpectedRevision: esdb.Revision(0)}, evs[1:]...)
	if err != nil || tail.NextExpectedVersion != 2 {
		t.Fatalf("retry of the tail: %+v, %v", tail, err)
	}
	refused := []struct {
		exp  esdb.ExpectedRevision
		evs  []esdb.EventData
		want string
	}{
		{esdb.NoStream{}, events(1, "E"), "expecting 'no_stream' but got '2'"},
		{esdb.Revision(5), events(1, "E"), "expecting '5' but got '2'"},
		{esdb.Revision(1), events(1, "E"), "expecting '1' but got '2'"},
		{esdb.Any{}, append([]esdb.EventData{evs[2]}, events(1, "E")...), "expecting 'any' but got '2'"},
		{esdb.Revision(0), append([]esdb.EventData{evs[1]}, events(1, "E")...), "expecting '0' but got '2'"},
	}
	for _, r := range refused {
		_, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{ExpectedRevision: r.exp}, r.evs...)
		var e *esdb.Error
		if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeWrongExpectedVersion || !strings.Contains(err.Error(), r.want) {
			t.Fatalf("%+v: %v, want wrong expected version %q", r.exp, err, r.want)
		}
	}
	_, err = c.AppendToStream(ctxFor(t), "other", esdb.AppendToStreamOptions{ExpectedRevision: esdb.StreamExists{}}, events(1, "E")...)
	if err == nil || !strings.Contains(err.Error(), "expecting 'stream_exists' but got 'no_stream'") {
		t.Fatalf("stream exists on a missing stream: %v", err)
	}
	// As on the server: an append whose first event is new is written.
	if _, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{}, append(events(1, "E"), evs[0])...); err != nil {
		t.Fatal(err)
	}
}

func TestSubscriptionToAll(t *testing.T) {
	c, _ := client(t)
	if _, err := c.AppendToStream(ctxFor(t), "keep-1", esdb.AppendToStreamOptions{}, events(2, "E")...); err != nil {
		t.Fatal(err)
	}
	all := readAll(t, c, esdb.ReadAllOptions{}, 100)
	sub, err := c.SubscribeToAll(ctxFor(t), esdb.SubscribeToAllOptions{
		From:   all[len(all)-2].Event.Position, // exclusive
		Filter: &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: []string{"keep-"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []string
	var caughtUp, checkpoints int
	appended := false
	for len(got) < 2 || checkpoints == 0 {
		msg := sub.Recv()
		switch {
		case msg.SubscriptionDropped != nil:
			t.Fatalf("dropped: %v", msg.SubscriptionDropped.Error)
		case msg.EventAppeared != nil:
			got = append(got, msg.EventAppeared.Event.StreamID)
		case msg.CaughtUp != nil:
			caughtUp++
		case msg.CheckPointReached != nil:
			checkpoints++
		}
		if caughtUp == 1 && !appended {
			appended = true
			if _, err := c.AppendToStream(ctxFor(t), "skip", esdb.AppendToStreamOptions{}, events(40, "E")...); err != nil {
				t.Fatal(err)
			}
			if _, err := c.AppendToStream(ctxFor(t), "keep-2", esdb.AppendToStreamOptions{}, events(1, "E")...); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got[0] != "keep-1" || got[1] != "keep-2" || caughtUp != 1 {
		t.Fatalf("events from %v, %d caught-up messages", got, caughtUp)
	}
}

func TestStopAndListenAgainKeepsTheLog(t *testing.T) {
	c, srv := client(t)
	if _, err := c.AppendToStream(ctxFor(t), "s", esdb.AppendToStreamOptions{}, events(2, "E")...); err != nil {
		t.Fatal(err)
	}
	n := srv.Len()
	srv.Stop()
	if err := srv.Listen(srv.Addr()); err != nil {
		t.Fatal(err)
	}
	if srv.Len() != n {
		t.Fatalf("the log holds %d events after a restart, %d before", srv.Len(), n)
	}
}
