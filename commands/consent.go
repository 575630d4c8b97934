package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// This file holds what the consent use cases share: running a consent
// command (load, decide, append, retry, like Execute) and the hash chain
// that every consent event carries.
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
			prevHash = ConsentEventHash(prev.Type, prev.Data, prev.OccurredAt)
		}
		data := make([]eventstore.EventData, len(events))
		appended := make([]consentRecord, len(events))
		for i, e := range events {
			doc, err := json.Marshal(e)
			if err != nil {
				return out, fmt.Errorf("encode %s: %w", e.EventType(), err)
			}
			doc, err = chainDocument(doc, prevHash, e.EventType(), e.OccurredAt())
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
			prevHash = ConsentEventHash(e.EventType(), doc, e.OccurredAt())
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
