package commands

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// This file holds what the consent use cases share: the consent aggregate
// as Execute runs it, chaining each event it appends to the stream's last
// one (consent.ChainDocument: the hash chain's rules are domain/consent's,
// chain.go).

// consentDecider is the consent aggregate as its commands run it: the
// state keeps, beyond the consent, the stream's events with their IDs and
// the hash of its last event, and Seal chains each new event to the one
// before it.
var consentDecider = Decider[consentChain, consent.Event, consent.Command]{
	Evolve: func(s consentChain, e consent.Event) consentChain {
		s.State = consent.Evolve(s.State, e)
		return s
	},
	Decide:        func(s consentChain, c consent.Command) ([]consent.Event, error) { return consent.Decide(s.State, c) },
	Decode:        consent.Decode,
	SchemaVersion: consent.SchemaVersion,
	Seal: func(s consentChain, e eventstore.EventData) (eventstore.EventData, error) {
		doc, err := consent.ChainDocument(e.Data, s.Hash, e.Type, e.OccurredAt)
		e.Data = doc
		return e, err
	},
	Recorded: func(s consentChain, e consent.Event, rec eventstore.RecordedEvent) consentChain {
		// Clip: a remembered state is shared, so never append in place.
		s.History = append(slices.Clip(s.History), consentRecord{ID: rec.ID, Event: e})
		s.Hash = consent.EventHash(storedConsent(rec))
		return s
	},
}

// consentChain is a consent stream's state for its commands.
type consentChain struct {
	consent.State
	// History is the stream's events, oldest first.
	History []consentRecord
	// Hash is consent.EventHash of the stream's last event ("" for none).
	Hash string
}

// appended is what a consent command appended, with the events' IDs.
func appended(res Result[consentChain, consent.Event]) []consentRecord {
	h := res.State.History
	return h[len(h)-len(res.Events):]
}

// consentState is the consent alone, for the use cases that only read it.
var consentState = Decider[consent.State, consent.Event, consent.Command]{
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

// LoadConsent reads a customer's consent from its stream.
func LoadConsent(ctx context.Context, store eventstore.Store, stream eventstore.StreamID) (consent.State, error) {
	s, _, _, err := Load(ctx, store, consentState, stream)
	return s, err
}
