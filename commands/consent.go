package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// This file holds what the consent use cases share: running a consent
// command (load, decide, append, retry, like Execute), chaining each event
// it appends to the stream's last one (consent.ChainDocument: the hash
// chain's rules are domain/consent's, chain.go).

// consentDecider is the consent aggregate (Load only: consent commands run
// through executeConsent, which chains the events as it appends them).
var consentDecider = Decider[consent.State, consent.Event, consent.Command]{
	Evolve:        consent.Evolve,
	Decide:        consent.Decide,
	Decode:        consent.Decode,
	SchemaVersion: consent.SchemaVersion,
}

// consentTime is a command's time as the store keeps it: UTC, whole
// microseconds (PostgreSQL's timestamptz rounds what is finer), so that the
// time in an event's document, the stored occurrence time and the hash chain
// agree to the digit.
func consentTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// storedConsent is a recorded consent event as the hash chain covers it.
func storedConsent(rec eventstore.RecordedEvent) consent.StoredEvent {
	return consent.StoredEvent{Type: rec.Type, Data: rec.Data, OccurredAt: rec.OccurredAt}
}

// consentRecord is a consent event with its ID.
type consentRecord struct {
	ID    uuid.UUID
	Event consent.Event
}

// consentOutcome is what executeConsent did.
type consentOutcome struct {
	// History is the stream's events before the command; Appended the events
	// it appended (none when it changed nothing).
	History, Appended []consentRecord
	// State is the consent after the command.
	State consent.State
	// Position is the last appended event's, else the stream's last event's.
	Position eventstore.Position
}

// consentRun is one command for executeConsent.
type consentRun struct {
	Stream  eventstore.StreamID
	Command consent.Command
	Meta    eventstore.Metadata
	// EventID names the i-th decided event (nil or uuid.Nil: a UUID v7).
	EventID func(e consent.Event) uuid.UUID
	// Guard, when set, must accept the loaded state, or nothing is decided.
	Guard func(consent.State) bool
}

// executeConsent runs one consent command, as Execute does, chaining the
// events it appends to the stream's last one.
func executeConsent(ctx context.Context, store eventstore.Store, run consentRun) (consentOutcome, error) {
	for attempt := 1; ; attempt++ {
		var out consentOutcome
		version := int64(-1)
		var prev eventstore.RecordedEvent
		for rec, err := range store.ReadStream(ctx, run.Stream, 0) {
			if err != nil {
				return out, fmt.Errorf("load %s: %w", run.Stream, err)
			}
			ev, err := consent.Decode(rec.Type, rec.Data)
			if err != nil {
				return out, fmt.Errorf("load %s at version %d: %w", run.Stream, rec.Version, err)
			}
			out.State = consent.Evolve(out.State, ev)
			out.History = append(out.History, consentRecord{ID: rec.ID, Event: ev})
			version, out.Position, prev = int64(rec.Version), rec.Position, rec
		}
		if run.Guard != nil && !run.Guard(out.State) {
			return out, nil
		}
		events, err := consent.Decide(out.State, run.Command)
		if err != nil {
			return out, err
		}
		if len(events) == 0 {
			return out, nil
		}
		prevHash := ""
		if version >= 0 {
			prevHash = consent.EventHash(storedConsent(prev))
		}
		data := make([]eventstore.EventData, len(events))
		appended := make([]consentRecord, len(events))
		for i, e := range events {
			doc, err := json.Marshal(e)
			if err != nil {
				return out, fmt.Errorf("encode %s: %w", e.EventType(), err)
			}
			doc, err = consent.ChainDocument(doc, prevHash, e.EventType(), e.OccurredAt())
			if err != nil {
				return out, fmt.Errorf("encode %s: %w", e.EventType(), err)
			}
			id := uuid.Nil
			if run.EventID != nil {
				id = run.EventID(e)
			}
			if id == uuid.Nil {
				id = uuid.Must(uuid.NewV7())
			}
			data[i] = eventstore.EventData{
				ID: id, Type: e.EventType(), SchemaVersion: consent.SchemaVersion, Data: doc,
				Metadata: run.Meta, OccurredAt: e.OccurredAt(),
			}
			appended[i] = consentRecord{ID: id, Event: e}
			prevHash = consent.EventHash(consent.StoredEvent{Type: e.EventType(), Data: doc, OccurredAt: e.OccurredAt()})
		}
		res, err := store.Append(ctx, run.Stream, eventstore.AfterVersion(version), data...)
		if errors.Is(err, eventstore.ErrConcurrency) && attempt < maxAttempts {
			continue
		}
		if err != nil {
			return out, err
		}
		for _, e := range events {
			out.State = consent.Evolve(out.State, e)
		}
		out.Appended, out.Position = appended, res.Position
		return out, nil
	}
}

// LoadConsent reads a customer's consent from its stream.
func LoadConsent(ctx context.Context, store eventstore.Store, stream eventstore.StreamID) (consent.State, error) {
	s, _, _, err := Load(ctx, store, consentDecider, stream)
	return s, err
}
