package app_test

// End-to-end tests that close the team inbox's contract beside team_test.go,
// templates_test.go and search_test.go: every team inbox endpoint while the
// company's Messages are off, a note that no search finds, the field a
// refused template names, and a template whose filled text is too long.

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/template"
)

// conversationTypes are the event types of a conversation's stream.
func (e *env) conversationTypes(companyID, customer string) []string {
	e.t.Helper()
	var types []string
	for rec, err := range e.app.Store.ReadStream(context.Background(), conversation.StreamID(companyID, phone.Number(customer)), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		types = append(types, rec.Type)
	}
	return types
}

// templateEventCount is how many events the company's templates stream holds.
func (e *env) templateEventCount(companyID string) int {
	e.t.Helper()
	n := 0
	for _, err := range e.app.Store.ReadStream(context.Background(), template.StreamID(companyID), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		n++
	}
	return n
}

// TestTeamInboxWhileMessagesOff: like every Messages endpoint, each endpoint
// of the team inbox answers 403 sms_disabled while the company's Messages are
// off, for readers and writers alike, and records nothing; turned back on,
// the same requests are answered.
func TestTeamInboxWhileMessagesOff(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	e.giveConsent(tm.a.ID, numA, cust1, true)
	tmpl := e.mustSaveTemplate(tm.agent.Token, "Thanks", "Thanks from {{company_name}}")
	spare := e.mustSaveTemplate(tm.agent.Token, "Spare", "Spare text")
	beforeTypes := e.conversationTypes(tm.a.ID, cust1)
	beforeTemplates := e.templateEventCount(tm.a.ID)

	r := e.do(req{method: "PATCH", path: "/api/admin/companies/" + tm.a.ID, token: adminTok, body: map[string]any{"sms_enabled": false}})
	expect(t, r, http.StatusOK, "")
	off := checkPosition(t, r)

	type call struct {
		name   string
		r      req
		reader bool // compliance may make it when Messages are on
		ok     int  // the answer once Messages are back on
	}
	th := "/api/threads/" + tm.threadA
	calls := []call{
		{"assign", req{method: "POST", path: th + "/assign", body: map[string]any{"user_id": tm.agent2.ID}}, false, 200},
		{"add a note", req{method: "POST", path: th + "/notes", body: map[string]any{"body": "Prefers mornings."}}, false, 201},
		{"the thread with its notes", req{method: "GET", path: th}, true, 200},
		{"the list filtered by assignee", req{method: "GET", path: "/api/threads?assignee=me"}, true, 200},
		{"the company's users", req{method: "GET", path: "/api/users"}, true, 200},
		{"list templates", req{method: "GET", path: "/api/templates"}, true, 200},
		{"save a template", req{method: "POST", path: "/api/templates", body: map[string]any{"name": "New", "body": "x"}}, false, 201},
		{"change a template", req{method: "PUT", path: "/api/templates/" + tmpl, body: map[string]any{"name": "Thanks", "body": "Thank you from {{company_name}}"}}, false, 200},
		{"delete a template", req{method: "DELETE", path: "/api/templates/" + spare}, false, 200},
		{"send from a template", req{method: "POST", path: th + "/messages", body: map[string]any{"template_id": tmpl}}, false, 202},
		{"search", req{method: "GET", path: "/api/search?q=tuesday"}, true, 200},
		{"count segments", req{method: "POST", path: "/api/messages/segments", body: map[string]any{"body": "See you 😀"}}, true, 200},
	}
	for _, c := range calls {
		tokens := map[string]user{"agent": tm.agent, "admin": tm.admin}
		if c.reader {
			tokens["compliance"] = tm.compliance
		}
		for role, u := range tokens {
			rq := c.r
			rq.token, rq.header = u.Token, minPosHeader(off)
			if got := e.do(rq); got.status != http.StatusForbidden || got.errorCode() != "sms_disabled" {
				t.Errorf("%s (%s) with Messages off: %d %s, want 403 sms_disabled", c.name, role, got.status, got.body)
			}
		}
	}
	// Nothing was recorded: no assignment, note or reply; no template change.
	if got := e.conversationTypes(tm.a.ID, cust1); !slices.Equal(got, beforeTypes) {
		t.Fatalf("refused requests recorded %v (before: %v)", got, beforeTypes)
	}
	if got := e.templateEventCount(tm.a.ID); got != beforeTemplates {
		t.Fatalf("refused requests changed the templates: %d events, before %d", got, beforeTemplates)
	}

	// Back on: the very same requests are answered.
	r = e.do(req{method: "PATCH", path: "/api/admin/companies/" + tm.a.ID, token: adminTok, body: map[string]any{"sms_enabled": true}})
	expect(t, r, http.StatusOK, "")
	on := checkPosition(t, r)
	for _, c := range calls {
		rq := c.r
		rq.token, rq.header = tm.agent.Token, minPosHeader(on)
		if got := e.do(rq); got.status != c.ok {
			t.Errorf("%s with Messages back on: %d %s, want %d", c.name, got.status, got.body, c.ok)
		}
	}
}

// TestNoteIsNeverFound: a note matches no search, by its words or its
// digits, and a thread found by its customer shows its last text, not the
// note written after it; the customer's own texts are found as ever.
func TestNoteIsNeverFound(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/lead", token: tm.agent.Token,
		body: map[string]any{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}}), http.StatusCreated, "")
	for _, body := range []string{
		"Zebra crossing: Lovelace owes the Tuesday invoice, call 4155550123",
		"Second zebra note, pinned",
	} {
		expect(t, e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/notes", token: tm.agent.Token,
			body: map[string]any{"body": body}}), http.StatusCreated, "")
	}
	// The notes are there, to be sure the searches below had them to find.
	if th := tm.detail(tm.agent.Token, tm.threadA); len(th.Notes) != 2 {
		t.Fatalf("notes %+v", th.Notes)
	}

	for _, tc := range []struct {
		name, q string
		want    []string // snippets; "thread:" marks a thread result
	}{
		{"a note's word", "zebra", []string{}},
		{"a note's words", "crossing invoice", []string{}},
		{"a note's digits", "4155550123", []string{}},
		{"a note's word and a text's word", "zebra tuesday", []string{}},
		{"the customer's text", "tuesday", []string{"Is Tuesday free?"}},
		{"the customer by name: the last text, not the note", "Lovelace", []string{"thread:Is Tuesday free?"}},
		{"the customer by digits: the last text, not the note", "0187", []string{"thread:Is Tuesday free?"}},
	} {
		got := snippets(e.search(tm.agent.Token, tc.q, 0))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q found %q, want %q", tc.name, tc.q, got, tc.want)
		}
	}
	for role, u := range map[string]user{"admin": tm.admin, "compliance": tm.compliance} {
		if got := e.search(u.Token, "zebra", 0); len(got) != 0 {
			t.Errorf("%s found a note: %+v", role, got)
		}
	}
}

// TestTemplateRefusalsNameTheirField: a refused save (POST or PUT) says
// which field of the template it is about, so that a form shows it there.
func TestTemplateRefusalsNameTheirField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	id := e.mustSaveTemplate(a.agent, "Reminder", "See you tomorrow.")
	e.mustSaveTemplate(a.agent, "Late", "Running late.")
	for _, tc := range []struct {
		name         string
		body         map[string]any
		status       int
		code, field  string
		messageShows string
	}{
		{"no name", map[string]any{"name": " ", "body": "x"}, 400, "invalid_request", "name", "name"},
		{"a name too long", map[string]any{"name": strings.Repeat("n", 101), "body": "x"}, 400, "invalid_request", "name", "100"},
		{"a name with a line break", map[string]any{"name": "Re\nminder", "body": "x"}, 400, "invalid_request", "name", "control"},
		{"a name taken", map[string]any{"name": " LATE ", "body": "x"}, 409, "template_exists", "name", "Late"},
		{"no text", map[string]any{"name": "New", "body": " "}, 400, "invalid_request", "body", "text"},
		{"a text too long", map[string]any{"name": "New", "body": strings.Repeat("b", 1601)}, 400, "invalid_request", "body", "1600"},
		{"an unknown placeholder", map[string]any{"name": "New", "body": "Hi {{nickname}}"}, 400, "unknown_placeholder", "body", "{{nickname}}"},
	} {
		for _, rq := range []req{
			{method: "POST", path: "/api/templates", token: a.agent, body: tc.body},
			{method: "PUT", path: "/api/templates/" + id, token: a.agent, body: tc.body},
		} {
			r := e.do(rq)
			var answer struct {
				Error struct {
					Code, Message string
					Field         *string
				}
			}
			r.json(t, &answer)
			if r.status != tc.status || answer.Error.Code != tc.code || answer.Error.Field == nil || *answer.Error.Field != tc.field ||
				!strings.Contains(answer.Error.Message, tc.messageShows) {
				t.Errorf("%s (%s): %d %s, want %d %s about %s, saying %q", tc.name, rq.method, r.status, r.body, tc.status, tc.code, tc.field, tc.messageShows)
			}
		}
	}
	// A refusal about no field says none.
	r := e.do(req{method: "DELETE", path: "/api/templates/00000000-0000-0000-0000-000000000001", token: a.agent})
	expect(t, r, http.StatusNotFound, "not_found")
	if strings.Contains(string(r.body), `"field"`) {
		t.Fatalf("a missing template names a field: %s", r.body)
	}
	if got := names(e.templates(a.agent)); !slices.Equal(got, []string{"Late", "Reminder"}) {
		t.Fatalf("refused saves changed the templates: %v", got)
	}
	if got := e.templates(a.agent)[1]; got.Body != "See you tomorrow." {
		t.Fatalf("a refused PUT changed the text: %q", got.Body)
	}
}

// TestSendFromTemplateTooLongOnceFilled: a template within the limit whose
// names make it longer than one text may be is refused when sent (400
// invalid_request), and nothing is recorded; a compliance officer may not
// send from a template (403); a reply from a template assigns the thread to
// its sender, as a typed one does.
func TestSendFromTemplateTooLongOnceFilled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	e.text(numA, cust1, "Hello?")
	e.giveConsent(a.ID, numA, cust1, true)
	th := e.mustThread(a.agent, cust1)
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/lead", token: a.agent,
		body: map[string]any{"first_name": strings.Repeat("A", 100), "last_name": "Lovelace", "email": "ada@example.com"}}), http.StatusCreated, "")
	long := e.mustSaveTemplate(a.agent, "Long", strings.Repeat("x", conversation.MaxBodyLength-len("{{first_name}}"))+"{{first_name}}")
	fits := e.mustSaveTemplate(a.agent, "Fits", strings.Repeat("x", conversation.MaxBodyLength-100)+"{{first_name}}")

	expect(t, e.reply(a.agent, th.ID, map[string]any{"template_id": long}), http.StatusBadRequest, "invalid_request")
	expect(t, e.reply(compliance, th.ID, map[string]any{"template_id": fits}), http.StatusForbidden, "forbidden")
	if got := e.sentMessages(a.agent, th.ID); len(got) != 1 {
		t.Fatalf("refused sends recorded messages: %+v", got)
	}
	tm := &team{e: e}
	if got := tm.detail(a.agent, th.ID); got.AssigneeID != nil {
		t.Fatalf("a refused send assigned the thread to %s", *got.AssigneeID)
	}
	expect(t, e.reply(a.agent, th.ID, map[string]any{"template_id": fits}), http.StatusAccepted, "")
	got := e.sentMessages(a.agent, th.ID)
	if len(got) != 2 || len([]rune(got[1].Body)) != conversation.MaxBodyLength {
		t.Fatalf("messages %d, the last of %d characters, want %d", len(got), len([]rune(got[len(got)-1].Body)), conversation.MaxBodyLength)
	}
	// A reply from a template is a staff reply: it assigns the unassigned
	// thread to its sender.
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	e.do(req{method: "GET", path: "/api/me", token: a.agent}).json(t, &me)
	if got := tm.detail(a.agent, th.ID); assigneeOf(got) != me.User.ID {
		t.Fatalf("after the agent's reply from a template the assignee is %s, want %s", assigneeOf(got), me.User.ID)
	}
}
