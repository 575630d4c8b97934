package app_test

// The tenancy and role matrix: every route the router registers, asked by
// every kind of caller, about something of the caller's company (own) and of
// another company (other), through HTTP against the whole app.
//
// The expected statuses follow the contract's rules, not the code: no token
// or a token the route does not take is 401; a signed-in user whose role the
// route does not let in is 403 (whatever the company of the target); another
// company's thread, lead, company or key is 404; everything else reaches the
// happy path (each row sends a valid request) and answers the row's 2xx. Only
// the ADMIN_TOKEN spans companies. On top of the status, no answer to anyone
// but the admin token may show anything of company B.
//
// Routes are read from the router itself (mux.Router.Walk): a route without
// a row fails the test, and so does a row without a route. To add a route,
// add one row to matrixRoutes.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	companyrole "github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// matrixGuard is who a route lets in, as the contract says.
type matrixGuard struct {
	anyone bool               // no token needed (any Authorization is ignored)
	admin  bool               // the ADMIN_TOKEN
	roles  []companyrole.Role // users of the caller's company with these roles
	appKey bool               // an app key of the caller's company
}

var (
	anyone     = matrixGuard{anyone: true}
	adminToken = matrixGuard{admin: true}
	anyRole    = matrixGuard{roles: companyrole.Roles()}
	readers    = matrixGuard{roles: []companyrole.Role{companyrole.RoleAdmin, companyrole.RoleAgent, companyrole.RoleCompliance}}
	writers    = matrixGuard{roles: []companyrole.Role{companyrole.RoleAdmin, companyrole.RoleAgent}}
	auditors   = matrixGuard{roles: []companyrole.Role{companyrole.RoleAdmin, companyrole.RoleCompliance}}
	submitters = matrixGuard{roles: []companyrole.Role{companyrole.RoleAdmin, companyrole.RoleAgent}, appKey: true}
	admins     = matrixGuard{roles: []companyrole.Role{companyrole.RoleAdmin}}
)

// matrixScope is what the path names, and so what "other" means.
type matrixScope int

const (
	// noResource: nothing of a company (a list, the caller's own view, a
	// new thing): own and other send the request their tenant builds, and
	// the answer is the same.
	noResource matrixScope = iota
	// owned: a thread, lead, company or key of the target company; another
	// company's is 404 to everyone but the admin token.
	owned
	// customer: a customer's phone number, which belongs to no company: for
	// another company's customer the caller's company answers (2xx) what it
	// knows, which is nothing; the row's blind check says so.
	customer
)

// matrixRoute is one row: a registered route and how to call it.
type matrixRoute struct {
	method, path string // as registered (the path's template)
	guard        matrixGuard
	scope        matrixScope
	ok           int         // the status of the happy path
	build        matrixBuild // the request for a target tenant (method and token are added)
	// blind, for customer routes, checks the answer about another
	// company's customer shows none of that company's knowledge.
	blind func(body []byte) error
}

type matrixBuild func(m *matrix, target *matrixTenant) req

// matrixRoutes has one row per registered route (method and path template).
var matrixRoutes = []matrixRoute{
	// Operations and the page.
	{"GET", "/healthz", anyone, noResource, 200, fixed("/healthz"), nil},
	{"GET", "/readyz", anyone, noResource, 200, fixed("/readyz"), nil},
	{"GET", "/metrics", anyone, noResource, 200, fixed("/metrics"), nil},
	{"GET", "/api/openapi.yaml", anyone, noResource, 200, fixed("/api/openapi.yaml"), nil},
	{"GET", "/", anyone, noResource, 200, fixed("/"), nil},
	{"HEAD", "/", anyone, noResource, 200, fixed("/"), nil},
	{"GET", "/assets/", anyone, noResource, 200, fixed("/assets/app.css"), nil},
	{"HEAD", "/assets/", anyone, noResource, 200, fixed("/assets/app.css"), nil},

	// Twilio's webhooks: signed (X-Twilio-Signature), not signed in.
	{"POST", twilio.InboundPath, anyone, noResource, 200, inboundText, nil},
	{"POST", twilio.StatusPath, anyone, noResource, 200, statusCallback, nil},

	// The admin API.
	{"POST", "/api/admin/companies", adminToken, noResource, 201, newCompany, nil},
	{"PATCH", "/api/admin/companies/{company_id}", adminToken, owned, 200, onCompany("", func(tn *matrixTenant) any { return map[string]any{"name": tn.Name} }), nil},
	{"GET", "/api/admin/companies/{company_id}", adminToken, owned, 200, onCompany("", func(*matrixTenant) any { return nil }), nil},
	// The number it has already: a real change would void the consent that
	// the replies below need.
	{"PUT", "/api/admin/companies/{company_id}/messaging-number", adminToken, owned, 200, onCompany("/messaging-number", func(tn *matrixTenant) any { return map[string]any{"messaging_number": tn.MessagingNumber} }), nil},
	{"POST", "/api/admin/companies/{company_id}/users", adminToken, owned, 201, onCompany("/users", func(*matrixTenant) any { return map[string]any{"name": "Matrix", "role": "agent"} }), nil},
	{"DELETE", "/api/admin/companies/{company_id}/users/{user_id}", adminToken, owned, 200, freshUser(""), nil},
	{"POST", "/api/admin/companies/{company_id}/users/{user_id}/token", adminToken, owned, 200, freshUser("/token"), nil},
	{"POST", "/api/admin/companies/{company_id}/app-keys", adminToken, owned, 201, onCompany("/app-keys", func(*matrixTenant) any { return map[string]any{"app": "text_us_now"} }), nil},
	{"DELETE", "/api/admin/companies/{company_id}/app-keys/{key_id}", adminToken, owned, 200, freshAppKey, nil},
	{"GET", "/api/admin/unrouted", adminToken, noResource, 200, fixed("/api/admin/unrouted"), nil},

	// Signed-in users of a company.
	{"GET", "/api/me", anyRole, noResource, 200, fixed("/api/me"), nil},
	{"GET", "/api/events", readers, noResource, 200, fixed("/api/events"), nil},
	{"GET", "/api/threads", readers, noResource, 200, fixed("/api/threads"), nil},
	{"GET", "/api/threads/{thread_id}", readers, owned, 200, onThread("", nil), nil},
	{"POST", "/api/threads/{thread_id}/read", writers, owned, 200, onThread("/read", nil), nil},
	{"POST", "/api/threads/{thread_id}/unread", writers, owned, 200, onThread("/unread", nil), nil},
	{"POST", "/api/threads/{thread_id}/archive", writers, owned, 200, onThread("/archive", nil), nil},
	{"POST", "/api/threads/{thread_id}/unarchive", writers, owned, 200, onThread("/unarchive", nil), nil},
	{"POST", "/api/threads/{thread_id}/messages", writers, owned, 202, onThread("/messages", map[string]any{"body": "Matrix: Tuesday at 10 works."}), nil},
	{"DELETE", "/api/threads/{thread_id}/messages/{message_id}", writers, owned, 200, freshScheduled, nil},
	{"POST", "/api/threads/{thread_id}/lead", writers, owned, 201, freshThreadLead, nil},
	{"GET", "/api/threads/{thread_id}/export.csv", readers, owned, 200, onThread("/export.csv", nil), nil},
	{"GET", "/api/messages/export.csv", readers, noResource, 200, fixed("/api/messages/export.csv"), nil},
	{"POST", "/api/messages/segments", readers, noResource, 200, func(*matrix, *matrixTenant) req {
		return req{path: "/api/messages/segments", body: map[string]any{"body": "Matrix: see you Tuesday 😀"}}
	}, nil},
	{"GET", "/api/leads/{lead_id}", readers, owned, 200, func(_ *matrix, tn *matrixTenant) req { return req{path: "/api/leads/" + tn.leadID} }, nil},
	{"GET", "/api/consent/{phone}", readers, customer, 200, onCustomer("/api/consent/"), consentBlind},
	{"GET", "/api/audit/consent/{phone}", auditors, customer, 200, onCustomer("/api/audit/consent/"), auditBlind},
	{"POST", "/api/forms/submissions", submitters, noResource, 201, freshForm, nil},

	// The company's settings and its consent evidence: nothing in the path
	// names a company, the token does (the secrets check shows none of
	// company B's comes back).
	{"GET", "/api/settings/auto-reply", readers, noResource, 200, fixed("/api/settings/auto-reply"), nil},
	{"PUT", "/api/settings/auto-reply", admins, noResource, 200, func(*matrix, *matrixTenant) req {
		return req{path: "/api/settings/auto-reply", body: map[string]any{"enabled": false, "body": "Matrix: closed",
			"business_hours": map[string]any{"mon": [][]string{{"09:00", "17:00"}}}}}
	}, nil},
	{"GET", "/api/settings/texts", readers, noResource, 200, fixed("/api/settings/texts"), nil},
	{"PUT", "/api/settings/texts", admins, noResource, 200, func(*matrix, *matrixTenant) req {
		return req{path: "/api/settings/texts", body: map[string]any{"resubscribed": "Matrix: welcome back. Reply STOP to opt out."}}
	}, nil},
	{"GET", "/api/audit/consent/export.csv", auditors, noResource, 200, fixed("/api/audit/consent/export.csv"), nil},
	// The team inbox. The assignee is the target company's agent: on
	// another company's thread the thread's 404 comes first.
	{"POST", "/api/threads/{thread_id}/assign", writers, owned, 200, func(_ *matrix, tn *matrixTenant) req {
		return req{path: "/api/threads/" + tn.threadID + "/assign", body: map[string]any{"user_id": tn.agentID}}
	}, nil},
	{"POST", "/api/threads/{thread_id}/notes", writers, owned, 201, onThread("/notes", map[string]any{"body": "Matrix: call before 10."}), nil},
	{"GET", "/api/users", readers, noResource, 200, fixed("/api/users"), nil},

	// The company's templates (canned replies).
	{"GET", "/api/templates", readers, noResource, 200, fixed("/api/templates"), nil},
	{"POST", "/api/templates", writers, noResource, 201, func(*matrix, *matrixTenant) req {
		return req{path: "/api/templates", body: map[string]any{"name": "Matrix " + uuid.NewString(), "body": "Hi {{first_name}}"}}
	}, nil},
	{"PUT", "/api/templates/{template_id}", writers, owned, 200, freshTemplate(true), nil},
	{"DELETE", "/api/templates/{template_id}", writers, owned, 200, freshTemplate(false), nil},

	// The search box: both companies' leads are named "... Matrix", and B's
	// name is a secret, so a search that crossed companies would show it.
	{"GET", "/api/search", readers, noResource, 200, fixed("/api/search?q=Matrix"), nil},
}

// want is the status the contract gives caller c on the row's route, about
// the own company's target or (other) another company's.
func (rt matrixRoute) want(c matrixCaller, other bool) int {
	g := rt.guard
	switch {
	case g.anyone:
		return rt.ok
	case c.admin:
		if g.admin {
			return rt.ok // the admin token spans companies
		}
		return http.StatusUnauthorized
	case c.role != "" && slices.Contains(g.roles, c.role), c.appKey && g.appKey:
		if other && rt.scope == owned {
			return http.StatusNotFound
		}
		return rt.ok
	case c.role != "" && len(g.roles) > 0:
		return http.StatusForbidden // signed in, but not a role the route lets in
	default:
		return http.StatusUnauthorized // no token, a bad one, or one the route does not take
	}
}

// matrixCaller is one kind of caller; the users and the app key are of
// company A.
type matrixCaller struct {
	name   string
	token  string // "" sends none
	admin  bool
	role   companyrole.Role
	appKey bool
}

// matrixTenant is a company with what the rows name: a customer who texted
// and consented, their thread and its lead.
type matrixTenant struct {
	company
	agent    string
	agentID  string
	customer string
	threadID string
	leadID   string
}

// matrix is the world the rows run in: company A (the callers' company) and
// company B (the other company), each with data.
type matrix struct {
	e       *env
	a, b    *matrixTenant
	callers []matrixCaller
	// secrets are strings only company B's data holds: no answer to a
	// caller other than the admin token may contain one.
	secrets []string
	// fresh counts the numbers freshNumber gave out.
	fresh int
}

const (
	secretText = "zebra-quartz: only company B has this text"
	secretName = "Bettinazebra"
)

func newMatrix(t *testing.T) *matrix {
	e := newEnv(t)
	m := &matrix{e: e}
	m.b = m.tenant("Bolt Gym", numB, cust2, secretText, secretName)
	m.a = m.tenant("Acme Dental", numA, cust1, "Is Tuesday free?", "Ada")
	secretTemplate := e.mustSaveTemplate(m.b.agent, secretName, secretText)
	m.secrets = []string{m.b.ID, m.b.threadID, m.b.leadID, m.b.MessagingNumber, m.b.agentID, secretText, secretName, secretTemplate}

	m.callers = []matrixCaller{
		{name: "no token"},
		{name: "bad token", token: "smi_not-a-token-anyone-was-given"},
		{name: "admin token", token: adminTok, admin: true},
	}
	for _, role := range companyrole.Roles() {
		m.callers = append(m.callers, matrixCaller{name: "user " + string(role), token: e.addUser(m.a.ID, string(role)), role: role})
	}
	m.callers = append(m.callers, matrixCaller{name: "app key", token: e.issueAppKey(m.a.ID, "text_us_now").Key, appKey: true})
	return m
}

// tenant makes a company whose customer texted text, consented, and has a
// lead named first.
func (m *matrix) tenant(name, number, customer, text, first string) *matrixTenant {
	e := m.e
	e.t.Helper()
	tn := &matrixTenant{company: e.createCompany(name, number), customer: customer}
	u := e.newUser(tn.ID, "agent")
	tn.agent, tn.agentID = u.Token, u.ID
	tn.threadID = m.threadOf(tn, customer, text)
	e.giveConsent(tn.ID, number, customer, true)
	r := e.do(req{method: "POST", path: "/api/threads/" + tn.threadID + "/lead", token: tn.agent,
		body: map[string]any{"first_name": first, "last_name": "Matrix", "email": "lead@example.com"}})
	expect(e.t, r, http.StatusCreated, "")
	var l struct {
		LeadID string `json:"lead_id"`
	}
	r.json(e.t, &l)
	tn.leadID = l.LeadID
	return tn
}

// threadOf has the customer from text the tenant; it answers their thread's ID.
func (m *matrix) threadOf(tn *matrixTenant, from, text string) string {
	m.e.t.Helper()
	m.e.text(tn.MessagingNumber, from, text)
	return m.e.mustThread(tn.agent, from).ID
}

// freshNumber is a valid US number no one has used yet.
func (m *matrix) freshNumber() string {
	m.e.t.Helper()
	areas := []int{312, 415, 617, 303, 404, 512, 206, 713}
	n := m.fresh
	m.fresh++
	if n/100 >= len(areas) {
		m.e.t.Fatalf("fresh numbers ran out")
	}
	s := fmt.Sprintf("+1%d55501%02d", areas[n/100], n%100)
	if p, err := phone.Parse(s, "US"); err != nil || string(p) != s {
		m.e.t.Fatalf("fresh number %s: %q, %v", s, p, err)
	}
	return s
}

// ---------------------------------------------------------------- builders

func fixed(path string) matrixBuild {
	return func(*matrix, *matrixTenant) req { return req{path: path} }
}

func onThread(suffix string, body any) matrixBuild {
	return func(_ *matrix, tn *matrixTenant) req {
		return req{path: "/api/threads/" + tn.threadID + suffix, body: body}
	}
}

func onCompany(suffix string, body func(*matrixTenant) any) matrixBuild {
	return func(_ *matrix, tn *matrixTenant) req {
		return req{path: "/api/admin/companies/" + tn.ID + suffix, body: body(tn)}
	}
}

func onCustomer(prefix string) matrixBuild {
	return func(_ *matrix, tn *matrixTenant) req { return req{path: prefix + url.PathEscape(tn.customer)} }
}

// signed is a webhook request as Twilio sends it.
func signed(m *matrix, path string, form url.Values) req {
	return req{path: path, body: form.Encode(), header: map[string]string{
		"Content-Type":         "application/x-www-form-urlencoded",
		twilio.SignatureHeader: twilio.Sign(app.SandboxToken, m.e.publicURL+path, form),
	}}
}

func inboundText(m *matrix, tn *matrixTenant) req {
	return signed(m, twilio.InboundPath, m.e.inboundParams(tn.MessagingNumber, tn.customer, "Matrix: see you then."))
}

// statusCallback is a callback for a SID smsinbox has not seen yet: kept
// until it is (200).
func statusCallback(m *matrix, tn *matrixTenant) req {
	sid := twilio.NewSID("SM")
	return signed(m, twilio.StatusPath, url.Values{
		"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {twilio.NewSID("AC")},
		"MessageStatus": {"delivered"}, "SmsStatus": {"delivered"},
		"From": {tn.MessagingNumber}, "To": {tn.customer}, "ApiVersion": {"2010-04-01"},
	})
}

func newCompany(m *matrix, _ *matrixTenant) req {
	return req{path: "/api/admin/companies", body: map[string]any{"name": "Matrix Co", "messaging_number": m.freshNumber()}}
}

// freshAppKey revokes a key issued for the request: revoking one of the
// callers' would lock the app key caller out.
func freshAppKey(m *matrix, tn *matrixTenant) req {
	k := m.e.issueAppKey(tn.ID, "schedule_genie")
	return req{path: "/api/admin/companies/" + tn.ID + "/app-keys/" + k.ID}
}

// freshUser names a user added for the request (then suffix): removing
// one of the callers, or rotating their token, would lock that caller out.
func freshUser(suffix string) matrixBuild {
	return func(m *matrix, tn *matrixTenant) req {
		u := m.e.newUser(tn.ID, "agent")
		return req{path: "/api/admin/companies/" + tn.ID + "/users/" + u.ID + suffix}
	}
}

// freshScheduled names a text scheduled for the request, an hour ahead.
func freshScheduled(m *matrix, tn *matrixTenant) req {
	id := m.e.mustSchedule(tn.agent, tn.threadID, "Matrix: a reminder.", m.e.clock.Now().Add(time.Hour))
	return req{path: "/api/threads/" + tn.threadID + "/messages/" + id}
}

// freshThreadLead creates the lead of a new thread: a thread has one lead.
func freshThreadLead(m *matrix, tn *matrixTenant) req {
	id := m.threadOf(tn, m.freshNumber(), "Matrix: hello")
	return req{path: "/api/threads/" + id + "/lead", body: map[string]any{"first_name": "Matrix", "last_name": "Lead", "email": "matrix@example.com"}}
}

// freshTemplate names a template saved for the request (a rename or a
// delete of a shared one would change what the other requests meet), with
// a new name and body when rename.
func freshTemplate(rename bool) matrixBuild {
	return func(m *matrix, tn *matrixTenant) req {
		id := m.e.mustSaveTemplate(tn.agent, "Matrix "+uuid.NewString(), "Matrix template")
		r := req{path: "/api/templates/" + id}
		if rename {
			r.body = map[string]any{"name": "Matrix " + uuid.NewString(), "body": "Renamed"}
		}
		return r
	}
}

func freshForm(m *matrix, _ *matrixTenant) req {
	return req{path: "/api/forms/submissions", body: formBody(m.freshNumber(), false)}
}

// consentBlind: the caller's company never heard of the customer.
func consentBlind(body []byte) error {
	var c consentAnswer
	if err := json.Unmarshal(body, &c); err != nil {
		return err
	}
	if c.Status != "no" || c.UpdatedAt != nil || c.MessagingNumber != numA {
		return fmt.Errorf("consent %+v, want no, never updated, on %s", c, numA)
	}
	return nil
}

// auditBlind: the caller's company has no consent history of the customer.
func auditBlind(body []byte) error {
	var a auditAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		return err
	}
	if len(a.Events) != 0 || a.StatusAt != "no" {
		return fmt.Errorf("audit status %q with %d entries, want no and none", a.StatusAt, len(a.Events))
	}
	return nil
}

// ---------------------------------------------------------------- the test

func TestTenancyAndRoleMatrix(t *testing.T) {
	t.Parallel()
	m := newMatrix(t)

	registered := registeredRoutes(t, m.e)
	var rows []string
	for _, rt := range matrixRoutes {
		key := rt.method + " " + rt.path
		if slices.Contains(rows, key) {
			t.Errorf("two rows for %s", key)
		}
		rows = append(rows, key)
		if !slices.Contains(registered, key) {
			t.Errorf("row %s: the router registers no such route", key)
		}
	}
	for _, key := range registered {
		if !slices.Contains(rows, key) {
			t.Errorf("route %s is registered but has no row in matrixRoutes", key)
		}
	}

	tenancies := []struct {
		name   string
		target *matrixTenant
		other  bool
	}{{"own", m.a, false}, {"other", m.b, true}}
	t.Logf("matrix: %d routes x %d callers x %d tenancies = %d requests",
		len(matrixRoutes), len(m.callers), len(tenancies), len(matrixRoutes)*len(m.callers)*len(tenancies))

	for _, rt := range matrixRoutes {
		for _, c := range m.callers {
			for _, tn := range tenancies {
				r := rt.build(m, tn.target)
				r.method, r.token = rt.method, c.token
				if r.header == nil {
					r.header = map[string]string{}
				}
				r.header["X-Min-Position"] = m.e.head() // read every write so far
				got := m.send(r)
				where := fmt.Sprintf("%s %s by %s, %s company", rt.method, rt.path, c.name, tn.name)
				want := rt.want(c, tn.other)
				if got.status != want {
					t.Errorf("%s: %d, want %d: %.200s", where, got.status, want, got.body)
					continue
				}
				if !c.admin {
					for _, s := range m.secrets {
						if strings.Contains(string(got.body), s) {
							t.Errorf("%s: the answer shows company B's %q: %.300s", where, s, got.body)
						}
					}
				}
				if tn.other && rt.blind != nil && want < 300 {
					if err := rt.blind(got.body); err != nil {
						t.Errorf("%s: %v", where, err)
					}
				}
			}
		}
	}
}

// registeredRoutes lists the app's routes as "METHOD template", one per
// method (a route of GET and HEAD is two).
func registeredRoutes(t *testing.T, e *env) []string {
	t.Helper()
	router, ok := e.app.Handler.(*mux.Router)
	if !ok {
		t.Fatalf("the app's handler is a %T, not the *mux.Router the matrix walks", e.app.Handler)
	}
	var out []string
	err := router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a subrouter's prefix: its routes are walked too
		}
		path, err := route.GetPathTemplate()
		if err != nil {
			return fmt.Errorf("a route with methods %v has no path: %w", methods, err)
		}
		for _, method := range methods {
			out = append(out, method+" "+path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// send makes the request; the live stream, which does not end, is read up
// to its ready frame.
func (m *matrix) send(r req) response {
	m.e.t.Helper()
	resp, err := m.e.client.Do(m.e.request(r))
	if err != nil {
		m.e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	var body []byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		body, err = untilReady(resp.Body)
	} else {
		body, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		m.e.t.Fatalf("%s %s: read: %v", r.method, r.path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// untilReady reads a live stream up to the end of its ready frame.
func untilReady(r io.Reader) ([]byte, error) {
	br := bufio.NewReader(r)
	var read []byte
	ready := false
	for {
		line, err := br.ReadString('\n')
		read = append(read, line...)
		if err != nil {
			return read, err
		}
		switch strings.TrimRight(line, "\r\n") {
		case "event: ready":
			ready = true
		case "":
			if ready {
				return read, nil
			}
		}
	}
}
