package app_test

// End-to-end tests through HTTP of the send-time compliance settings: the
// after-hours auto-reply, the automated texts a company words itself, with
// twilio-go talking to the fake Twilio and the app's clock in the test's
// hands (app.Config.Now). Every decision to queue a text is taken inside
// the webhook's request, so what was queued is known once it has answered.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

// weekdayHours are 09:00–17:00 Monday to Friday.
func weekdayHours() map[string]any {
	day := [][]string{{"09:00", "17:00"}}
	return map[string]any{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": [][]string{}, "sun": [][]string{}}
}

// putAutoReply sets the auto-reply and checks the 200.
func (e *env) putAutoReply(token string, body map[string]any) {
	e.t.Helper()
	r := e.do(req{method: "PUT", path: "/api/settings/auto-reply", token: token, body: body})
	expect(e.t, r, http.StatusOK, "")
	checkPosition(e.t, r)
}

// autoReplies are the auto-replies queued to a customer, from the event store.
func (e *env) autoReplies(companyID, customer string) []conversation.OutboundMessageQueued {
	e.t.Helper()
	var out []conversation.OutboundMessageQueued
	for _, m := range e.queued(companyID, customer) {
		if m.AutoReply {
			out = append(out, m)
		}
	}
	return out
}

// sentTo are the bodies the fake Twilio accepted for customer.
func (e *outEnv) sentTo(customer string) []string {
	var out []string
	for _, r := range e.fake.Sent() {
		if r.To == customer {
			out = append(out, r.Body)
		}
	}
	return out
}

func TestAutoReplyOutsideBusinessHours(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t) // the clock starts on Monday 4 March 2030, 15:00 UTC
	a := e.newTenantIn("Acme", numA, "America/New_York")
	admin := a.admin(e.env)
	e.giveConsent(a.ID, numA, cust1, true)
	e.giveConsent(a.ID, numA, cust3, true)
	e.giveConsent(a.ID, numA, cust2, false) // pending

	e.putAutoReply(admin, map[string]any{"enabled": true, "body": "{{company_name}}: we are closed; back at 9.", "business_hours": weekdayHours()})
	r := e.do(req{method: "GET", path: "/api/settings/auto-reply", token: a.agent})
	expect(t, r, http.StatusOK, "")
	var got struct {
		Enabled       bool                  `json:"enabled"`
		Body          string                `json:"body"`
		BusinessHours map[string][][]string `json:"business_hours"`
		TimeZone      string                `json:"time_zone"`
	}
	r.json(t, &got)
	if !got.Enabled || got.Body != "{{company_name}}: we are closed; back at 9." || len(got.BusinessHours) != 7 ||
		!slices.Equal(got.BusinessHours["wed"][0], []string{"09:00", "17:00"}) || len(got.BusinessHours["sun"]) != 0 || got.TimeZone != "America/New_York" {
		t.Fatalf("GET auto-reply %+v", got)
	}

	// 10:00 in New York, inside the hours: no auto-reply.
	e.customerTexts(numA, cust1, "Is Tuesday free?")
	if n := len(e.autoReplies(a.ID, cust1)); n != 0 {
		t.Fatalf("%d auto-replies inside business hours", n)
	}

	// 18:00 in New York: the auto-reply, sent through Twilio and shown in the thread.
	e.clock.Advance(8 * time.Hour)
	e.customerTexts(numA, cust1, "Are you open tomorrow?")
	e.until("the auto-reply sent", func() bool { return len(e.sentTo(cust1)) == 1 })
	if got := e.sentTo(cust1); got[0] != "Acme: we are closed; back at 9." {
		t.Fatalf("sent %q", got)
	}
	th := e.mustThread(a.agent, cust1)
	full := e.get(a.agent, th.ID)
	last := full.Messages[len(full.Messages)-1]
	if last.Direction != "outbound" || !last.Automated || last.App != "automated" || last.Body != "Acme: we are closed; back at 9." {
		t.Fatalf("the thread's last message %+v", last)
	}

	// Another text within 12 hours: none.
	e.clock.Advance(30 * time.Minute)
	e.customerTexts(numA, cust1, "Hello?")
	if n := len(e.autoReplies(a.ID, cust1)); n != 1 {
		t.Fatalf("%d auto-replies within 12 hours, want 1", n)
	}

	// A keyword from a consenting customer, outside the hours: consent's
	// own answer, no auto-reply.
	e.customerTexts(numA, cust3, "HELP")
	if got := automatedKinds(e.queued(a.ID, cust3)); !slices.Equal(got, []string{"help"}) {
		t.Fatalf("queued to a HELP: %v", got)
	}

	// A customer whose consent is not yes: none.
	e.customerTexts(numA, cust2, "Hi, who is this?")
	if q := e.queued(a.ID, cust2); len(q) != 0 {
		t.Fatalf("queued to a customer without consent: %v", automatedKinds(q))
	}

	// 12 hours after the first (Tuesday 06:00 in New York, still outside
	// the hours): the next one.
	e.clock.Advance(11*time.Hour + 30*time.Minute)
	e.customerTexts(numA, cust1, "Up early, are you?")
	e.until("the second auto-reply sent", func() bool { return len(e.sentTo(cust1)) == 2 })
	replies := e.autoReplies(a.ID, cust1)
	if len(replies) != 2 || !replies[1].QueuedAt.Equal(replies[0].QueuedAt.Add(12*time.Hour)) {
		t.Fatalf("auto-replies %+v", replies)
	}

	// Turned off: none.
	e.putAutoReply(admin, map[string]any{"enabled": false, "body": "", "business_hours": weekdayHours()})
	e.clock.Advance(13 * time.Hour) // Tuesday 19:00
	e.customerTexts(numA, cust1, "Anyone?")
	if n := len(e.autoReplies(a.ID, cust1)); n != 2 {
		t.Fatalf("%d auto-replies after it was turned off, want 2", n)
	}
}

func TestAutoReplySettingsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	admin := a.admin(e)
	for _, tt := range []struct {
		name string
		body map[string]any
		code string
		says string
	}{
		{"enabled without words", map[string]any{"enabled": true, "body": "", "business_hours": weekdayHours()}, "invalid_auto_reply", "body is required"},
		{"overlapping ranges", map[string]any{"enabled": true, "body": "Closed", "business_hours": map[string]any{
			"mon": [][]string{{"09:00", "13:00"}, {"12:00", "17:00"}}}}, "invalid_business_hours", "overlap"},
		{"not HH:MM", map[string]any{"enabled": true, "body": "Closed", "business_hours": map[string]any{"mon": [][]string{{"9am", "5pm"}}}}, "invalid_business_hours", "9am"},
		{"no hours", map[string]any{"enabled": true, "body": "Closed"}, "invalid_request", "business_hours"},
		{"too long", map[string]any{"enabled": true, "body": strings.Repeat("x", 321), "business_hours": weekdayHours()}, "invalid_auto_reply", "320"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(req{method: "PUT", path: "/api/settings/auto-reply", token: admin, body: tt.body})
			expect(t, r, http.StatusBadRequest, tt.code)
			if msg := errorMessage(t, r); !strings.Contains(msg, tt.says) {
				t.Fatalf("message %q does not say %q", msg, tt.says)
			}
		})
	}
	// Only an admin changes settings.
	expect(t, e.do(req{method: "PUT", path: "/api/settings/auto-reply", token: a.agent,
		body: map[string]any{"enabled": false, "business_hours": weekdayHours()}}), http.StatusForbidden, "forbidden")
	expect(t, e.do(req{method: "PUT", path: "/api/settings/texts", token: e.addUser(a.ID, "compliance"),
		body: map[string]any{}}), http.StatusForbidden, "forbidden")
}

func TestAutomatedTextsWordedByTheCompany(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme Dental", numA)
	admin := a.admin(e.env)
	compliance := e.addUser(a.ID, "compliance")

	// A text that leaves out STOP is refused, naming what it misses.
	r := e.do(req{method: "PUT", path: "/api/settings/texts", token: admin, body: map[string]any{
		"resubscribed": "Welcome back to Acme Dental texts.",
		"help_reply":   "{{company_name}}: we will help. Reply STOP to opt out.",
	}})
	expect(t, r, http.StatusBadRequest, "invalid_text")
	msg := errorMessage(t, r)
	if !strings.Contains(msg, "resubscribed does not say STOP") || !strings.Contains(msg, "help_reply gives no contact") {
		t.Fatalf("message %q", msg)
	}
	var refusal struct {
		Error struct {
			Missing []struct{ Text, Missing string } `json:"missing"`
		} `json:"error"`
	}
	r.json(t, &refusal)
	if len(refusal.Error.Missing) != 2 || refusal.Error.Missing[0].Text != "help_reply" || refusal.Error.Missing[1].Text != "resubscribed" {
		t.Fatalf("missing %+v", refusal.Error.Missing)
	}

	confirmation := "{{company_name}}: reply YES for appointment texts. Msg&data rates may apply. HELP for help, STOP to end."
	help := "{{company_name}}: help at help@acme.example or {{messaging_number}}. STOP to end."
	r = e.do(req{method: "PUT", path: "/api/settings/texts", token: admin, body: map[string]any{
		"confirmation_request": confirmation, "help_reply": help,
	}})
	expect(t, r, http.StatusOK, "")
	var texts map[string]string
	r = e.do(req{method: "GET", path: "/api/settings/texts", token: compliance})
	expect(t, r, http.StatusOK, "")
	r.json(t, &texts)
	if texts["confirmation_request"] != confirmation || texts["help_reply"] != help ||
		!strings.Contains(texts["opt_out_confirmation"], "no more messages") || !strings.Contains(texts["resubscribed"], "STOP") {
		t.Fatalf("GET texts %v", texts)
	}

	// The next automated texts use the company's words, and the audit shows
	// the words that were sent.
	e.submitForm(a.agent, formBody(cust1, true))
	wantRequest := "Acme Dental: reply YES for appointment texts. Msg&data rates may apply. HELP for help, STOP to end."
	e.until("the confirmation request sent", func() bool { return len(e.sentTo(cust1)) == 1 })
	e.customerTexts(numA, cust1, "HELP")
	wantHelp := "Acme Dental: help at help@acme.example or " + numA + ". STOP to end."
	e.until("the help reply sent", func() bool { return len(e.sentTo(cust1)) == 2 })
	if got := e.sentTo(cust1); got[0] != wantRequest || got[1] != wantHelp {
		t.Fatalf("sent %q", got)
	}
	au := e.audit(compliance, cust1, "")
	if len(au.Events) != 2 || au.Events[0].AutomatedText == nil || au.Events[0].AutomatedText.Text != wantRequest ||
		au.Events[1].AutomatedText == nil || au.Events[1].AutomatedText.Text != wantHelp {
		t.Fatalf("audit %+v", au.Events)
	}
}
