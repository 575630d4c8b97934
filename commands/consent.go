package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// This file holds what the consent use cases share: the consent aggregate
// as Execute runs it, and the hash chain that every consent event carries.
//
// The hash chain. The consent events of one customer form a chain: the
// commands layer adds two fields to each event's JSON document as it appends
// it (the domain events know nothing of them; consent.Decode ignores them):
//
//	"prev_hash": SHA-256 of the previous consent event of the stream (""
//	             for the first): ConsentEventHash of its stored data bytes,
//	             its type and its occurrence time;
//	"seal":      SHA-256 of this document up to the seal, its type and its
//	             occurrence time, so that an edit of the last event (which no
//	             successor's prev_hash covers yet) shows too.
//
// The store keeps the data bytes as written (PostgreSQL's json type,
// EventStoreDB's data), so the audit recomputes both from what it reads.
// A chain is tamper-evident, not tamper-proof: whoever can rewrite every
// event from the edit on, recomputing each hash, is not caught by it.

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
		doc, err := chainDocument(e.Data, s.Hash, e.Type, e.OccurredAt)
		e.Data = doc
		return e, err
	},
	Recorded: func(s consentChain, e consent.Event, rec eventstore.RecordedEvent) consentChain {
		// Clip: a remembered state is shared, so never append in place.
		s.History = append(slices.Clip(s.History), consentRecord{ID: rec.ID, Event: e})
		s.Hash = ConsentEventHash(rec.Type, rec.Data, rec.OccurredAt)
		return s
	},
}

// consentChain is a consent stream's state for its commands.
type consentChain struct {
	consent.State
	// History is the stream's events, oldest first.
	History []consentRecord
	// Hash is ConsentEventHash of the stream's last event ("" for none).
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

// chainTime is the occurrence time as the hash chain writes it.
func chainTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

func chainSum(data []byte, eventType string, occurredAt time.Time) string {
	h := sha256.New()
	h.Write(data)
	h.Write([]byte("\n" + eventType + "\n" + chainTime(occurredAt)))
	return hex.EncodeToString(h.Sum(nil))
}

// ConsentEventHash is the hash by which the next consent event of the stream
// names this one (its prev_hash): SHA-256 of the stored data bytes, a line
// feed, the type, a line feed and the occurrence time in UTC with
// microseconds ("2006-01-02T15:04:05.000000Z"), in hex.
func ConsentEventHash(eventType string, data []byte, occurredAt time.Time) string {
	return chainSum(data, eventType, occurredAt)
}

// sealPrefix starts the seal field, the last field of a chained document.
const sealPrefix = `,"seal":"`

// sealLen is the length of the seal suffix: sealPrefix, 64 hex digits, `"}`.
var sealLen = len(sealPrefix) + 64 + 2

// chainDocument adds prev_hash and seal to an event's JSON object.
func chainDocument(doc []byte, prevHash, eventType string, occurredAt time.Time) ([]byte, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) < 2 || doc[0] != '{' || doc[len(doc)-1] != '}' {
		return nil, errors.New("the event is not a JSON object")
	}
	var b bytes.Buffer
	b.Write(doc[:len(doc)-1])
	if len(doc) > 2 {
		b.WriteByte(',')
	}
	b.WriteString(`"prev_hash":"` + prevHash + `"}`)
	chained := b.Bytes()
	seal := chainSum(chained, eventType, occurredAt)
	out := make([]byte, 0, len(chained)+sealLen)
	out = append(out, chained[:len(chained)-1]...)
	out = append(out, sealPrefix+seal+`"}`...)
	return out, nil
}

// ChainLink is what one stored consent event says about the chain.
type ChainLink struct {
	// PrevHash is the event's prev_hash ("" when it has none).
	PrevHash string
	// Sealed: the event's seal matches its document, type and time.
	Sealed bool
	// Hash is ConsentEventHash of the event, for its successor.
	Hash string
}

// ReadChainLink checks a stored consent event's seal and reads its prev_hash.
func ReadChainLink(e eventstore.RecordedEvent) ChainLink {
	link := ChainLink{Hash: ConsentEventHash(e.Type, e.Data, e.OccurredAt)}
	data := e.Data
	var doc struct {
		PrevHash *string `json:"prev_hash"`
		Seal     string  `json:"seal"`
	}
	if json.Unmarshal(data, &doc) != nil || doc.PrevHash == nil {
		return link
	}
	link.PrevHash = *doc.PrevHash
	n := len(data)
	if n < sealLen+2 || string(data[n-sealLen:n-sealLen+len(sealPrefix)]) != sealPrefix || string(data[n-2:]) != `"}` {
		return link
	}
	body := append(append([]byte{}, data[:n-sealLen]...), '}')
	link.Sealed = chainSum(body, e.Type, e.OccurredAt) == string(data[n-sealLen+len(sealPrefix):n-2]) &&
		doc.Seal == string(data[n-sealLen+len(sealPrefix):n-2])
	return link
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
