package consent_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/consent"
)

// The chain's format is what every stored consent event was written with:
// a change here would break every chain already in a store.
func TestChainFormatIsFixed(t *testing.T) {
	at := time.Date(2030, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))
	if got := consent.EventHash(consent.StoredEvent{Type: "OptedOut", Data: []byte(`{"a":1}`), OccurredAt: at}); got != "6bbac682599e2658902c41e67602410c7bed1724b3b7eb4380905a4a67e5ff2d" {
		t.Errorf("EventHash = %s", got)
	}
	for _, tc := range []struct {
		doc, prev, eventType, want string
	}{
		{`{"a":1}`, "", "ConsentRequested", `{"a":1,"prev_hash":"","seal":"0fa816aebe5e7a31d46d7d5cd66cf78ff02145d05f42b4011de140387094b214"}`},
		{` {} `, "abc", "OptedOut", `{"prev_hash":"abc","seal":"0504954b70994988b1f6dd28222b758498d1c0fd28205f2d26e8d49bd56e946c"}`},
	} {
		got, err := consent.ChainDocument([]byte(tc.doc), tc.prev, tc.eventType, at)
		if err != nil || string(got) != tc.want {
			t.Errorf("ChainDocument(%s) = %s, %v; want %s", tc.doc, got, err, tc.want)
		}
	}
	for _, doc := range []string{``, `[]`, `"x"`, `{`} {
		if _, err := consent.ChainDocument([]byte(doc), "", "OptedOut", at); err == nil {
			t.Errorf("ChainDocument(%q) chained what is not a JSON object", doc)
		}
	}
}

// chained is a customer's consent history (form, YES, STOP) as the store
// keeps it: each event's document chained to the one before.
func chained(t *testing.T) []consent.StoredEvent {
	t.Helper()
	var s consent.State
	var out []consent.StoredEvent
	prev := ""
	for _, c := range []consent.Command{form(0), text("SM1", "YES", 1), text("SM2", "STOP", 2)} {
		evs, err := consent.Decide(s, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			s = consent.Evolve(s, e)
			doc, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if doc, err = consent.ChainDocument(doc, prev, e.EventType(), e.OccurredAt()); err != nil {
				t.Fatal(err)
			}
			stored := consent.StoredEvent{Type: e.EventType(), Data: doc, OccurredAt: e.OccurredAt()}
			out = append(out, stored)
			prev = consent.EventHash(stored)
		}
	}
	if len(out) != 3 {
		t.Fatalf("%d events, want 3", len(out))
	}
	return out
}

// One row per rule of VerifyChain (the table in chain.go), and the ways a
// history is tampered with that each catches.
func TestVerifyChain(t *testing.T) {
	edit := func(i int, f func(e *consent.StoredEvent)) func([]consent.StoredEvent) []consent.StoredEvent {
		return func(evs []consent.StoredEvent) []consent.StoredEvent {
			e := evs[i]
			e.Data = bytes.Clone(e.Data)
			f(&e)
			evs[i] = e
			return evs
		}
	}
	replace := func(old, new string) func(e *consent.StoredEvent) {
		return func(e *consent.StoredEvent) { e.Data = bytes.Replace(e.Data, []byte(old), []byte(new), 1) }
	}
	tests := []struct {
		name   string
		tamper func([]consent.StoredEvent) []consent.StoredEvent
		// brokenAt is the first event that breaks the chain, -1 for none;
		// reason a part of why.
		brokenAt int
		reason   string
	}{
		{"untouched: the chain holds", func(evs []consent.StoredEvent) []consent.StoredEvent { return evs }, -1, ""},
		{"no events: the chain holds", func([]consent.StoredEvent) []consent.StoredEvent { return nil }, -1, ""},

		// Row 1: an event that does not decode.
		{"unreadable", edit(1, func(e *consent.StoredEvent) { e.Data = []byte(`{"status_after": 7}`) }), 1, "cannot be read"},

		// Row 2: no seal, or one that no longer matches.
		{"the data edited", edit(1, replace(`"status_after":"yes"`, `"status_after":"pending"`)), 1, "does not match its seal"},
		{"the same meaning in other bytes", edit(0, replace(`,"`, `, "`)), 0, "does not match its seal"},
		{"the last event edited (no successor covers it)", edit(2, replace("STOP", "HELLO")), 2, "does not match its seal"},
		{"moved in time", edit(1, func(e *consent.StoredEvent) { e.OccurredAt = e.OccurredAt.Add(-24 * time.Hour) }), 1, "does not match its seal"},
		{"another type", edit(1, func(e *consent.StoredEvent) { e.Type = consent.TypeOptedIn }), 1, "does not match its seal"},
		{"the seal removed", edit(1, func(e *consent.StoredEvent) {
			e.Data = append(e.Data[:bytes.LastIndex(e.Data, []byte(`,"seal"`))], '}')
		}), 1, "does not match its seal"},

		// Row 3: prev_hash names another event than the one before.
		{"an event removed", func(evs []consent.StoredEvent) []consent.StoredEvent { return append(evs[:1], evs[2]) }, 1, "prev_hash does not match"},
		{"the first event removed", func(evs []consent.StoredEvent) []consent.StoredEvent { return evs[1:] }, 0, "prev_hash does not match"},
		{"two events swapped", func(evs []consent.StoredEvent) []consent.StoredEvent {
			evs[1], evs[2] = evs[2], evs[1]
			return evs
		}, 1, "prev_hash does not match"},

		// Only the first break counts.
		{"two edits", func(evs []consent.StoredEvent) []consent.StoredEvent {
			evs = edit(2, replace("STOP", "HELLO"))(evs)
			return edit(1, replace(`"status_after":"yes"`, `"status_after":"pending"`))(evs)
		}, 1, "does not match its seal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := tt.tamper(chained(t))
			v := consent.VerifyChain(evs)
			if v.BrokenAt != tt.brokenAt || v.Valid() != (tt.brokenAt < 0) || !strings.Contains(v.Reason, tt.reason) || (tt.reason == "") != (v.Reason == "") {
				t.Fatalf("verdict broken at %d (%q), want %d (%q)", v.BrokenAt, v.Reason, tt.brokenAt, tt.reason)
			}
			if len(v.Links) != len(evs) {
				t.Fatalf("%d links for %d events", len(v.Links), len(evs))
			}
		})
	}
}

// ReadLink reads what each event says; the hash is its successor's
// prev_hash.
func TestReadLink(t *testing.T) {
	evs := chained(t)
	prev := ""
	for i, e := range evs {
		link := consent.ReadLink(e)
		if !link.Sealed || link.PrevHash != prev || link.Hash != consent.EventHash(e) {
			t.Fatalf("event %d: %+v, want prev %q", i, link, prev)
		}
		prev = link.Hash
	}
	if link := consent.ReadLink(consent.StoredEvent{Type: consent.TypeOptedOut, Data: []byte(`{"status_after":"no"}`)}); link.Sealed || link.PrevHash != "" {
		t.Fatalf("an event written without the chain: %+v", link)
	}
}
