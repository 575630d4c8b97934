package esdb

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

func TestExpectedRevision(t *testing.T) {
	cases := []struct {
		in   eventstore.ExpectedVersion
		want esdb.ExpectedRevision
	}{
		{eventstore.Any(), esdb.Any{}},
		{eventstore.NoStream(), esdb.NoStream{}},
		{eventstore.StreamExists(), esdb.StreamExists{}},
		{eventstore.Exact(0), esdb.Revision(0)},
		{eventstore.Exact(41), esdb.Revision(41)},
		{eventstore.AfterVersion(-1), esdb.NoStream{}},
	}
	for _, c := range cases {
		if got := expectedRevision(c.in); got != c.want {
			t.Errorf("%s → %#v, want %#v", c.in, got, c.want)
		}
	}
}

func TestPositionMapping(t *testing.T) {
	if got := fromPosition(eventstore.Start); got != (esdb.Start{}) {
		t.Fatalf("Start → %#v", got)
	}
	for _, commit := range []uint64{0, 1, 1788, 1 << 40} {
		p := toPosition(commit)
		if p == eventstore.Start || uint64(p) != commit+1 {
			t.Fatalf("commit %d → %d", commit, p)
		}
		if got := fromPosition(p); got != (esdb.Position{Commit: commit, Prepare: commit}) {
			t.Fatalf("%d → %#v, want the event's own position %d", p, got, commit)
		}
	}
	_, err := positionOf(&esdb.RecordedEvent{Position: esdb.Position{Commit: math.MaxUint64, Prepare: math.MaxUint64}})
	if !errors.Is(err, errNoPosition) {
		t.Fatalf("an event without a position: %v", err)
	}
}

func TestMetadataMapping(t *testing.T) {
	e := eventstore.EventData{
		ID:            uuid.New(),
		Type:          "ConsentGiven",
		SchemaVersion: 2,
		Data:          []byte(`{"a":  1}`),
		Metadata:      eventstore.Metadata{CorrelationID: "corr", CausationID: "cause", Actor: "user:1"},
		OccurredAt:    time.Date(2026, 11, 25, 9, 30, 15, 123456789, time.FixedZone("CET", 3600)),
	}
	ed, err := toEventData(e)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(ed.Metadata, &raw); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"correlation_id": "corr", "causation_id": "cause", "actor": "user:1", "schema_version": float64(2), "occurred_at": "2026-11-25T08:30:15.123456Z"}
	for k, v := range want {
		if raw[k] != v {
			t.Errorf("metadata %s = %v, want %v", k, raw[k], v)
		}
	}
	if ed.EventID != e.ID || ed.EventType != e.Type || string(ed.Data) != string(e.Data) || ed.ContentType != esdb.ContentTypeJson {
		t.Fatalf("event data %+v", ed)
	}
	back, err := fromRecorded(&esdb.RecordedEvent{
		EventID: e.ID, EventType: e.Type, StreamID: "s", EventNumber: 4,
		Position: esdb.Position{Commit: 99, Prepare: 99}, Data: ed.Data, UserMetadata: ed.Metadata,
	})
	if err != nil {
		t.Fatal(err)
	}
	if back.Position != 100 || back.Version != 4 || back.Stream != "s" || back.Metadata != e.Metadata || back.SchemaVersion != 2 ||
		!back.OccurredAt.Equal(e.OccurredAt.Truncate(time.Microsecond)) {
		t.Fatalf("round trip gave %+v", back)
	}
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	foreign, err := fromRecorded(&esdb.RecordedEvent{EventID: e.ID, EventType: "X", CreatedDate: created, Data: []byte(`{}`)})
	if err != nil || !foreign.OccurredAt.Equal(created) {
		t.Fatalf("an event without metadata: %+v, %v", foreign, err)
	}
	if _, err := fromRecorded(&esdb.RecordedEvent{UserMetadata: []byte("{not json")}); err == nil {
		t.Fatal("metadata that is not JSON was accepted")
	}
}

func TestValidate(t *testing.T) {
	ok := eventstore.EventData{ID: uuid.New(), Type: "T", Data: []byte(`{}`)}
	bad := map[string]func(*eventstore.EventData){
		"nil id":      func(e *eventstore.EventData) { e.ID = uuid.Nil },
		"no type":     func(e *eventstore.EventData) { e.Type = "" },
		"system type": func(e *eventstore.EventData) { e.Type = "$metadata" },
		"not json":    func(e *eventstore.EventData) { e.Data = []byte("{") },
		"no data":     func(e *eventstore.EventData) { e.Data = nil },
	}
	if err := validate(ok); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range bad {
		e := ok
		mutate(&e)
		if err := validate(e); !errors.Is(err, eventstore.ErrInvalidEvent) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseURL(t *testing.T) {
	for raw, want := range map[string]string{
		"esdb://localhost:2113?tls=false":      "localhost:2113",
		"kurrentdb://localhost:2113?tls=false": "localhost:2113",
		"KurrentDB://db:1234?tls=false":        "db:1234",
	} {
		c, err := parseURL(raw)
		if err != nil || c.Address != want || !c.DisableTLS {
			t.Errorf("%s → %+v, %v", raw, c, err)
		}
	}
	c, err := parseURL("kurrentdb+discover://a:1,b:2")
	if err != nil || !c.DnsDiscover && len(c.GossipSeeds) == 0 {
		t.Errorf("discover: %+v, %v", c, err)
	}
}

func TestCursor(t *testing.T) {
	ev := func(commit, prepare uint64) *esdb.RecordedEvent {
		return &esdb.RecordedEvent{EventID: uuid.New(), Position: esdb.Position{Commit: commit, Prepare: prepare}}
	}
	c := newCursor(eventstore.Start)
	if c.from() != (esdb.Start{}) {
		t.Fatalf("from Start: %#v", c.from())
	}
	for _, step := range []struct {
		commit, prepare uint64
		fresh, fails    bool
	}{
		{100, 100, true, false},
		{100, 100, false, false}, // the event a read from a position repeats
		{90, 90, false, false},
		{250, 250, true, false},
		{250, 240, false, false},
		{250, 260, false, true}, // a second event at one commit position
		{400, 400, true, false},
	} {
		fresh, err := c.advance(ev(step.commit, step.prepare))
		if fresh != step.fresh || (err != nil) != step.fails {
			t.Fatalf("%d/%d: fresh %v, err %v", step.commit, step.prepare, fresh, err)
		}
	}
	if c.from() != (esdb.Position{Commit: 400, Prepare: 400}) {
		t.Fatalf("resumes from %#v", c.from())
	}
	c = newCursor(toPosition(250))
	if fresh, _ := c.advance(ev(250, 250)); fresh {
		t.Fatal("the event at the position to read after was handed on")
	}
	if fresh, _ := c.advance(ev(251, 251)); !fresh {
		t.Fatal("the next event was not handed on")
	}
}
