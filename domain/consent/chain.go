package consent

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"
)

// The hash chain. The consent events of one customer form a chain, so that
// an edit of the history after the fact shows in the audit. Each event's
// stored JSON document carries two fields beside the event's own (the
// events know nothing of them; Decode ignores them):
//
//	"prev_hash": EventHash of the previous event of the stream ("" for the
//	             first): SHA-256 of its stored data bytes, its type and its
//	             occurrence time;
//	"seal":      SHA-256 of this document up to the seal, its type and its
//	             occurrence time, so that an edit of the last event (which no
//	             successor's prev_hash covers yet) shows too.
//
// The store keeps the data bytes as written (PostgreSQL's json type,
// EventStoreDB's data), so an audit recomputes both from what it reads
// (VerifyChain). A chain is tamper-evident, not tamper-proof: whoever can
// rewrite every event from the edit on, recomputing each hash, is not caught
// by it.
//
// VerifyChain's rules, for the first event that breaks one (in order):
//
//	| the event ...                         | the chain is broken there because      |
//	|---------------------------------------|----------------------------------------|
//	| does not decode to a consent event    | it cannot be read                      |
//	| has no seal, or one its bytes, type   | it was changed after it was recorded   |
//	|   and time no longer match            |                                        |
//	| names another prev_hash than the hash | it, or the one before, was changed,    |
//	|   of the event before it ("" first)   |   removed or reordered                 |

// StoredEvent is a consent event as the event store keeps it: all that the
// chain covers.
type StoredEvent struct {
	Type string
	// Data is the JSON document, byte for byte as stored.
	Data       []byte
	OccurredAt time.Time
}

// chainTime is the occurrence time as the chain writes it: UTC, whole
// microseconds (what PostgreSQL's timestamptz keeps).
func chainTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

func chainSum(data []byte, eventType string, occurredAt time.Time) string {
	h := sha256.New()
	h.Write(data)
	h.Write([]byte("\n" + eventType + "\n" + chainTime(occurredAt)))
	return hex.EncodeToString(h.Sum(nil))
}

// EventHash is the hash by which the next consent event of the stream names
// e (its prev_hash): SHA-256 of the stored data bytes, a line feed, the
// type, a line feed and the occurrence time in UTC with microseconds
// ("2006-01-02T15:04:05.000000Z"), in hex.
func EventHash(e StoredEvent) string { return chainSum(e.Data, e.Type, e.OccurredAt) }

// sealPrefix starts the seal field, the last field of a chained document.
const sealPrefix = `,"seal":"`

// sealLen is the length of the seal suffix: sealPrefix, 64 hex digits, `"}`.
var sealLen = len(sealPrefix) + 64 + 2

// ChainDocument adds prev_hash and then the seal to doc, the JSON object of
// an event of type eventType that occurred at occurredAt.
func ChainDocument(doc []byte, prevHash, eventType string, occurredAt time.Time) ([]byte, error) {
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
	// Hash is EventHash of the event, for its successor.
	Hash string
}

// ReadLink checks a stored consent event's seal and reads its prev_hash.
func ReadLink(e StoredEvent) ChainLink {
	link := ChainLink{Hash: EventHash(e)}
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
	seal := string(data[n-sealLen+len(sealPrefix) : n-2])
	link.Sealed = chainSum(body, e.Type, e.OccurredAt) == seal && doc.Seal == seal
	return link
}

// ChainVerdict is what VerifyChain found.
type ChainVerdict struct {
	// Links are the events' links, in the stream's order.
	Links []ChainLink
	// BrokenAt is the index of the first event that breaks the chain, -1
	// when none does; Reason says why, for a person.
	BrokenAt int
	Reason   string
}

// Valid reports whether the chain holds.
func (v ChainVerdict) Valid() bool { return v.BrokenAt < 0 }

// VerifyChain checks the consent events of one stream, in its order, by the
// rules of the table above.
func VerifyChain(events []StoredEvent) ChainVerdict {
	v := ChainVerdict{Links: make([]ChainLink, len(events)), BrokenAt: -1}
	expected := ""
	for i, e := range events {
		link := ReadLink(e)
		v.Links[i] = link
		if v.Valid() {
			_, err := Decode(e.Type, e.Data)
			switch {
			case err != nil:
				v.BrokenAt, v.Reason = i, "the event cannot be read: "+err.Error()
			case !link.Sealed:
				v.BrokenAt, v.Reason = i, "the event does not match its seal: it was changed after it was recorded"
			case link.PrevHash != expected:
				v.BrokenAt, v.Reason = i, "prev_hash does not match the previous event: it was changed, removed or reordered"
			}
		}
		expected = link.Hash
	}
	return v
}
