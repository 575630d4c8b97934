package app_test

// End-to-end tests through HTTP of docs/rules.md, Exports: Download Message
// and Download All as CSV.

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const exportHeaderLine = "Message ID,Thread ID,Created,Time,Full Name,From,To,Status,Message\r\n"

// export downloads a CSV export after every write so far and parses it.
func (e *env) export(token, path string) (response, [][]string) {
	e.t.Helper()
	r := e.do(req{method: "GET", path: path, token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		e.t.Fatalf("Content-Type %q", ct)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`) || !strings.HasSuffix(cd, `.csv"`) {
		e.t.Fatalf("Content-Disposition %q", cd)
	}
	if !strings.HasPrefix(string(r.body), exportHeaderLine) {
		e.t.Fatalf("header row: %q", r.body)
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		e.t.Fatalf("not CSV (%v): %s", err, r.body)
	}
	return r, rows[1:]
}

// rowWith is the first row whose Message cell is body.
func rowWith(t *testing.T, rows [][]string, body string) []string {
	t.Helper()
	for _, r := range rows {
		if r[8] == body {
			return r
		}
	}
	t.Fatalf("no row with message %q in %v", body, rows)
	return nil
}

func TestExports(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	b := e.newTenant("Bolt", numB)
	compliance := e.addUser(a.ID, "compliance")
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok,
		body: map[string]any{"time_zone": "America/New_York"}}), http.StatusOK, "")

	// 2030-03-04 15:00 UTC is 10:00 in New York (EST).
	form := formBody(cust1, true) // a lead, and the confirmation request (outbound)
	form["first_name"], form["last_name"] = `Ann "Nan"`, "Lee, Jr"
	e.submitForm(a.agent, form)
	e.text(numA, cust1, `=HYPERLINK("http://x","y")`)
	e.clock.Advance(12 * time.Hour) // 03:00 UTC the next day: still the 4th in New York
	e.text(numA, cust1, "@SUM(A1)")
	e.text(numA, cust1, "YES")
	e.text(numA, cust1, "STOP") // a hidden opt-out confirmation
	e.text(numA, cust2, "plain, \"quoted\" text")
	e.text(numB, cust3, "Bolt's secret")

	th := e.mustThread(a.agent, cust1)
	// A lead whose name a spreadsheet would take for a formula.
	th2 := e.mustThread(a.agent, cust2)
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + th2.ID + "/lead", token: a.agent,
		body: map[string]any{"first_name": "=cmd|' /C calc'!A0", "last_name": "X", "email": "x@example.com"}}), http.StatusCreated, "")

	r, rows := e.export(a.agent, "/api/threads/"+th.ID+"/export.csv")
	shown := e.get(a.agent, th.ID).Messages
	if len(rows) != len(shown) {
		t.Fatalf("%d rows, the thread shows %d messages: %v", len(rows), len(shown), rows)
	}
	for i, row := range rows {
		if len(row) != 9 || row[0] != shown[i].ID || row[1] != th.ID {
			t.Fatalf("row %d %v, want message %s", i, row, shown[i].ID)
		}
		if strings.Contains(row[8], "unsubscribed") {
			t.Fatalf("a hidden message in Download Message: %v", row)
		}
		wantStatus := "received"
		if shown[i].Direction == "outbound" {
			wantStatus = map[string]string{"queued": "pending", "sending": "pending", "sent": "sent", "delivered": "sent",
				"failed": "not sent", "undelivered": "not sent"}[shown[i].Status]
		}
		if row[7] != wantStatus {
			t.Fatalf("status %q of %s %s, want %q", row[7], shown[i].Direction, shown[i].Status, wantStatus)
		}
	}
	formula := rowWith(t, rows, `'=HYPERLINK("http://x","y")`)
	if !slices.Equal(formula[2:8], []string{"2030-03-04", "10:00:00", `Ann "Nan" Lee, Jr (` + cust1 + `)`, cust1, numA, "received"}) {
		t.Fatalf("formula row %v", formula)
	}
	if !strings.Contains(string(r.body), `"Ann ""Nan"" Lee, Jr (`+cust1+`)"`) {
		t.Fatalf("the name is not quoted as RFC 4180 says: %s", r.body)
	}
	at := rowWith(t, rows, "'@SUM(A1)")
	if at[2] != "2030-03-04" || at[3] != "22:00:00" {
		t.Fatalf("time zone: %v", at)
	}

	// Download All: every message of the company, the hidden one too, no other company's.
	_, all := e.export(compliance, "/api/messages/export.csv")
	if len(all) != len(rows)+2 {
		t.Fatalf("Download All has %d rows, want %d: %v", len(all), len(rows)+2, all)
	}
	hidden := 0
	for _, row := range all {
		if strings.Contains(row[8], "secret") || row[5] == numB || row[6] == numB {
			t.Fatalf("another company's message: %v", row)
		}
		if strings.Contains(strings.ToLower(row[8]), "unsubscribed") {
			hidden++
		}
	}
	if hidden != 1 {
		t.Fatalf("the hidden opt-out confirmation is not in Download All: %v", all)
	}
	plain := rowWith(t, all, `plain, "quoted" text`)
	if plain[4] != `'=cmd|' /C calc'!A0 X (`+cust2+`)` || plain[5] != cust2 || plain[7] != "received" {
		t.Fatalf("a formula-like name: %v", plain)
	}
	for _, row := range all {
		if row[7] != "received" && !strings.Contains(row[4], `Ann "Nan"`) {
			t.Fatalf("an outbound message outside cust1's thread: %v", row)
		}
	}

	// Company B sees only its own.
	_, bAll := e.export(b.agent, "/api/messages/export.csv")
	if len(bAll) != 1 || bAll[0][8] != "Bolt's secret" {
		t.Fatalf("Bolt's export %v", bAll)
	}
	// Another company's thread is not found; no token, no export.
	expect(t, e.do(req{method: "GET", path: "/api/threads/" + th.ID + "/export.csv", token: b.agent}), http.StatusNotFound, "not_found")
	expect(t, e.do(req{method: "GET", path: "/api/messages/export.csv"}), http.StatusUnauthorized, "unauthorized")

	// Messages off: no export.
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok,
		body: map[string]any{"sms_enabled": false}}), http.StatusOK, "")
	expect(t, e.do(req{method: "GET", path: "/api/messages/export.csv", token: a.agent, header: minPosHeader(e.head())}), http.StatusForbidden, "sms_disabled")
}
