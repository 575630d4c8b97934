package app_test

// End-to-end tests through HTTP of docs/rules.md, Leads: a lead created from a
// thread, one created and updated by app forms, the thread's name and
// lead, and the lead's journey replayed from the event store.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type leadAnswer struct {
	ID        string `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	Phone     string `json:"phone"`
	ThreadID  string `json:"thread_id"`
	Consent   string `json:"consent"`
	Journey   []struct {
		Type       string         `json:"type"`
		OccurredAt time.Time      `json:"occurred_at"`
		Stream     string         `json:"stream"`
		Details    map[string]any `json:"details"`
	} `json:"journey"`
}

func (l leadAnswer) types() []string {
	var out []string
	for _, j := range l.Journey {
		out = append(out, j.Type)
	}
	return out
}

func (e *env) lead(token, id string) leadAnswer {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/leads/" + id, token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	var l leadAnswer
	r.json(e.t, &l)
	return l
}

func TestLeadFromThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	b := e.newTenant("Bolt", numB)
	compliance := e.addUser(a.ID, "compliance")
	e.text(numA, cust1, "Hello, is Tuesday free?")
	th := e.mustThread(a.agent, cust1)
	if th.CustomerName != nil || th.LeadID != nil {
		t.Fatalf("a lead before any: %+v", th)
	}
	path := "/api/threads/" + th.ID + "/lead"

	// Field errors, all at once.
	r := e.do(req{method: "POST", path: path, token: a.agent, body: map[string]any{"first_name": " ", "last_name": "Lee", "email": "ann@localhost"}})
	expect(t, r, http.StatusBadRequest, "invalid_request")
	var fe struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	r.json(t, &fe)
	if fe.Error.Fields["first_name"] == "" || fe.Error.Fields["email"] == "" || fe.Error.Fields["last_name"] != "" {
		t.Fatalf("fields %v", fe.Error.Fields)
	}
	// Roles and tenancy.
	body := map[string]any{"first_name": " Ann ", "last_name": "Lee", "email": "ann@example.com"}
	expect(t, e.do(req{method: "POST", path: path, token: compliance, body: body}), http.StatusForbidden, "forbidden")
	expect(t, e.do(req{method: "POST", path: path, token: b.agent, body: body}), http.StatusNotFound, "not_found")

	r = e.do(req{method: "POST", path: path, token: a.agent, body: body})
	expect(t, r, http.StatusCreated, "")
	pos := checkPosition(t, r)
	var created struct {
		LeadID string `json:"lead_id"`
	}
	r.json(t, &created)
	expect(t, e.do(req{method: "POST", path: path, token: a.agent, body: body}), http.StatusConflict, "lead_exists")

	r = e.do(req{method: "GET", path: "/api/threads/" + th.ID, token: a.agent, header: minPosHeader(pos)})
	expect(t, r, http.StatusOK, "")
	var got thread
	r.json(t, &got)
	if got.CustomerName == nil || *got.CustomerName != "Ann Lee" || got.LeadID == nil || *got.LeadID != created.LeadID {
		t.Fatalf("thread after the lead: %+v", got)
	}

	l := e.lead(compliance, created.LeadID)
	if l.ID != created.LeadID || l.FirstName != "Ann" || l.LastName != "Lee" || l.Email != "ann@example.com" ||
		l.Phone != cust1 || l.ThreadID != th.ID || l.Consent != "no" {
		t.Fatalf("lead %+v", l)
	}
	if !slices.Equal(l.types(), []string{"MessageReceived", "LeadCreated"}) {
		t.Fatalf("journey %v", l.types())
	}
	if l.Journey[0].Details["body"] != "Hello, is Tuesday free?" || l.Journey[1].Details["source"] != "dashboard" {
		t.Fatalf("journey details %+v", l.Journey)
	}
	expect(t, e.do(req{method: "GET", path: "/api/leads/" + created.LeadID, token: b.agent}), http.StatusNotFound, "not_found")
	expect(t, e.do(req{method: "GET", path: "/api/leads/nope", token: a.agent}), http.StatusNotFound, "not_found")
}

func TestLeadFromForms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	f := e.submitForm(a.agent, formBody(cust2, true))
	th := e.mustThread(a.agent, cust2) // opened by the confirmation request
	if th.CustomerName == nil || *th.CustomerName != "Ada Lovelace" || th.LeadID == nil || *th.LeadID != f.LeadID {
		t.Fatalf("thread of a form's lead: %+v (lead %s)", th, f.LeadID)
	}
	e.clock.Advance(time.Minute)
	again := formBody(cust2, true)
	again["email"] = "ada@lovelace.org"
	e.submitForm(a.agent, again)
	e.clock.Advance(time.Minute)
	e.text(numA, cust2, "YES")

	l := e.lead(a.agent, f.LeadID)
	if l.Email != "ada@lovelace.org" || l.Consent != "yes" {
		t.Fatalf("lead %+v", l)
	}
	types := l.types()
	for _, want := range []string{"FormSubmitted", "LeadCreated", "ConsentRequested", "OutboundMessageQueued", "LeadUpdated", "MessageReceived", "ConsentConfirmed"} {
		if !slices.Contains(types, want) {
			t.Fatalf("journey %v lacks %s", types, want)
		}
	}
	for i := 1; i < len(l.Journey); i++ {
		if l.Journey[i].OccurredAt.Before(l.Journey[i-1].OccurredAt) {
			t.Fatalf("journey out of time order: %v", types)
		}
	}
	if i, j := slices.Index(types, "LeadUpdated"), slices.Index(types, "MessageReceived"); i > j {
		t.Fatalf("journey order %v", types)
	}
	if src := l.Journey[slices.Index(types, "LeadCreated")].Details["source"]; src != "app:text_us_now" {
		t.Fatalf("source %v", src)
	}
	if strings.Contains(strings.Join(types, ","), "LeadCreated,LeadCreated") {
		t.Fatalf("two leads: %v", types)
	}
}

// A form for a customer whose thread already exists (they texted first)
// links the lead to that thread: it then carries the customer's name.
func TestLeadFromFormLinksExistingThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "Hello, do you open on Saturdays?")
	before := e.mustThread(a.agent, cust1)
	if before.CustomerName != nil || before.LeadID != nil {
		t.Fatalf("thread without a lead shows %+v", before)
	}
	f := e.submitForm(a.agent, formBody(cust1, false))
	after := e.mustThread(a.agent, cust1)
	if after.ID != before.ID {
		t.Fatalf("the form opened another thread: %s, was %s", after.ID, before.ID)
	}
	if after.CustomerName == nil || *after.CustomerName != "Ada Lovelace" || after.LeadID == nil || *after.LeadID != f.LeadID {
		t.Fatalf("existing thread after the form: %+v (lead %s)", after, f.LeadID)
	}
	if after.Consent != "no" {
		t.Fatalf("a form without the opt-in tick changed consent to %s", after.Consent)
	}
}
