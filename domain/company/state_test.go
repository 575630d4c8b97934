package company_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestEvolve(t *testing.T) {
	s := given(created())
	if !s.Exists() || s.Abandoned() || s.CompanyID != co || s.Name != "Acme Dental" || s.MessagingNumber != numA ||
		s.TimeZone != "UTC" || !s.SMSEnabled || s.Country != "US" || !s.CreatedAt.Equal(at(0)) {
		t.Fatalf("created: %+v", s)
	}
	if len(s.FormerNumbers()) != 0 || len(s.Users()) != 0 || !s.Owns(numA) || s.Owns(numB) || s.Owns("") {
		t.Fatalf("created: former %v users %v", s.FormerNumbers(), s.Users())
	}

	// CompanyUpdated changes only what it holds.
	s2 := company.Evolve(s, company.CompanyUpdated{CompanyID: co, TimeZone: ptr("Europe/Paris"), At: at(1)})
	if s2.TimeZone != "Europe/Paris" || s2.Name != "Acme Dental" || !s2.SMSEnabled {
		t.Fatalf("time zone update: %+v", s2)
	}
	if s2.Location().String() != "Europe/Paris" || s.Location() != time.UTC || (company.State{}).Location() != time.UTC {
		t.Fatalf("locations %v %v", s2.Location(), s.Location())
	}
	s2 = company.Evolve(s2, company.CompanyUpdated{CompanyID: co, Name: ptr("B"), SMSEnabled: ptr(false), At: at(2)})
	if s2.Name != "B" || s2.SMSEnabled || s2.TimeZone != "Europe/Paris" {
		t.Fatalf("name and sms update: %+v", s2)
	}

	// Number changes keep former numbers, oldest first, never the current one.
	s3 := company.Evolve(s, numberChanged(numA, numB, 1))
	if s3.MessagingNumber != numB || !slices.Equal(s3.FormerNumbers(), []phone.Number{numA}) || !s3.Owns(numA) || !s3.Owns(numB) {
		t.Fatalf("changed: %+v %v", s3, s3.FormerNumbers())
	}
	s4 := company.Evolve(s3, numberChanged(numB, numC, 2))
	if !slices.Equal(s4.FormerNumbers(), []phone.Number{numA, numB}) {
		t.Fatalf("changed twice: %v", s4.FormerNumbers())
	}
	s5 := company.Evolve(s4, numberChanged(numC, numA, 3))
	if s5.MessagingNumber != numA || !slices.Equal(s5.FormerNumbers(), []phone.Number{numB, numC}) {
		t.Fatalf("back to the first: %s %v", s5.MessagingNumber, s5.FormerNumbers())
	}

	// Users.
	s6 := company.Evolve(company.Evolve(s, userAdded(user1, company.RoleAdmin, 1)), userAdded("user-2", company.RoleLight, 2))
	if r, ok := s6.UserRole(user1); !ok || r != company.RoleAdmin {
		t.Fatalf("user-1: %v %v", r, ok)
	}
	if r, ok := s6.UserRole("user-2"); !ok || r != company.RoleLight {
		t.Fatalf("user-2: %v %v", r, ok)
	}
	if _, ok := s6.UserRole("user-3"); ok {
		t.Fatal("user-3 found")
	}
	if !reflect.DeepEqual(s6.Users(), map[string]company.Role{user1: company.RoleAdmin, "user-2": company.RoleLight}) {
		t.Fatalf("users %v", s6.Users())
	}

	// Abandoned: no company.
	a := given(abandoned(other, numA, 1))
	if a.Exists() || !a.Abandoned() || a.CompanyID != other {
		t.Fatalf("abandoned: %+v", a)
	}

	// Claims are not company events.
	if !reflect.DeepEqual(company.Evolve(s, claimed(numB, co, 1)), s) {
		t.Fatal("NumberClaimed changed a company")
	}
}

// A State is a value: evolving one never changes another that shares its past.
func TestEvolveLeavesStatesAlone(t *testing.T) {
	base := given(created(), numberChanged(numA, numB, 1), userAdded(user1, company.RoleAdmin, 2))
	a := company.Evolve(base, numberChanged(numB, numC, 3))
	b := company.Evolve(base, numberChanged(numB, numA, 3))
	c := company.Evolve(base, userAdded("user-2", company.RoleAgent, 3))
	if !slices.Equal(base.FormerNumbers(), []phone.Number{numA}) || !slices.Equal(a.FormerNumbers(), []phone.Number{numA, numB}) ||
		!slices.Equal(b.FormerNumbers(), []phone.Number{numB}) {
		t.Fatalf("former numbers shared: base %v a %v b %v", base.FormerNumbers(), a.FormerNumbers(), b.FormerNumbers())
	}
	if _, ok := base.UserRole("user-2"); ok || len(c.Users()) != 2 {
		t.Fatalf("users shared: base %v c %v", base.Users(), c.Users())
	}
	// What the accessors return is a copy.
	base.FormerNumbers()[0] = numC
	base.Users()[user1] = company.RoleLight
	if base.FormerNumbers()[0] != numA {
		t.Fatal("FormerNumbers returned the state's slice")
	}
	if r, _ := base.UserRole(user1); r != company.RoleAdmin {
		t.Fatal("Users returned the state's map")
	}
}

func TestEvolveClaim(t *testing.T) {
	var c company.Claim
	if c.Claimed() {
		t.Fatal("zero claim is claimed")
	}
	c = givenClaim(claimed(numA, other, 0), company.NumberClaimed{Number: numA, CompanyID: co, ReplacesCompanyID: other, At: at(2)})
	if !c.Claimed() || c.CompanyID != co || c.Number != numA || !c.ClaimedAt.Equal(at(2)) {
		t.Fatalf("claim %+v", c)
	}
	if company.EvolveClaim(c, created()) != c {
		t.Fatal("a company event changed a claim")
	}
}

// Every event survives the store: JSON and back through Decode, and the
// document has the snake_case fields projectors read.
func TestDecodeRoundTrip(t *testing.T) {
	all := []company.Event{
		created(),
		company.CompanyUpdated{CompanyID: co, Name: ptr("B"), TimeZone: ptr("Asia/Tokyo"), SMSEnabled: ptr(false), At: at(1)},
		company.CompanyUpdated{CompanyID: co, SMSEnabled: ptr(true), At: at(1)},
		numberChanged(numA, numB, 2),
		userAdded(user1, company.RoleCompliance, 3),
		userRemoved(user1, 3),
		tokenRotated(user1, hash2, 3),
		keyIssued("key-1", "text_us_now", 3),
		keyRevoked("key-1", 4),
		company.QuietHoursChanged{CompanyID: co, Start: "09:00", End: "18:00", At: at(4)},
		abandoned(other, numA, 4),
		claimed(numA, co, 5),
		company.NumberClaimed{Number: numA, CompanyID: co, ReplacesCompanyID: other, At: at(6)},
		company.AutoReplySet{CompanyID: co, Settings: autoreply.Default(), At: at(7)},
		company.AutomatedTextsSet{CompanyID: co, Texts: consent.DefaultTexts(), At: at(7)},
	}
	seen := map[string]bool{}
	for _, e := range all {
		seen[e.EventType()] = true
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		if doc["company_id"] == nil || doc["at"] == nil {
			t.Fatalf("%s: document %s lacks company_id or at", e.EventType(), data)
		}
		back, err := company.Decode(e.EventType(), data)
		if err != nil {
			t.Fatalf("%s: %v", e.EventType(), err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("%s: got %#v, want %#v", e.EventType(), back, e)
		}
		if e.OccurredAt().IsZero() {
			t.Fatalf("%s: no time", e.EventType())
		}
	}
	if len(seen) != len(company.EventTypes()) {
		t.Fatalf("round trip covers %d types, EventTypes has %d", len(seen), len(company.EventTypes()))
	}
	for _, typ := range company.EventTypes() {
		if !seen[typ] {
			t.Fatalf("%s not covered", typ)
		}
	}

	// Only what changed is in a CompanyUpdated document.
	data, _ := json.Marshal(company.CompanyUpdated{CompanyID: co, SMSEnabled: ptr(false), At: at(1)})
	if string(data) != `{"company_id":"company-1","sms_enabled":false,"at":"2026-11-24T09:01:00Z"}` {
		t.Fatalf("CompanyUpdated document %s", data)
	}

	if _, err := company.Decode("CompanyDeleted", []byte(`{}`)); !errors.Is(err, company.ErrUnknownEvent) {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := company.Decode(company.TypeCompanyCreated, []byte(`{`)); err == nil {
		t.Fatal("bad JSON decoded")
	}
	// Unknown fields are ignored: older code reads newer documents.
	if e, err := company.Decode(company.TypeUserAdded, []byte(`{"company_id":"c","user_id":"u","role":"agent","email":"x"}`)); err != nil || e.(company.UserAdded).Role != company.RoleAgent {
		t.Fatalf("newer document: %v %v", e, err)
	}
}

func TestEventID(t *testing.T) {
	once := []company.Event{
		created(), abandoned(co, numA, 1), userAdded(user1, company.RoleAdmin, 1), claimed(numA, co, 1),
	}
	ids := map[uuid.UUID]bool{}
	for _, e := range once {
		id := company.EventID(e)
		if id == uuid.Nil || ids[id] {
			t.Fatalf("%s: ID %s nil or repeated", e.EventType(), id)
		}
		ids[id] = true
		// The same fact at another time is the same event.
		var later company.Event
		switch e := e.(type) {
		case company.CompanyCreated:
			e.At, e.Name = at(9), "Other"
			later = e
		case company.CompanyAbandoned:
			e.At = at(9)
			later = e
		case company.UserAdded:
			e.At, e.TokenHash = at(9), hash2
			later = e
		case company.NumberClaimed:
			e.At = at(9)
			later = e
		}
		if company.EventID(later) != id {
			t.Fatalf("%s: ID depends on more than its identity", e.EventType())
		}
	}
	if company.EventID(userAdded("user-2", company.RoleAdmin, 1)) == company.EventID(userAdded(user1, company.RoleAdmin, 1)) {
		t.Fatal("two users, one event ID")
	}
	if company.EventID(claimed(numA, other, 1)) == company.EventID(claimed(numA, co, 1)) {
		t.Fatal("two claims, one event ID")
	}
	for _, e := range []company.Event{numberChanged(numA, numB, 1), company.CompanyUpdated{CompanyID: co, At: at(1)}} {
		if company.EventID(e) != uuid.Nil {
			t.Fatalf("%s: a repeatable event has a fixed ID", e.EventType())
		}
	}
}

func TestStreams(t *testing.T) {
	if company.StreamID(co) != "company-company-1" || company.NumberStreamID(numA) != "number-+12025550199" {
		t.Fatalf("streams %s %s", company.StreamID(co), company.NumberStreamID(numA))
	}
	// The two prefixes never select each other's streams.
	if company.StreamPrefix == company.NumberStreamPrefix {
		t.Fatal("one prefix for two kinds of stream")
	}
}

func TestHashToken(t *testing.T) {
	// SHA-256 of "abc" (FIPS 180-2, appendix B.1).
	if got := company.HashToken("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashToken(abc) = %s", got)
	}
	if company.HashToken("smi_a") == company.HashToken("smi_b") {
		t.Fatal("two tokens, one hash")
	}
}
