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
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// received lists the MessageSids of the inbound texts recorded in the
// customer's conversation, from the event store.
func (e *env) received(companyID, customer string) []string {
	e.t.Helper()
	var out []string
	for rec, err := range e.app.Store.ReadStream(e.t.Context(), conversation.StreamID(companyID, phone.Number(customer)), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		if rec.Type != conversation.TypeMessageReceived {
			continue
		}
		ev, err := conversation.Decode(rec.Type, rec.Data)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev.(conversation.MessageReceived).MessageSID)
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
