package app_test

// End-to-end tests of app keys: a company's other apps submit forms with a
// key of their own (docs/rules.md, "Users and tokens").

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

type appKeyAnswer struct {
	ID       string `json:"id"`
	App      string `json:"app"`
	Key      string `json:"key"`
	Position string `json:"position"`
}

func (e *env) issueAppKey(companyID, app string) appKeyAnswer {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/admin/companies/" + companyID + "/app-keys", token: adminTok, body: map[string]any{"app": app}})
	expect(e.t, r, http.StatusCreated, "")
	checkPosition(e.t, r)
	var k appKeyAnswer
	r.json(e.t, &k)
	return k
}

func TestAppKeySubmitsForms(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", "+12025550123")
	b := e.newTenant("Bolt Gym", "+12025550124")
	k := e.issueAppKey(a.ID, "text_us_now")
	if !strings.HasPrefix(k.Key, "smk_") || k.ID == "" || k.App != "text_us_now" {
		t.Fatalf("issued %+v", k)
	}

	// The key submits a form without naming its app: the submission comes
	// through the key's app, and the key is the actor of the consent request.
	body := formBody("+12025550187", true)
	delete(body, "app")
	f := e.submitForm(k.Key, body)
	if f.Consent != "pending" || f.LeadID == "" {
		t.Fatalf("form answered %+v", f)
	}
	compliance := e.addUser(a.ID, "compliance")
	au := e.audit(compliance, "+12025550187", "")
	if len(au.Events) == 0 {
		t.Fatalf("no audit entries")
	}
	first := au.Events[0]
	if first.Actor != "app:"+k.ID {
		t.Errorf("actor %q, want app:%s", first.Actor, k.ID)
	}
	var evidence map[string]any
	if err := json.Unmarshal(first.Evidence, &evidence); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(first.Evidence), `"text_us_now"`) {
		t.Errorf("evidence %s does not name the key's app", first.Evidence)
	}
	// The lead belongs to the key's company only.
	expect(t, e.do(req{method: "GET", path: "/api/leads/" + f.LeadID, token: a.agent}), http.StatusOK, "")
	expect(t, e.do(req{method: "GET", path: "/api/leads/" + f.LeadID, token: b.agent}), http.StatusNotFound, "not_found")

	// Naming the key's app is fine; another app is refused, nothing recorded.
	e.submitForm(k.Key, formBody("+12025550188", false))
	other := formBody("+12025550189", true)
	other["app"] = "schedule_genie"
	expect(t, e.do(req{method: "POST", path: "/api/forms/submissions", token: k.Key, body: other}), http.StatusBadRequest, "app_mismatch")
	if c := e.consentOf(a.agent, "+12025550189"); c.Status != "no" {
		t.Errorf("consent after a refused form: %q, want no", c.Status)
	}

	// A key opens nothing but the forms endpoint.
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: k.Key}), http.StatusUnauthorized, "unauthorized")
	expect(t, e.do(req{method: "GET", path: "/api/me", token: k.Key}), http.StatusUnauthorized, "unauthorized")
	// An unknown key, and a revoked one, are refused.
	expect(t, e.do(req{method: "POST", path: "/api/forms/submissions", token: "smk_nope", body: formBody("+12025550190", true)}), http.StatusUnauthorized, "unauthorized")
	r := e.do(req{method: "DELETE", path: "/api/admin/companies/" + a.ID + "/app-keys/" + k.ID, token: adminTok})
	expect(t, r, http.StatusOK, "")
	checkPosition(t, r)
	expect(t, e.do(req{method: "POST", path: "/api/forms/submissions", token: k.Key, body: formBody("+12025550190", true)}), http.StatusUnauthorized, "unauthorized")
	// Revoking again changes nothing.
	expect(t, e.do(req{method: "DELETE", path: "/api/admin/companies/" + a.ID + "/app-keys/" + k.ID, token: adminTok}), http.StatusOK, "")
}

func TestAppKeyAdmin(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", "+12025550123")
	b := e.newTenant("Bolt Gym", "+12025550124")
	k := e.issueAppKey(a.ID, "schedule_genie")
	tests := []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"no app", req{method: "POST", path: "/api/admin/companies/" + a.ID + "/app-keys", token: adminTok, body: map[string]any{}}, http.StatusBadRequest, "invalid_request"},
		{"app in capitals", req{method: "POST", path: "/api/admin/companies/" + a.ID + "/app-keys", token: adminTok, body: map[string]any{"app": "TextUs"}}, http.StatusBadRequest, "invalid_request"},
		{"smsinbox's own app", req{method: "POST", path: "/api/admin/companies/" + a.ID + "/app-keys", token: adminTok, body: map[string]any{"app": "dashboard"}}, http.StatusBadRequest, "invalid_request"},
		{"unknown field", req{method: "POST", path: "/api/admin/companies/" + a.ID + "/app-keys", token: adminTok, body: map[string]any{"app": "x", "scope": "all"}}, http.StatusBadRequest, ""},
		{"no such company", req{method: "POST", path: "/api/admin/companies/nope/app-keys", token: adminTok, body: map[string]any{"app": "text_us_now"}}, http.StatusNotFound, "not_found"},
		{"a user token is not the admin's", req{method: "POST", path: "/api/admin/companies/" + a.ID + "/app-keys", token: a.agent, body: map[string]any{"app": "text_us_now"}}, http.StatusUnauthorized, "unauthorized"},
		{"revoke an unknown key", req{method: "DELETE", path: "/api/admin/companies/" + a.ID + "/app-keys/nope", token: adminTok}, http.StatusNotFound, "not_found"},
		{"revoke through another company", req{method: "DELETE", path: "/api/admin/companies/" + b.ID + "/app-keys/" + k.ID, token: adminTok}, http.StatusNotFound, "not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expect(t, e.do(tt.r), tt.status, tt.code)
		})
	}
	// The key still works: nothing above touched it.
	body := formBody("+12025550187", true)
	body["app"] = "schedule_genie"
	e.submitForm(k.Key, body)
}
