package esdb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// metadata is the JSON an event's EventStoreDB metadata holds.
type metadata struct {
	CorrelationID string `json:"correlation_id,omitempty"`
	CausationID   string `json:"causation_id,omitempty"`
	Actor         string `json:"actor,omitempty"`
	SchemaVersion int    `json:"schema_version"`
	OccurredAt    string `json:"occurred_at,omitempty"`
}

// validate refuses what the store cannot hold, before anything is sent.
func validate(e eventstore.EventData) error {
	switch {
	case e.ID == uuid.Nil:
		return fmt.Errorf("%w: no id", eventstore.ErrInvalidEvent)
	case e.Type == "":
		return fmt.Errorf("%w: event %s has no type", eventstore.ErrInvalidEvent, e.ID)
	case strings.HasPrefix(e.Type, "$"):
		return fmt.Errorf("%w: event %s: type %q is reserved for EventStoreDB's system events", eventstore.ErrInvalidEvent, e.ID, e.Type)
	case !json.Valid(e.Data):
		return fmt.Errorf("%w: event %s: data is not JSON", eventstore.ErrInvalidEvent, e.ID)
	}
	return nil
}

// toEventData maps an event to append onto the client's EventData.
func toEventData(e eventstore.EventData) (esdb.EventData, error) {
	if err := validate(e); err != nil {
		return esdb.EventData{}, err
	}
	md := metadata{
		CorrelationID: e.Metadata.CorrelationID,
		CausationID:   e.Metadata.CausationID,
		Actor:         e.Metadata.Actor,
		SchemaVersion: e.SchemaVersion,
	}
	if !e.OccurredAt.IsZero() {
		md.OccurredAt = e.OccurredAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
	}
	raw, err := json.Marshal(md)
	if err != nil {
		return esdb.EventData{}, fmt.Errorf("event %s: metadata: %w", e.ID, err)
	}
	return esdb.EventData{
		EventID:     e.ID,
		EventType:   e.Type,
		ContentType: esdb.ContentTypeJson,
		Data:        e.Data,
		Metadata:    raw,
	}, nil
}

// fromRecorded maps an event the client read onto a RecordedEvent.
func fromRecorded(r *esdb.RecordedEvent) (eventstore.RecordedEvent, error) {
	pos, err := positionOf(r)
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	out := eventstore.RecordedEvent{
		EventData: eventstore.EventData{
			ID:   r.EventID,
			Type: r.EventType,
			Data: r.Data,
		},
		Stream:   eventstore.StreamID(r.StreamID),
		Version:  r.EventNumber,
		Position: pos,
	}
	if len(r.UserMetadata) == 0 {
		// Written by something other than this adapter: the server's own
		// record time is the best "occurred at" there is.
		out.OccurredAt = r.CreatedDate
		return out, nil
	}
	var md metadata
	if err := json.Unmarshal(r.UserMetadata, &md); err != nil {
		return eventstore.RecordedEvent{}, fmt.Errorf("event %s (%s@%d): metadata: %w", r.EventID, r.StreamID, r.EventNumber, err)
	}
	out.SchemaVersion = md.SchemaVersion
	out.Metadata = eventstore.Metadata{CorrelationID: md.CorrelationID, CausationID: md.CausationID, Actor: md.Actor}
	if md.OccurredAt != "" {
		if out.OccurredAt, err = time.Parse(time.RFC3339Nano, md.OccurredAt); err != nil {
			return eventstore.RecordedEvent{}, fmt.Errorf("event %s (%s@%d): occurred_at: %w", r.EventID, r.StreamID, r.EventNumber, err)
		}
	}
	return out, nil
}

// errNoPosition: servers before 22.6 leave the $all position out of stream
// reads, and the adapter cannot give a RecordedEvent its Position then.
var errNoPosition = errors.New("the server gave the event no $all position (EventStoreDB 22.6 or later is needed)")

// positionOf is an event's Position: its commit position plus one.
func positionOf(r *esdb.RecordedEvent) (eventstore.Position, error) {
	if r.Position.Commit == math.MaxUint64 {
		return 0, fmt.Errorf("event %s (%s@%d): %w", r.EventID, r.StreamID, r.EventNumber, errNoPosition)
	}
	return toPosition(r.Position.Commit), nil
}

// toPosition maps a commit position to a Position.
func toPosition(commit uint64) eventstore.Position { return eventstore.Position(commit + 1) }

// fromPosition maps a Position to the $all position of the event at it, for
// reads and subscriptions "after" it. Start is esdb.Start.
func fromPosition(p eventstore.Position) esdb.AllPosition {
	if p == eventstore.Start {
		return esdb.Start{}
	}
	return esdb.Position{Commit: uint64(p) - 1, Prepare: uint64(p) - 1}
}

// expectedRevision maps an expected version onto the client's.
func expectedRevision(e eventstore.ExpectedVersion) esdb.ExpectedRevision {
	if v, ok := e.ExactVersion(); ok {
		return esdb.Revision(v)
	}
	switch {
	case e.IsNoStream():
		return esdb.NoStream{}
	case e.IsStreamExists():
		return esdb.StreamExists{}
	default:
		return esdb.Any{}
	}
}

// isSystem reports an EventStoreDB system event.
func isSystem(r *esdb.RecordedEvent) bool { return strings.HasPrefix(r.EventType, "$") }

// serverFilter is the filter a subscription asks the server to apply. The
// server takes stream prefixes or event-type prefixes, not both: stream
// prefixes win, and the client checks the whole Filter anyway (a type
// prefix "Wanted" also lets "WantedLater" through).
func serverFilter(f eventstore.Filter) *esdb.SubscriptionFilter {
	switch {
	case len(f.StreamPrefixes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.StreamFilterType, Prefixes: f.StreamPrefixes}
	case len(f.EventTypes) > 0:
		return &esdb.SubscriptionFilter{Type: esdb.EventFilterType, Prefixes: f.EventTypes}
	default:
		return esdb.ExcludeSystemEventsFilter()
	}
}
