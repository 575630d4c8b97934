// Package commands holds smsinbox's use cases: one handler per command, each
// the same few steps — load the stream, fold the domain's Evolve, call its
// Decide, append the new events with the version that was read, and on a
// concurrency conflict do it all again.
package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// DomainEvent is what every domain package's events are.
type DomainEvent interface {
	EventType() string
	OccurredAt() time.Time
}

// Decider is one aggregate's pure functions. Evolve must leave the state
// it is given as it was (States shares folded states between commands),
// and one state type has one Evolve.
type Decider[S any, E DomainEvent, C any] struct {
	Evolve        func(S, E) S
	Decide        func(S, C) ([]E, error)
	Decode        func(eventType string, data []byte) (E, error)
	SchemaVersion int
	// EventID names an event's ID; nil (or uuid.Nil) means a random one.
	// Deterministic IDs make a retried command record nothing twice.
	EventID func(E) uuid.UUID

	// The two hooks below are for an aggregate whose state keeps more than
	// its events' meaning: what the store keeps of them (IDs, stored bytes).
	// Both are optional; the consent aggregate uses them for its hash chain.

	// Seal, when set, rewrites an event as it will be stored, given the state
	// it follows (the loaded state with the command's earlier events folded
	// in, Recorded included).
	Seal func(S, eventstore.EventData) (eventstore.EventData, error)
	// Recorded, when set, folds what the store keeps of an event into the
	// state, after Evolve: for every event Load reads and every event Execute
	// appends. Like Evolve, it must leave the state it is given as it was.
	Recorded func(S, E, eventstore.RecordedEvent) S
}

// Result is what a command did.
type Result[S any, E any] struct {
	// Events are the events the command appended (none when it changed nothing).
	Events []E
	// State is the stream's state after the command.
	State S
	// Position is the global position of the last appended event, or of the
	// stream's last event when nothing was appended: a client that waits for
	// it reads its own writes.
	Position eventstore.Position
	// Version is the stream's last version, -1 when it has no event.
	Version int64
	// Watched are the last versions of the streams ExecuteWatching was
	// asked to watch, as they stood at the command's commit (see
	// eventstore.Watcher); nil when it appended nothing or the store could
	// not tell.
	Watched []int64
}

// maxAttempts bounds the reload-and-decide loop under contention.
const maxAttempts = 8

// Load folds a stream into a state; it returns the stream's last version
// (-1 for none) and the position of its last event. When store is a
// *States it starts from the state it remembers and reads only what came
// after it.
func Load[S any, E DomainEvent, C any](ctx context.Context, store eventstore.Store, d Decider[S, E, C], stream eventstore.StreamID) (S, int64, eventstore.Position, error) {
	var state S
	version := int64(-1)
	var pos eventstore.Position
	states, remembers := store.(*States)
	key := stateKey{stream: stream, state: reflect.TypeFor[S]()}
	if remembers {
		if k, ok := states.get(key); ok {
			state, version, pos = k.state.(S), k.version, k.position
		}
	}
	read := version
	for rec, err := range store.ReadStream(ctx, stream, uint64(version+1)) {
		if err != nil {
			return state, 0, 0, fmt.Errorf("load %s: %w", stream, err)
		}
		ev, err := d.Decode(rec.Type, rec.Data)
		if err != nil {
			return state, 0, 0, fmt.Errorf("load %s at version %d: %w", stream, rec.Version, err)
		}
		state = d.Evolve(state, ev)
		if d.Recorded != nil {
			state = d.Recorded(state, ev, rec)
		}
		version, pos = int64(rec.Version), rec.Position
	}
	if remembers && version > read {
		states.put(knownState{key: key, state: state, version: version, position: pos})
	}
	return state, version, pos, nil
}

// Execute runs one command on one stream: load, decide, append with the
// version that was read, and on a concurrency conflict all again.
func Execute[S any, E DomainEvent, C any](ctx context.Context, store eventstore.Store, d Decider[S, E, C], stream eventstore.StreamID, cmd C, meta eventstore.Metadata) (Result[S, E], error) {
	return ExecuteWatching(ctx, store, d, stream, cmd, meta)
}

// ExecuteWatching is Execute that also learns, with its commit, where the
// streams of watch stand (Result.Watched; eventstore.Watcher): what a
// caller needs to tell whether a state it remembers of them is current,
// without reading them.
func ExecuteWatching[S any, E DomainEvent, C any](ctx context.Context, store eventstore.Store, d Decider[S, E, C], stream eventstore.StreamID, cmd C, meta eventstore.Metadata, watch ...eventstore.StreamID) (Result[S, E], error) {
	for attempt := 1; ; attempt++ {
		state, version, pos, err := Load(ctx, store, d, stream)
		if err != nil {
			return Result[S, E]{}, err
		}
		events, err := d.Decide(state, cmd)
		if err != nil {
			return Result[S, E]{}, err
		}
		if len(events) == 0 {
			return Result[S, E]{State: state, Position: pos, Version: version}, nil
		}
		data, after, err := encode(d, state, stream, version, events, meta)
		if err != nil {
			return Result[S, E]{}, fmt.Errorf("encode for %s: %w", stream, err)
		}
		res, watched, err := eventstore.AppendWatching(ctx, store, watch, stream, eventstore.AfterVersion(version), data...)
		if errors.Is(err, eventstore.ErrConcurrency) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return Result[S, E]{}, err
		}
		return Result[S, E]{Events: events, State: after, Position: res.Position, Version: int64(res.Version), Watched: watched}, nil
	}
}

// encode makes the events' stored form, in order, and folds them into state
// (the stream's state once they are appended after version).
func encode[S any, E DomainEvent, C any](d Decider[S, E, C], state S, stream eventstore.StreamID, version int64, events []E, meta eventstore.Metadata) ([]eventstore.EventData, S, error) {
	out := make([]eventstore.EventData, len(events))
	for i, e := range events {
		body, err := json.Marshal(e)
		if err != nil {
			return nil, state, fmt.Errorf("%s: %w", e.EventType(), err)
		}
		id := uuid.Nil
		if d.EventID != nil {
			id = d.EventID(e)
		}
		if id == uuid.Nil {
			// Time-ordered IDs keep the event-id index append-only.
			id = uuid.Must(uuid.NewV7())
		}
		data := eventstore.EventData{
			ID: id, Type: e.EventType(), SchemaVersion: d.SchemaVersion, Data: body,
			Metadata: meta, OccurredAt: e.OccurredAt(),
		}
		if d.Seal != nil {
			if data, err = d.Seal(state, data); err != nil {
				return nil, state, fmt.Errorf("%s: %w", e.EventType(), err)
			}
		}
		out[i] = data
		state = d.Evolve(state, e)
		if d.Recorded != nil {
			state = d.Recorded(state, e, eventstore.RecordedEvent{EventData: data, Stream: stream, Version: uint64(version + 1 + int64(i))})
		}
	}
	return out, state, nil
}
