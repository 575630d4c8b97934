package app_test

// End-to-end test through HTTP of the consent evidence export
// (GET /api/audit/consent/export.csv): every kind of consent change,
// replayed from the event store, as a carrier's audit asks for it.

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/consent"
)

const evidenceHeaderLine = "Phone,Occurred At,Status Before,Status After,Method,App,Messaging Number,Message SID,IP,User Agent,Consent Text,Page URL,Actor"

// evidence downloads the export with query q and checks its header line.
func (e *env) evidence(token, q string) [][]string {
	e.t.Helper()
	path := "/api/audit/consent/export.csv"
	if q != "" {
		path += "?" + q
	}
	r := e.do(req{method: "GET", path: path, token: token})
	expect(e.t, r, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		e.t.Fatalf("Content-Type %q", ct)
	}
	if first, _, _ := strings.Cut(string(r.body), "\r\n"); first != evidenceHeaderLine {
		e.t.Fatalf("header line %q", first)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		e.t.Fatalf("CSV: %v\n%s", err, r.body)
	}
	return rows[1:]
}

// consentEventCount is how many consent events the customer has.
func (e *env) consentEventCount(companyID, customer string) int {
	return len(e.consentEvents(companyID, customer))
}

func TestConsentEvidenceExport(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t) // the clock starts at 2030-03-04T15:00:00Z
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	b := e.newTenant("Bolt", numB)
	t0 := e.clock.Now()
	minute := func() { e.clock.Advance(time.Minute) }

	// form: the disclosure and the page are kept; a user agent that a
	// spreadsheet would run as a formula is neutralised.
	body := formBody(cust1, true)
	body["consent_text"] = "I agree to receive appointment texts from Acme. Msg&data rates may apply."
	body["page_url"] = "https://acme.example/book?step=2"
	body["user_agent"] = "=HYPERLINK(\"https://evil.example\")"
	e.submitForm(a.agent, body)
	e.until("the confirmation request sent", func() bool { return len(e.fake.Sent()) == 1 })
	minute()
	// keyword: the customer's YES.
	yes := e.inboundParams(numA, cust1, "Yes!")
	expect(t, e.signedPost("/webhooks/twilio/sms", yes), http.StatusOK, "")
	minute()
	// carrier: Twilio refuses a staff text with 21610.
	threadID := e.mustThread(a.agent, cust1).ID
	e.fake.FailNext(1, http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient")
	e.mustReply(a.agent, threadID, "See you Tuesday")
	e.until("the carrier opt-out recorded", func() bool { return e.consentEventCount(a.ID, cust1) == 3 })
	minute()
	// keyword: START after the opt-out.
	e.customerTexts(numA, cust1, "START")
	minute()
	// twilio_opt_out: another customer's STOP that Twilio answered itself.
	stop := e.inboundParams(numA, cust2, "STOP")
	stop.Set("OptOutType", "STOP")
	expect(t, e.signedPost("/webhooks/twilio/sms", stop), http.StatusOK, "")
	minute()
	// number_change: the company's number changes; the reactor voids.
	r := e.do(req{method: "PUT", path: "/api/admin/companies/" + a.ID + "/messaging-number", token: adminTok,
		body: map[string]any{"messaging_number": numA2}})
	expect(t, r, http.StatusOK, "")
	e.until("the number change voids the consents", func() bool {
		return e.consentEventCount(a.ID, cust1) == 5 && e.consentEventCount(a.ID, cust2) == 2
	})
	// Company B's customer, whom A's export must not show.
	e.giveConsent(b.ID, numB, cust3, true)

	rows := e.evidence(compliance, "")
	at := func(min int) string { return t0.Add(time.Duration(min) * time.Minute).UTC().Format(time.RFC3339Nano) }
	want := [][]string{
		{cust1, at(0), "no", "pending", "form", "text_us_now", numA, "", "203.0.113.9", "'=HYPERLINK(\"https://evil.example\")",
			"I agree to receive appointment texts from Acme. Msg&data rates may apply.", "https://acme.example/book?step=2", "user:" + userID(t, e.env, a.agent)},
		{cust1, at(1), "pending", "yes", "keyword", "", numA, yes.Get("MessageSid"), "", "", "Yes!", "", "customer:" + cust1},
		{cust1, at(2), "yes", "no", "carrier", "", numA, "", "", "", "", "", "twilio"},
		{cust1, at(3), "no", "yes", "keyword", "", numA, "", "", "", "START", "", "customer:" + cust1},
		{cust2, at(4), "no", "no", "twilio_opt_out", "", numA, stop.Get("MessageSid"), "", "", "STOP", "", "customer:" + cust2},
		// Both customers' consents on the old number are void, the STOP's
		// no included; the reactor takes them in either order.
		{cust1, at(5), "yes", "no", "number_change", "", numA2, "", "", "", "", "", "system"},
		{cust2, at(5), "no", "no", "number_change", "", numA2, "", "", "", "", "", "system"},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%q", len(rows), len(want), rows)
	}
	slices.SortStableFunc(rows[5:], func(x, y []string) int { return strings.Compare(x[0], y[0]) })
	for i := range want {
		got := slices.Clone(rows[i])
		if i == 3 {
			got[7] = "" // the START's SID is the fake's: checked below
		}
		if !slices.Equal(got, want[i]) {
			t.Errorf("row %d\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
	if !strings.HasPrefix(rows[3][7], "SM") {
		t.Errorf("the START's Message SID %q", rows[3][7])
	}

	// A window: [from, to) by the change's time.
	q := url.Values{"from": {at(1)}, "to": {at(4)}}.Encode()
	if got := e.evidence(compliance, q); len(got) != 3 || got[0][4] != "keyword" || got[2][1] != at(3) {
		t.Fatalf("window rows %q", got)
	}
	expect(t, e.do(req{method: "GET", path: "/api/audit/consent/export.csv?from=yesterday", token: compliance}), http.StatusBadRequest, "invalid_request")
	expect(t, e.do(req{method: "GET", path: "/api/audit/consent/export.csv?" + url.Values{"from": {at(4)}, "to": {at(1)}}.Encode(), token: compliance}),
		http.StatusBadRequest, "invalid_request")

	// Company B's export holds only its own customer.
	if got := e.evidence(b.admin(e.env), ""); len(got) != 2 || got[0][0] != cust3 || got[1][0] != cust3 {
		t.Fatalf("B's rows %q", got)
	}
	// Roles: an agent may not.
	expect(t, e.do(req{method: "GET", path: "/api/audit/consent/export.csv", token: a.agent}), http.StatusForbidden, "forbidden")

	// The audit shows the disclosure and the page in the form's evidence.
	au := e.audit(compliance, cust1, "")
	var form consent.FormEvidence
	if err := json.Unmarshal(au.Events[0].Evidence, &form); err != nil {
		t.Fatal(err)
	}
	if form.ConsentText != body["consent_text"] || form.PageURL != body["page_url"] {
		t.Fatalf("form evidence %s", au.Events[0].Evidence)
	}
}

// userID is the ID of the user who signs in with token.
func userID(t *testing.T, e *env, token string) string {
	t.Helper()
	r := e.do(req{method: "GET", path: "/api/me", token: token})
	expect(t, r, http.StatusOK, "")
	var me struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.json(t, &me)
	if me.User.ID == "" {
		t.Fatalf("/api/me names no user: %s", r.body)
	}
	return me.User.ID
}

func TestFormEvidenceRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	for _, tt := range []struct {
		field string
		value string
	}{
		{"consent_text", strings.Repeat("x", 2001)},
		{"page_url", "javascript:alert(1)"},
		{"page_url", "/relative/page"},
	} {
		body := formBody(cust1, true)
		body[tt.field] = tt.value
		r := e.do(req{method: "POST", path: "/api/forms/submissions", token: a.agent, body: body})
		expect(t, r, http.StatusBadRequest, "invalid_request")
		if msg := errorMessage(t, r); !strings.Contains(msg, tt.field) {
			t.Fatalf("%s: message %q", tt.field, msg)
		}
	}
}
