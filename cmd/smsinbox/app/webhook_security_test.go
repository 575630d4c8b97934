package app_test

// End-to-end tests of what a Twilio webhook must look like before smsinbox
// records anything: Twilio's SID shapes, the parameters Twilio always sends,
// and the account smsinbox is configured for. Twilio's signature joins every
// name and value without separators, so a loose check lets a captured
// request be cut differently and replayed as a "new" message.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// received lists the MessageSids of the inbound texts recorded in the
// customer's conversation, from the event store.
func (e *env) received(companyID, customer string) []string {
	e.t.Helper()
	var out []string
	for _, m := range conversationEvents[conversation.MessageReceived](e, companyID, customer, conversation.TypeMessageReceived) {
		out = append(out, m.MessageSID)
	}
	return out
}

// recorded is what a refused webhook must leave as it was: the customer's
// consent stream, the inbound texts and the texts queued to them, and the
// unrouted texts.
type recorded struct {
	consent, received, queued, unrouted int
}

func (e *env) recorded(companyID, customer string) recorded {
	e.t.Helper()
	return recorded{
		consent:  len(e.consentEvents(companyID, customer)),
		received: len(e.received(companyID, customer)),
		queued:   len(e.queued(companyID, customer)),
		unrouted: len(e.unrouted()),
	}
}

// Issue 11's replay, exactly: the customer texts STOP, then START (the
// request is captured), then STOP again. The captured START is re-sent with
// NumMedia folded into the MessageSid (`MessageSid=SMx…&NumMedia=0` becomes
// `MessageSid=SMx…NumMedia0`): its signature still matches, and a loose SID
// check reads it as a new message that opts the customer in again. It must
// be refused, with nothing recorded and nothing texted.
func TestWebhookShiftedReplayIsRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")

	e.text(numA, cust1, "STOP")
	e.clock.Advance(time.Minute)
	start := e.inboundParams(numA, cust1, "START")
	e.deliver(start) // captured on the way
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" {
		t.Fatalf("after START: %+v", c)
	}
	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "STOP")
	if c := e.consentOf(a.agent, cust1); c.Status != "no" {
		t.Fatalf("after the second STOP: %+v", c)
	}
	before := e.recorded(a.ID, cust1)
	auditBefore := e.audit(compliance, cust1, "")

	shifted := url.Values{}
	for k, vs := range start {
		shifted[k] = slices.Clone(vs)
	}
	shifted.Del("NumMedia")
	shifted.Set("MessageSid", start.Get("MessageSid")+"NumMedia"+start.Get("NumMedia"))
	signedURL := e.publicURL + twilio.InboundPath
	if twilio.Sign(app.SandboxToken, signedURL, shifted) != twilio.Sign(app.SandboxToken, signedURL, start) {
		t.Fatal("the shifted request does not keep the captured signature: the test replays nothing")
	}

	e.clock.Advance(time.Minute)
	r := e.postRawWebhook(shifted.Encode(), start, nil)
	if r.status != http.StatusBadRequest && r.status != http.StatusForbidden {
		t.Errorf("the shifted replay answered %d, want 400 or 403: %s", r.status, r.body)
	}
	if c := e.consentOf(a.agent, cust1); c.Status != "no" {
		t.Errorf("consent after the shifted replay: %+v, want no", c)
	}
	if after := e.recorded(a.ID, cust1); after != before {
		t.Errorf("the shifted replay recorded something: before %+v, after %+v (received %v)", before, after, e.received(a.ID, cust1))
	}
	if au := e.audit(compliance, cust1, ""); !slices.Equal(au.types(), auditBefore.types()) || au.StatusAt != "no" {
		t.Fatalf("audit after the shifted replay: %v (status %s), before %v", au.types(), au.StatusAt, auditBefore.types())
	}
}

// without is a copy of form with kv applied: a value, or "\x00delete" to
// leave the parameter out.
func without(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range form {
		out[k] = slices.Clone(vs)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00delete" {
			out.Del(kv[i])
			continue
		}
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// A signed inbound webhook without Twilio's shape is refused with 400
// invalid_webhook and records nothing, in the sandbox too; a well-formed one
// of any account is taken there (the sandbox has no account of its own).
func TestWebhookRefusesWhatTwilioNeverSends(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "Hello")
	sid := e.inboundParams(numA, cust1, "x").Get("MessageSid")
	tests := []struct {
		name string
		kv   []string
	}{
		{"no AccountSid", []string{"AccountSid", "\x00delete"}},
		{"AccountSid not of Twilio's shape", []string{"AccountSid", "AC1"}},
		{"MessageSid in upper-case hex", []string{"MessageSid", "SM" + strings.ToUpper(sid[2:])}},
		{"MessageSid with a name folded in", []string{"MessageSid", sid + "NumMedia0", "NumMedia", "\x00delete"}},
		{"MessageSid of letters and digits", []string{"MessageSid", "SMsandbox" + sid[2:]}},
		{"no Body", []string{"Body", "\x00delete"}},
		{"no NumMedia", []string{"NumMedia", "\x00delete"}},
		{"no From", []string{"From", "\x00delete"}},
	}
	for _, to := range []string{numA, numNone} { // a company's number, and nobody's (unrouted)
		before := e.recorded(a.ID, cust1)
		for _, tc := range tests {
			form := without(e.inboundParams(to, cust1, "START"), tc.kv...)
			r := e.postWebhook(form, nil)
			if r.status != http.StatusBadRequest || r.errorCode() != "invalid_webhook" {
				t.Errorf("to %s, %s: %d %s, want 400 invalid_webhook", to, tc.name, r.status, r.body)
			}
		}
		if after := e.recorded(a.ID, cust1); after != before {
			t.Fatalf("to %s: refused webhooks recorded something: before %+v, after %+v", to, before, after)
		}
	}
	// The sandbox takes any well-formed account.
	e.deliver(without(e.inboundParams(numA, cust1, "Hi again"), "AccountSid", twilio.NewSID("AC")))
	if got := e.received(a.ID, cust1); len(got) != 2 {
		t.Fatalf("received %v, want the first text and the one of another account", got)
	}
}

// With TWILIO_ACCOUNT_SID set, a webhook must name that account: another
// account's (signed with our token all the same) is refused with 403
// wrong_account, a missing one too, and nothing is recorded; the status
// callback likewise.
func TestWebhookOfAnotherAccountIsRefused(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	id := e.mustReply(a.agent, threadID, "See you Tuesday")
	sid := e.waitSent(a.ID, cust1, id)
	// The sender records the answer, then indexes its SID: wait for both.
	e.until("the SID indexed", func() bool { return len(e.sidEvents(sid)) > 0 })
	before := e.recorded(a.ID, cust1)
	sidBefore := e.sidEvents(sid)
	other := twilio.NewSID("AC")

	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"another account", without(e.inboundParams(numA, cust1, "STOP"), "AccountSid", other), http.StatusForbidden, "wrong_account"},
		{"no account", without(e.inboundParams(numA, cust1, "STOP"), "AccountSid", "\x00delete"), http.StatusBadRequest, "invalid_webhook"},
		{"another account, nobody's number", without(e.inboundParams(numNone, cust1, "STOP"), "AccountSid", other), http.StatusForbidden, "wrong_account"},
	} {
		if r := e.signedPost(twilio.InboundPath, tc.form); r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("inbound, %s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	status := url.Values{"MessageSid": {sid}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "AccountSid": {twilioSID}}
	for _, tc := range []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{"another account", without(status, "AccountSid", other), http.StatusForbidden, "wrong_account"},
		{"no account", without(status, "AccountSid", "\x00delete"), http.StatusBadRequest, "invalid_webhook"},
		{"no MessageStatus, the legacy SmsStatus", without(status, "MessageStatus", "\x00delete", "SmsStatus", "undelivered"), http.StatusBadRequest, "invalid_webhook"},
		{"MessageSid with a name folded in", without(status, "MessageSid", sid+"MessageStatusundelivered", "MessageStatus", "\x00delete"), http.StatusBadRequest, "invalid_webhook"},
	} {
		if r := e.signedPost(twilio.StatusPath, tc.form); r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("status callback, %s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	if after := e.recorded(a.ID, cust1); after != before {
		t.Fatalf("refused webhooks recorded something: before %+v, after %+v", before, after)
	}
	if got := e.sidEvents(sid); !slices.Equal(got, sidBefore) {
		t.Fatalf("SID index %v, before %v", got, sidBefore)
	}
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" {
		t.Fatalf("consent %+v, want yes", c)
	}
	// Our account's callback is taken.
	expect(t, e.statusCallback(sid, "delivered", 0), http.StatusOK, "")
	e.waitStatus(a.agent, threadID, id, "delivered")
}
