// Package eventstore is the port through which smsinbox records and reads its
// history: streams of events, each event with a version in its stream and a
// position in one global order across every stream and every company.
//
// The domain owns this interface; adapters (PostgreSQL, EventStoreDB) implement
// it and prove it with one shared contract suite.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/google/uuid"
)

// StreamID names a stream by what it holds, such as "conversation-<company>-<phone>".
type StreamID string

// Position is a place in the global log. Positions of recorded events are
// strictly increasing in the order a subscriber receives them; Start lies
// before every event. A position is a checkpoint: reading "after" it resumes
// with the next event.
type Position uint64

// Start is the position before the first event.
const Start Position = 0

// Metadata says why an event happened and who caused it.
type Metadata struct {
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	// Actor is who or what caused the event: "user:<id>", "customer:<phone>",
	// "twilio", "system", ...
	Actor string `json:"actor,omitempty"`
}

// EventData is an event to append. ID identifies it for ever: appending an
// event whose ID is already recorded in the same stream records nothing new.
type EventData struct {
	ID            uuid.UUID
	Type          string
	SchemaVersion int
	// Data is the event's JSON document.
	Data       []byte
	Metadata   Metadata
	OccurredAt time.Time
}

// RecordedEvent is an event as the store holds it.
type RecordedEvent struct {
	EventData
	Stream StreamID
	// Version is the event's place in its stream, from 0.
	Version uint64
	// Position is the event's place in the global log.
	Position Position
}

// ExpectedVersion is the optimistic-concurrency condition of an append.
type ExpectedVersion struct {
	kind    expectKind
	version uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Any appends whatever the stream holds.
func Any() ExpectedVersion { return ExpectedVersion{kind: expectAny} }

// NoStream appends only to a stream that has no event yet.
func NoStream() ExpectedVersion { return ExpectedVersion{kind: expectNoStream} }

// StreamExists appends only to a stream that has at least one event.
func StreamExists() ExpectedVersion { return ExpectedVersion{kind: expectStreamExists} }

// Exact appends only when the stream's last event has version v.
func Exact(v uint64) ExpectedVersion { return ExpectedVersion{kind: expectExact, version: v} }

// AfterVersion expects the state a decider folded: NoStream when it read no
// event (lastVersion < 0), else Exact(lastVersion).
func AfterVersion(lastVersion int64) ExpectedVersion {
	if lastVersion < 0 {
		return NoStream()
	}
	return Exact(uint64(lastVersion))
}

// IsAny, IsNoStream, IsStreamExists report the kind of condition.
func (e ExpectedVersion) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedVersion) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedVersion) IsStreamExists() bool { return e.kind == expectStreamExists }

// ExactVersion returns the version an Exact condition names.
func (e ExpectedVersion) ExactVersion() (uint64, bool) {
	return e.version, e.kind == expectExact
}

// Allows reports whether a stream whose last version is current (-1 for no
// stream) satisfies the condition.
func (e ExpectedVersion) Allows(current int64) bool {
	switch e.kind {
	case expectNoStream:
		return current < 0
	case expectStreamExists:
		return current >= 0
	case expectExact:
		return current == int64(e.version)
	default:
		return true
	}
}

func (e ExpectedVersion) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return fmt.Sprintf("version %d", e.version)
	default:
		return "any"
	}
}

// AppendResult tells where an append put its events.
type AppendResult struct {
	// Version is the stream's last version after the append.
	Version uint64
	// Position is the global position of the last event of the append (of the
	// original append, when a retry recorded nothing new).
	Position Position
}

// ErrConcurrency is matched (errors.Is) by every *ConcurrencyError.
var ErrConcurrency = errors.New("wrong expected version")

// ErrDuplicateEvent means an event ID is already recorded elsewhere: in
// another stream, or at a place that a retry of the same append cannot explain.
var ErrDuplicateEvent = errors.New("event id already recorded")

// ErrInvalidEvent means an event cannot be stored as given (no ID, no type,
// data that is not JSON).
var ErrInvalidEvent = errors.New("invalid event")

// ConcurrencyError says an append's expected version did not hold.
type ConcurrencyError struct {
	Stream   StreamID
	Expected ExpectedVersion
	// Actual is the stream's last version, -1 when it has no event.
	Actual int64
}

func (e *ConcurrencyError) Error() string {
	return fmt.Sprintf("append to %s: expected %s, stream is at %d", e.Stream, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrConcurrency) true.
func (e *ConcurrencyError) Is(target error) bool { return target == ErrConcurrency }

// Filter selects events of a subscription or a read of the global log. An
// empty filter selects every event; otherwise an event must match one of the
// stream prefixes (when any are given) and one of the types (when any are).
type Filter struct {
	StreamPrefixes []string
	EventTypes     []string
}

// Match reports whether the filter selects an event of this stream and type.
func (f Filter) Match(stream StreamID, eventType string) bool {
	if len(f.StreamPrefixes) > 0 {
		ok := false
		for _, p := range f.StreamPrefixes {
			if strings.HasPrefix(string(stream), p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if len(f.EventTypes) > 0 {
		for _, t := range f.EventTypes {
			if t == eventType {
				return true
			}
		}
		return false
	}
	return true
}

// Store records events and reads them back.
type Store interface {
	// Append records events at the end of a stream, all or none, if expected
	// holds. A retry of an append whose event IDs are all recorded in that
	// stream, in that order, records nothing and reports the original result.
	// A failed condition is a *ConcurrencyError.
	Append(ctx context.Context, stream StreamID, expected ExpectedVersion, events ...EventData) (AppendResult, error)

	// ReadStream yields a stream's events in version order, from version
	// from on. A stream with no event yields nothing.
	ReadStream(ctx context.Context, stream StreamID, from uint64) iter.Seq2[RecordedEvent, error]

	// ReadAll yields the events of the global log that come after position
	// after and match filter, in position order, up to the head at the time
	// of reading.
	ReadAll(ctx context.Context, after Position, filter Filter) iter.Seq2[RecordedEvent, error]

	// Subscribe is a catch-up subscription: it yields the events that come
	// after position after and match filter, in position order, then goes
	// live and yields new events as they are committed, until ctx ends or
	// the loop stops. It never skips or repeats an event, whatever order
	// concurrent appends commit in. When ctx ends it yields ctx's error.
	Subscribe(ctx context.Context, after Position, filter Filter) iter.Seq2[RecordedEvent, error]

	// Head is the position of the last recorded event (Start when none).
	Head(ctx context.Context) (Position, error)

	// Close releases the store's connections.
	Close() error
}
