package commands_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/eventstore/memory"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

var (
	numA = phone.MustParse("+1 202 555 0199", "")
	numB = phone.MustParse("+1 202 555 0188", "")
	numC = phone.MustParse("+44 20 7946 0958", "")
	t0   = time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC) // 10:00 in Washington, D.C.: inside every quiet-hours window
)

// newStore is an empty event store for one test. The use cases are tested
// on the store in memory, which keeps every promise of the port (the shared
// contract suite proves it, as it proves the PostgreSQL store): what these
// tests check is the use cases' decisions, not a database's.
func newStore(*testing.T) eventstore.Store { return memory.New() }

// seqIDs is a deterministic IDSource: IDs and tokens numbered in order.
type seqIDs struct{ ids, tokens atomic.Int64 }

func (s *seqIDs) NewID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", s.ids.Add(1))
}

func (s *seqIDs) NewToken() string {
	return fmt.Sprintf("%stest-token-%d", company.TokenPrefix, s.tokens.Add(1))
}

// fixedClock returns a clock that tells *now.
func fixedClock(now *time.Time) func() time.Time { return func() time.Time { return *now } }

// handlers are the company use cases on one store, with one clock.
type handlers struct {
	store  eventstore.Store
	now    time.Time
	ids    *seqIDs
	create *commands.CreateCompanyHandler
	update *commands.UpdateCompanyHandler
	change *commands.ChangeMessagingNumberHandler
	add    *commands.AddUserHandler
}

func newHandlers(t *testing.T) *handlers { return handlersOn(newStore(t)) }

// handlersOn are the company use cases on store.
func handlersOn(store eventstore.Store) *handlers {
	h := &handlers{store: store, now: t0, ids: &seqIDs{}}
	clock := fixedClock(&h.now)
	h.create = commands.NewCreateCompanyHandler(h.store, clock, h.ids)
	h.update = commands.NewUpdateCompanyHandler(h.store, clock)
	h.change = commands.NewChangeMessagingNumberHandler(h.store, clock)
	h.add = commands.NewAddUserHandler(h.store, clock, h.ids)
	return h
}

func (h *handlers) mustCreate(t *testing.T, name string, n phone.Number) commands.CompanyResult {
	t.Helper()
	res, err := h.create.Handle(context.Background(), commands.CreateCompany{Name: name, MessagingNumber: n})
	if err != nil {
		t.Fatalf("create %s with %s: %v", name, n, err)
	}
	return res
}

// read returns a stream's events, decoded.
func read(t *testing.T, store eventstore.Store, stream eventstore.StreamID) ([]company.Event, []eventstore.RecordedEvent) {
	t.Helper()
	var events []company.Event
	var recs []eventstore.RecordedEvent
	for rec, err := range store.ReadStream(context.Background(), stream, 0) {
		if err != nil {
			t.Fatal(err)
		}
		e, err := company.Decode(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		events, recs = append(events, e), append(recs, rec)
	}
	return events, recs
}

func route(t *testing.T, store eventstore.Store, n phone.Number) string {
	t.Helper()
	id, found, err := commands.RouteNumber(context.Background(), store, n)
	if err != nil {
		t.Fatal(err)
	}
	if !found {
		return ""
	}
	return id
}

func wantErr(t *testing.T, err, target error, text string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
	if !strings.Contains(err.Error(), text) {
		t.Fatalf("error %q does not say %q", err, text)
	}
}

func TestCreateCompany(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	res := h.mustCreate(t, "Acme Dental", numA)

	want := commands.CompanyView{ID: "00000000-0000-4000-8000-000000000001", Name: "Acme Dental", MessagingNumber: numA, TimeZone: "UTC", SMSEnabled: true, Country: "US"}
	if res.Company != want {
		t.Fatalf("view %+v, want %+v", res.Company, want)
	}
	// The claim first, then the company; Position is the company's event.
	claims, claimRecs := read(t, h.store, company.NumberStreamID(numA))
	if !slices.Equal(claims, []company.Event{company.NumberClaimed{Number: numA, CompanyID: want.ID, At: t0}}) {
		t.Fatalf("claims %#v", claims)
	}
	evs, recs := read(t, h.store, company.StreamID(want.ID))
	if len(evs) != 1 || evs[0] != (company.CompanyCreated{CompanyID: want.ID, Name: "Acme Dental", MessagingNumber: numA, TimeZone: "UTC", SMSEnabled: true, Country: "US", At: t0}) {
		t.Fatalf("company events %#v", evs)
	}
	if res.Position != recs[0].Position || claimRecs[0].Position >= res.Position {
		t.Fatalf("position %d; claim at %d, company at %d", res.Position, claimRecs[0].Position, recs[0].Position)
	}
	if recs[0].Metadata.Actor != commands.ActorAdmin || !recs[0].OccurredAt.Equal(t0) || recs[0].SchemaVersion != company.SchemaVersion {
		t.Fatalf("recorded %+v", recs[0])
	}
	if recs[0].ID != company.EventID(evs[0]) || claimRecs[0].ID != company.EventID(claims[0]) {
		t.Fatal("events not recorded under their name-based IDs")
	}
	if got := route(t, h.store, numA); got != want.ID {
		t.Fatalf("route %s = %q", numA, got)
	}
	s, err := commands.LoadCompany(ctx, h.store, want.ID)
	if err != nil || commands.ViewOf(s) != want || s.Location() != time.UTC {
		t.Fatalf("load: %+v %v", s, err)
	}

	// Every setting given.
	res2, err := h.create.Handle(ctx, commands.CreateCompany{
		Name: "Smiles", MessagingNumber: numC, TimeZone: "Europe/London", SMSEnabled: new(false), Country: "gb", Actor: "operator:kim",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := res2.Company; c.TimeZone != "Europe/London" || c.SMSEnabled || c.Country != "GB" || c.MessagingNumber != numC || res2.Position <= res.Position {
		t.Fatalf("second company %+v at %d", c, res2.Position)
	}
	if _, recs := read(t, h.store, company.StreamID(res2.Company.ID)); recs[0].Metadata.Actor != "operator:kim" {
		t.Fatalf("actor %q", recs[0].Metadata.Actor)
	}
}

func TestCreateCompanyInvalidClaimsNothing(t *testing.T) {
	h := newHandlers(t)
	for _, tt := range []struct {
		cmd  commands.CreateCompany
		text string
	}{
		{commands.CreateCompany{Name: "Acme", MessagingNumber: numA, TimeZone: "Mars/Base"}, `time zone "Mars/Base" is unknown`},
		{commands.CreateCompany{Name: "", MessagingNumber: numA}, "name is required"},
		{commands.CreateCompany{Name: strings.Repeat("x", 201), MessagingNumber: numA}, "longer than 200"},
		{commands.CreateCompany{Name: "Acme", MessagingNumber: "555"}, "E.164"},
		{commands.CreateCompany{Name: "Acme", MessagingNumber: numA, Country: "XX"}, "country"},
	} {
		_, err := h.create.Handle(context.Background(), tt.cmd)
		wantErr(t, err, company.ErrInvalidCommand, tt.text)
		if strings.Contains(err.Error(), ": ") {
			t.Errorf("error %q is not a plain sentence for a person", err)
		}
	}
	if head, err := h.store.Head(context.Background()); err != nil || head != eventstore.Start {
		t.Fatalf("an invalid command recorded something: head %d, %v", head, err)
	}
}

func TestNumberBelongsToOneCompany(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	first := h.mustCreate(t, "First", numA)

	_, err := h.create.Handle(ctx, commands.CreateCompany{Name: "Second", MessagingNumber: numA})
	wantErr(t, err, company.ErrNumberTaken, "belongs to another company")
	if strings.Contains(err.Error(), first.Company.ID) {
		t.Fatalf("error %q names the other company", err)
	}
	// Nothing of the second company was recorded.
	if evs, _ := read(t, h.store, company.StreamID("00000000-0000-4000-8000-000000000002")); len(evs) != 0 {
		t.Fatalf("second company recorded: %v", evs)
	}
	if claims, _ := read(t, h.store, company.NumberStreamID(numA)); len(claims) != 1 {
		t.Fatalf("claims %v", claims)
	}

	// Not after a minute, nor ever: the first company exists.
	h.now = t0.Add(24 * time.Hour)
	_, err = h.create.Handle(ctx, commands.CreateCompany{Name: "Third", MessagingNumber: numA})
	wantErr(t, err, company.ErrNumberTaken, "")

	// Another company can't change to it either.
	second := h.mustCreate(t, "Second", numB)
	_, err = h.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: second.Company.ID, MessagingNumber: numA})
	wantErr(t, err, company.ErrNumberTaken, "")
	if s, _ := commands.LoadCompany(ctx, h.store, second.Company.ID); s.MessagingNumber != numB {
		t.Fatalf("second company's number %s", s.MessagingNumber)
	}
	if route(t, h.store, numA) != first.Company.ID || route(t, h.store, numB) != second.Company.ID {
		t.Fatal("routes changed")
	}
}

func TestChangeMessagingNumberKeepsFormerRouted(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	acme := h.mustCreate(t, "Acme", numA)
	id := acme.Company.ID

	h.now = t0.Add(time.Hour)
	res, err := h.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: id, MessagingNumber: numB})
	if err != nil {
		t.Fatal(err)
	}
	if res.Company.MessagingNumber != numB || res.Position <= acme.Position {
		t.Fatalf("changed %+v at %d", res.Company, res.Position)
	}
	evs, recs := read(t, h.store, company.StreamID(id))
	if evs[len(evs)-1] != (company.MessagingNumberChanged{CompanyID: id, PreviousNumber: numA, MessagingNumber: numB, At: h.now}) ||
		recs[len(recs)-1].Position != res.Position {
		t.Fatalf("events %#v", evs)
	}
	// Both numbers route to the company: STOP to the old one is never lost.
	if route(t, h.store, numA) != id || route(t, h.store, numB) != id {
		t.Fatalf("routes %q %q", route(t, h.store, numA), route(t, h.store, numB))
	}
	s, err := commands.LoadCompany(ctx, h.store, id)
	if err != nil || s.MessagingNumber != numB || !slices.Equal(s.FormerNumbers(), []phone.Number{numA}) {
		t.Fatalf("state %+v former %v, %v", s, s.FormerNumbers(), err)
	}
	// The former number stays the company's: nobody else gets it.
	_, err = h.create.Handle(ctx, commands.CreateCompany{Name: "Other", MessagingNumber: numA})
	wantErr(t, err, company.ErrNumberTaken, "")

	// The same number again records nothing.
	again, err := h.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: id, MessagingNumber: numB})
	if err != nil || again.Position != res.Position || again.Company.MessagingNumber != numB {
		t.Fatalf("same number: %+v, %v", again, err)
	}
	// Back to the former number: its claim is the company's own.
	back, err := h.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: id, MessagingNumber: numA})
	if err != nil || back.Company.MessagingNumber != numA {
		t.Fatalf("back: %+v, %v", back, err)
	}
	if claims, _ := read(t, h.store, company.NumberStreamID(numA)); len(claims) != 1 {
		t.Fatalf("claims on %s: %v", numA, claims)
	}

	// Errors.
	_, err = h.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: "nobody", MessagingNumber: numC})
	wantErr(t, err, company.ErrCompanyNotFound, "")
	_, err = h.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: id, MessagingNumber: "+1202"})
	wantErr(t, err, company.ErrInvalidCommand, "E.164")
	if _, found, _ := commands.RouteNumber(ctx, h.store, numC); found {
		t.Fatal("a failed change claimed a number")
	}
}

func TestUpdateCompany(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	acme := h.mustCreate(t, "Acme", numA)
	id := acme.Company.ID

	res, err := h.update.Handle(ctx, commands.UpdateCompany{CompanyID: id, SMSEnabled: new(false), TimeZone: new("America/Chicago"), Name: new("Acme")})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Company; c.SMSEnabled || c.TimeZone != "America/Chicago" || c.Name != "Acme" || res.Position <= acme.Position {
		t.Fatalf("updated %+v at %d", c, res.Position)
	}
	evs, _ := read(t, h.store, company.StreamID(id))
	upd := evs[len(evs)-1].(company.CompanyUpdated)
	if upd.Name != nil || *upd.TimeZone != "America/Chicago" || *upd.SMSEnabled {
		t.Fatalf("update records %+v", upd)
	}
	// No change: nothing recorded, the same position.
	same, err := h.update.Handle(ctx, commands.UpdateCompany{CompanyID: id, SMSEnabled: new(false)})
	if err != nil || same.Position != res.Position {
		t.Fatalf("no-op: %+v, %v", same, err)
	}
	_, err = h.update.Handle(ctx, commands.UpdateCompany{CompanyID: id, TimeZone: new("Mars/Base")})
	wantErr(t, err, company.ErrInvalidCommand, `time zone "Mars/Base" is unknown`)
	_, err = h.update.Handle(ctx, commands.UpdateCompany{CompanyID: "nobody", Name: new("X")})
	wantErr(t, err, company.ErrCompanyNotFound, "")
	if _, err := commands.LoadCompany(ctx, h.store, "nobody"); !errors.Is(err, company.ErrCompanyNotFound) {
		t.Fatalf("load nobody: %v", err)
	}
}

func TestAddUser(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	acme := h.mustCreate(t, "Acme", numA)
	id := acme.Company.ID

	res, err := h.add.Handle(ctx, commands.AddUser{CompanyID: id, Name: "Ann", Role: "Agent"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Role != company.RoleAgent || res.Token != "smi_test-token-1" || res.ID != "00000000-0000-4000-8000-000000000002" || res.Position <= acme.Position {
		t.Fatalf("added %+v", res)
	}
	evs, recs := read(t, h.store, company.StreamID(id))
	added := evs[len(evs)-1].(company.UserAdded)
	if added.TokenHash != company.HashToken(res.Token) || added.UserID != res.ID || added.Role != company.RoleAgent || added.Name != "Ann" {
		t.Fatalf("recorded %+v", added)
	}
	// The token itself is nowhere in the store.
	if strings.Contains(string(recs[len(recs)-1].Data), "test-token") {
		t.Fatalf("token stored: %s", recs[len(recs)-1].Data)
	}
	s, _ := commands.LoadCompany(ctx, h.store, id)
	if r, ok := s.UserRole(res.ID); !ok || r != company.RoleAgent {
		t.Fatalf("user role %q %v", r, ok)
	}

	_, err = h.add.Handle(ctx, commands.AddUser{CompanyID: id, Name: "Bob", Role: "owner"})
	wantErr(t, err, company.ErrInvalidCommand, `role "owner" is unknown`)
	_, err = h.add.Handle(ctx, commands.AddUser{CompanyID: id, Name: " ", Role: "admin"})
	wantErr(t, err, company.ErrInvalidCommand, "user name is required")
	_, err = h.add.Handle(ctx, commands.AddUser{CompanyID: "nobody", Name: "Bob", Role: "admin"})
	wantErr(t, err, company.ErrCompanyNotFound, "")
}

func TestRandomIDs(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		token := commands.RandomIDs.NewToken()
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(token, company.TokenPrefix))
		if !strings.HasPrefix(token, "smi_") || err != nil || len(raw) != 32 || seen[token] {
			t.Fatalf("token %q: %d bytes, %v", token, len(raw), err)
		}
		seen[token] = true
		id, err := uuid.Parse(commands.RandomIDs.NewID())
		if err != nil || id.Version() != 4 || seen[id.String()] {
			t.Fatalf("id %s: %v", id, err)
		}
		seen[id.String()] = true
	}
}

// Many admins create companies with one number at the same time: exactly one
// company gets it, and only that company is recorded.
func TestConcurrentCreatesOfOneNumber(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	const n = 12
	// Every creator has read the empty number stream before any appends.
	racing := &barrierStore{Store: h.store, stream: company.NumberStreamID(numA), n: n, open: make(chan struct{})}
	h.create = commands.NewCreateCompanyHandler(racing, time.Now, h.ids)
	var wg sync.WaitGroup
	results := make([]commands.CompanyResult, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errs[i] = h.create.Handle(ctx, commands.CreateCompany{Name: fmt.Sprintf("Company %d", i), MessagingNumber: numA})
		})
	}
	wg.Wait()
	var winner string
	for i, err := range errs {
		switch {
		case err == nil && winner == "":
			winner = results[i].Company.ID
		case err == nil:
			t.Fatalf("two winners: %s and %s", winner, results[i].Company.ID)
		case !errors.Is(err, company.ErrNumberTaken):
			t.Fatalf("create %d: %v", i, err)
		}
	}
	if winner == "" {
		t.Fatal("nobody won")
	}
	if claims, _ := read(t, h.store, company.NumberStreamID(numA)); len(claims) != 1 || claims[0].(company.NumberClaimed).CompanyID != winner {
		t.Fatalf("claims %v, winner %s", claims, winner)
	}
	var created []string
	for rec, err := range h.store.ReadAll(ctx, eventstore.Start, eventstore.Filter{StreamPrefixes: []string{company.StreamPrefix}}) {
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, string(rec.Stream))
	}
	if !slices.Equal(created, []string{string(company.StreamID(winner))}) {
		t.Fatalf("company streams %v, winner %s", created, winner)
	}
	if route(t, h.store, numA) != winner {
		t.Fatal("the number does not route to the winner")
	}
	if got := racing.conflicts.Load(); got != n-1 {
		t.Fatalf("%d appends to the number stream failed on their expected version, want %d", got, n-1)
	}
}

// barrierStore holds the first n appends to stream until all n have come,
// so that they race, and counts the appends that lose on the expected version.
type barrierStore struct {
	eventstore.Store
	stream    eventstore.StreamID
	n         int64
	arrived   atomic.Int64
	open      chan struct{}
	conflicts atomic.Int64
}

func (s *barrierStore) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if stream == s.stream {
		if k := s.arrived.Add(1); k == s.n {
			close(s.open)
		} else if k < s.n {
			select {
			case <-s.open:
			case <-ctx.Done():
				return eventstore.AppendResult{}, ctx.Err()
			}
		}
	}
	res, err := s.Store.Append(ctx, stream, expected, events...)
	if stream == s.stream && errors.Is(err, eventstore.ErrConcurrency) {
		s.conflicts.Add(1)
	}
	return res, err
}

// Two companies change to one number at the same time: exactly one gets it.
func TestConcurrentChangesToOneNumber(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	a := h.mustCreate(t, "A", numA).Company.ID
	b := h.mustCreate(t, "B", numB).Company.ID
	var wg sync.WaitGroup
	errs := map[string]error{}
	var mu sync.Mutex
	for _, id := range []string{a, b} {
		wg.Go(func() {
			_, err := h.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: id, MessagingNumber: numC})
			mu.Lock()
			errs[id] = err
			mu.Unlock()
		})
	}
	wg.Wait()
	winner, loser := a, b
	if errs[a] != nil {
		winner, loser = b, a
	}
	if errs[winner] != nil || !errors.Is(errs[loser], company.ErrNumberTaken) {
		t.Fatalf("errors %v", errs)
	}
	ws, _ := commands.LoadCompany(ctx, h.store, winner)
	ls, _ := commands.LoadCompany(ctx, h.store, loser)
	if ws.MessagingNumber != numC || ls.MessagingNumber == numC || route(t, h.store, numC) != winner {
		t.Fatalf("winner on %s, loser on %s", ws.MessagingNumber, ls.MessagingNumber)
	}
}

// appendOrphanClaim claims n for a company that is never created, at t0, as
// a process that stopped between the two appends of a creation leaves it.
func appendOrphanClaim(t *testing.T, store eventstore.Store, n phone.Number, ghost string) {
	t.Helper()
	claim := company.NumberClaimed{Number: n, CompanyID: ghost, At: t0}
	data, _ := json.Marshal(claim)
	if _, err := store.Append(context.Background(), company.NumberStreamID(n), eventstore.NoStream(), eventstore.EventData{
		ID: company.EventID(claim), Type: claim.EventType(), SchemaVersion: company.SchemaVersion, Data: data, OccurredAt: t0,
	}); err != nil {
		t.Fatal(err)
	}
}

// A claim whose company was never created (the process stopped between the
// two appends) holds the number only for company.OrphanAfter; then another
// company takes it over and the orphan's ID can never be created.
func TestOrphanClaimIsTakenOver(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	const ghost = "ghost-company"
	appendOrphanClaim(t, h.store, numA, ghost)

	// Within the minute its creation may still be under way.
	h.now = t0.Add(company.OrphanAfter - time.Second)
	_, err := h.create.Handle(ctx, commands.CreateCompany{Name: "Acme", MessagingNumber: numA})
	wantErr(t, err, company.ErrNumberTaken, "")

	h.now = t0.Add(company.OrphanAfter)
	res, err := h.create.Handle(ctx, commands.CreateCompany{Name: "Acme", MessagingNumber: numA})
	if err != nil {
		t.Fatal(err)
	}
	if route(t, h.store, numA) != res.Company.ID {
		t.Fatal("the number does not route to the new company")
	}
	claims, _ := read(t, h.store, company.NumberStreamID(numA))
	if len(claims) != 2 || claims[1] != (company.NumberClaimed{Number: numA, CompanyID: res.Company.ID, ReplacesCompanyID: ghost, At: h.now}) {
		t.Fatalf("claims %#v", claims)
	}
	ghostEvents, _ := read(t, h.store, company.StreamID(ghost))
	if !slices.Equal(ghostEvents, []company.Event{company.CompanyAbandoned{CompanyID: ghost, Number: numA, At: h.now}}) {
		t.Fatalf("ghost events %#v", ghostEvents)
	}
	if _, err := commands.LoadCompany(ctx, h.store, ghost); !errors.Is(err, company.ErrCompanyNotFound) {
		t.Fatalf("ghost loads: %v", err)
	}
	// The ghost's late CompanyCreated can no longer be appended (it expects
	// an empty stream), so the number never belongs to two companies.
	created := company.CompanyCreated{CompanyID: ghost, Name: "Ghost", MessagingNumber: numA, TimeZone: "UTC", SMSEnabled: true, Country: "US", At: t0}
	data, _ := json.Marshal(created)
	_, err = h.store.Append(ctx, company.StreamID(ghost), eventstore.NoStream(), eventstore.EventData{
		ID: company.EventID(created), Type: created.EventType(), SchemaVersion: company.SchemaVersion, Data: data, OccurredAt: t0,
	})
	if !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("late creation of the ghost: %v", err)
	}

	// A company that exists never loses its claim, however old.
	h.now = t0.Add(365 * 24 * time.Hour)
	_, err = h.create.Handle(ctx, commands.CreateCompany{Name: "Late", MessagingNumber: numA})
	wantErr(t, err, company.ErrNumberTaken, "")
}
