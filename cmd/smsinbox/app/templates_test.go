package app_test

// End-to-end tests through HTTP of the company's templates (canned
// replies): saved, listed, renamed and deleted; names unique in the company,
// also when two people save at once; placeholders checked when saved and
// filled when sent; another company's template is 404; roles are 403.

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

type templateView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Body      string    `json:"body"`
	UpdatedAt time.Time `json:"updated_at"`
}

func (e *env) saveTemplate(token, name, body string) response {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/templates", token: token, body: map[string]any{"name": name, "body": body}})
}

// mustSaveTemplate saves a template and answers its ID.
func (e *env) mustSaveTemplate(token, name, body string) string {
	e.t.Helper()
	r := e.saveTemplate(token, name, body)
	expect(e.t, r, http.StatusCreated, "")
	checkPosition(e.t, r)
	var a struct {
		ID string `json:"id"`
	}
	r.json(e.t, &a)
	if a.ID == "" {
		e.t.Fatalf("no id: %s", r.body)
	}
	return a.ID
}

// templates lists the company's templates once the read models hold
// everything appended so far.
func (e *env) templates(token string) []templateView {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/templates", token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	var a struct {
		Templates []templateView `json:"templates"`
	}
	r.json(e.t, &a)
	if a.Templates == nil {
		e.t.Fatalf("templates is not a list: %s", r.body)
	}
	return a.Templates
}

func names(list []templateView) []string {
	out := []string{}
	for _, t := range list {
		out = append(out, t.Name)
	}
	return out
}

func TestTemplatesSavedListedAndDeleted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	if got := e.templates(a.agent); len(got) != 0 {
		t.Fatalf("a new company has templates: %+v", got)
	}
	saved := e.clock.Now()
	welcome := e.mustSaveTemplate(a.agent, " Welcome ", "Hi {{first_name}}, welcome to {{company_name}}!")
	e.clock.Advance(time.Minute)
	late := e.mustSaveTemplate(a.agent, "running late", "We are running 10 minutes late, {{full_name}}.")
	got := e.templates(a.agent)
	if fmt.Sprint(names(got)) != "[running late Welcome]" {
		t.Fatalf("listed %v, want by name, case aside: [running late Welcome]", names(got))
	}
	if w := got[1]; w.ID != welcome || w.Body != "Hi {{first_name}}, welcome to {{company_name}}!" || !w.UpdatedAt.Equal(saved) {
		t.Fatalf("Welcome listed as %+v", w)
	}

	// Names are unique in the company, whatever the case and spacing.
	expect(t, e.saveTemplate(a.agent, "WELCOME", "Another text"), http.StatusConflict, "template_exists")
	expect(t, e.saveTemplate(a.agent, "Running  Late", "Another text"), http.StatusConflict, "template_exists")

	// A new name and body (PUT replaces both).
	e.clock.Advance(time.Minute)
	put := func(id string, body any) response {
		return e.do(req{method: "PUT", path: "/api/templates/" + id, token: a.agent, body: body})
	}
	r := put(late, map[string]any{"name": "Late", "body": "Running late, {{first_name}}: 10 minutes."})
	expect(t, r, http.StatusOK, "")
	checkPosition(t, r)
	got = e.templates(a.agent)
	if got[0].ID != late || got[0].Name != "Late" || got[0].Body != "Running late, {{first_name}}: 10 minutes." || !got[0].UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("after the update: %+v", got[0])
	}
	expect(t, put(late, map[string]any{"name": "welcome", "body": "x"}), http.StatusConflict, "template_exists")
	expect(t, put(late, map[string]any{"name": "Late", "body": "Hi {{nickname}}"}), http.StatusBadRequest, "unknown_placeholder")
	// The same content again: 200, nothing changes.
	expect(t, put(late, map[string]any{"name": "Late", "body": "Running late, {{first_name}}: 10 minutes."}), http.StatusOK, "")

	// Deleted: gone from the list, its name free, a second delete 404.
	del := func(id string) response {
		return e.do(req{method: "DELETE", path: "/api/templates/" + id, token: a.agent})
	}
	r = del(welcome)
	expect(t, r, http.StatusOK, "")
	checkPosition(t, r)
	if fmt.Sprint(names(e.templates(a.agent))) != "[Late]" {
		t.Fatalf("after the delete: %v", names(e.templates(a.agent)))
	}
	expect(t, del(welcome), http.StatusNotFound, "not_found")
	expect(t, put(welcome, map[string]any{"name": "Welcome", "body": "x"}), http.StatusNotFound, "not_found")
	e.mustSaveTemplate(a.agent, "Welcome", "Welcome back!")
	expect(t, del("not-a-uuid"), http.StatusNotFound, "not_found")
	expect(t, put("00000000-0000-0000-0000-000000000000", map[string]any{"name": "x", "body": "x"}), http.StatusNotFound, "not_found")
}

func TestTemplateValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no body", nil, 400, "empty_body"},
		{"bad JSON", `{"name":`, 400, "invalid_json"},
		{"an unknown field", map[string]any{"name": "A", "body": "x", "tags": []string{}}, 400, "unknown_field"},
		{"a name not a string", map[string]any{"name": 3, "body": "x"}, 400, "invalid_field"},
		{"no name", map[string]any{"body": "x"}, 400, "invalid_request"},
		{"a name of spaces", map[string]any{"name": "  ", "body": "x"}, 400, "invalid_request"},
		{"a name of 101 characters", map[string]any{"name": string(make([]byte, 0)) + fmt.Sprintf("%0101d", 0), "body": "x"}, 400, "invalid_request"},
		{"no text", map[string]any{"name": "A"}, 400, "invalid_request"},
		{"a text of white space", map[string]any{"name": "A", "body": " \n"}, 400, "invalid_request"},
		{"a text of 1,601 characters", map[string]any{"name": "A", "body": fmt.Sprintf("%01601d", 0)}, 400, "invalid_request"},
		{"an unknown placeholder", map[string]any{"name": "A", "body": "Hi {{email}}"}, 400, "unknown_placeholder"},
		{"a placeholder with spaces", map[string]any{"name": "A", "body": "Hi {{ first_name }}"}, 400, "unknown_placeholder"},
		{"a {{ never closed", map[string]any{"name": "A", "body": "Hi {{first_name"}, 400, "unknown_placeholder"},
	} {
		r := e.do(req{method: "POST", path: "/api/templates", token: a.agent, body: tc.body})
		if r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	if got := e.templates(a.agent); len(got) != 0 {
		t.Fatalf("refused saves saved %+v", got)
	}
}

// TestTemplateNamesUniqueUnderConcurrency: eight saves of one name at once;
// exactly one is created, the others are told the name exists.
func TestTemplateNamesUniqueUnderConcurrency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	const n = 8
	statuses := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.saveTemplate(a.agent, "Reminder", fmt.Sprintf("Reminder number %d", i))
			statuses[i] = r.status
			if r.status != http.StatusCreated && r.errorCode() != "template_exists" {
				t.Errorf("save %d: %d %s", i, r.status, r.body)
			}
		}()
	}
	wg.Wait()
	created := 0
	for _, s := range statuses {
		if s == http.StatusCreated {
			created++
		}
	}
	if got := e.templates(a.agent); created != 1 || len(got) != 1 {
		t.Fatalf("%d saves created, %d listed (%v); want exactly one", created, len(got), statuses)
	}
}

func TestTemplatesRolesAndTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	b := e.newTenant("Bolt", numB)
	ours := e.mustSaveTemplate(a.agent, "Ours", "Acme's text")
	theirs := e.mustSaveTemplate(b.agent, "Theirs", "Bolt's text")
	admin := e.addUser(a.ID, "admin")
	e.mustSaveTemplate(admin, "By the admin", "x")

	// Every Messages role reads; only admin and agent write.
	for role, read := range map[string]int{"compliance": 200, "light": 403, "live_chat": 403} {
		token := e.addUser(a.ID, role)
		expect(t, e.do(req{method: "GET", path: "/api/templates", token: token}), read, "")
		expect(t, e.saveTemplate(token, "By "+role, "x"), http.StatusForbidden, "forbidden")
		expect(t, e.do(req{method: "PUT", path: "/api/templates/" + ours, token: token, body: map[string]any{"name": "x", "body": "x"}}), http.StatusForbidden, "forbidden")
		expect(t, e.do(req{method: "DELETE", path: "/api/templates/" + ours, token: token}), http.StatusForbidden, "forbidden")
	}
	expect(t, e.do(req{method: "GET", path: "/api/templates"}), http.StatusUnauthorized, "unauthorized")

	// Each company sees only its own; the other's is 404 to change.
	if fmt.Sprint(names(e.templates(a.agent))) != "[By the admin Ours]" || fmt.Sprint(names(e.templates(b.agent))) != "[Theirs]" {
		t.Fatalf("A lists %v, B lists %v", names(e.templates(a.agent)), names(e.templates(b.agent)))
	}
	expect(t, e.do(req{method: "PUT", path: "/api/templates/" + theirs, token: a.agent, body: map[string]any{"name": "Mine", "body": "x"}}), http.StatusNotFound, "not_found")
	expect(t, e.do(req{method: "DELETE", path: "/api/templates/" + theirs, token: a.agent}), http.StatusNotFound, "not_found")
	// A name is unique in a company, not across companies.
	e.mustSaveTemplate(a.agent, "Theirs", "x")
	if fmt.Sprint(names(e.templates(b.agent))) != "[Theirs]" {
		t.Fatalf("B's templates changed: %v", names(e.templates(b.agent)))
	}

	// Like every Messages endpoint, closed while Messages are off.
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok,
		body: map[string]any{"sms_enabled": false}}), http.StatusOK, "")
	expect(t, e.do(req{method: "GET", path: "/api/templates", token: a.agent, header: minPosHeader(e.head())}), http.StatusForbidden, "sms_disabled")
}

// sentMessage is a message of the thread with its template.
type sentMessage struct {
	ID         string  `json:"id"`
	Body       string  `json:"body"`
	TemplateID *string `json:"template_id"`
}

func (e *env) sentMessages(token, threadID string) []sentMessage {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/threads/" + threadID, token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	var th struct {
		Messages []sentMessage `json:"messages"`
	}
	r.json(e.t, &th)
	return th.Messages
}

func TestSendFromTemplate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	b := e.newTenant("Bolt", numB)
	e.text(numA, cust1, "Is Tuesday free?")
	e.giveConsent(a.ID, numA, cust1, true)
	th := e.mustThread(a.agent, cust1)
	greet := e.mustSaveTemplate(a.agent, "Greeting", "Hi {{first_name}}, {{company_name}} here. See you, {{full_name}}!")
	thanks := e.mustSaveTemplate(a.agent, "Thanks", "Thanks from {{company_name}}")
	bolts := e.mustSaveTemplate(b.agent, "Bolt's", "Bolt here")
	send := func(body any) response { return e.reply(a.agent, th.ID, body) }

	// No lead yet: the names have no value, and nothing is recorded.
	r := send(map[string]any{"template_id": greet})
	expect(t, r, http.StatusBadRequest, "template_value_missing")
	if msgs := e.sentMessages(a.agent, th.ID); len(msgs) != 1 {
		t.Fatalf("a refused send recorded something: %+v", msgs)
	}
	// The company's name alone has its value.
	r = send(map[string]any{"template_id": thanks})
	expect(t, r, http.StatusAccepted, "")
	checkPosition(t, r)

	// With a lead, the names fill.
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/lead", token: a.agent,
		body: map[string]any{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}}), http.StatusCreated, "")
	expect(t, send(map[string]any{"template_id": greet}), http.StatusAccepted, "")
	typed := e.mustReply(a.agent, th.ID, "Typed {{first_name}} stays as typed")

	msgs := e.sentMessages(a.agent, th.ID)
	if len(msgs) != 4 {
		t.Fatalf("%d messages, want 4: %+v", len(msgs), msgs)
	}
	for i, want := range []struct {
		body     string
		template string
	}{
		{"Thanks from Acme Dental", thanks},
		{"Hi Ada, Acme Dental here. See you, Ada Lovelace!", greet},
		{"Typed {{first_name}} stays as typed", ""},
	} {
		m := msgs[i+1]
		got := ""
		if m.TemplateID != nil {
			got = *m.TemplateID
		}
		if m.Body != want.body || got != want.template {
			t.Errorf("message %d: %q from template %q, want %q from %q", i+1, m.Body, got, want.body, want.template)
		}
	}
	if msgs[3].ID != typed || msgs[0].TemplateID != nil {
		t.Fatalf("typed or inbound text names a template: %+v", msgs)
	}

	// Another company's template, a deleted one, a bad ID: 404.
	expect(t, send(map[string]any{"template_id": bolts}), http.StatusNotFound, "not_found")
	expect(t, e.do(req{method: "DELETE", path: "/api/templates/" + thanks, token: a.agent}), http.StatusOK, "")
	expect(t, send(map[string]any{"template_id": thanks}), http.StatusNotFound, "not_found")
	expect(t, send(map[string]any{"template_id": "thanks"}), http.StatusNotFound, "not_found")
	// Either a body or a template, not both, not neither.
	expect(t, send(map[string]any{"template_id": greet, "body": "Hi"}), http.StatusBadRequest, "invalid_request")
	expect(t, send(map[string]any{}), http.StatusBadRequest, "invalid_request")
	expect(t, send(map[string]any{"template_id": 7}), http.StatusBadRequest, "invalid_field")
	if got := len(e.sentMessages(a.agent, th.ID)); got != 4 {
		t.Fatalf("refused sends recorded messages: %d, want 4", got)
	}

	// A template still needs consent.
	e.text(numA, cust2, "Hello?")
	th2 := e.mustThread(a.agent, cust2)
	expect(t, e.reply(a.agent, th2.ID, map[string]any{"template_id": greet}), http.StatusBadRequest, "template_value_missing")
	expect(t, e.reply(a.agent, th2.ID, map[string]any{"template_id": e.mustSaveTemplate(a.agent, "Plain", "Plain text")}), http.StatusConflict, "consent_required")
}
