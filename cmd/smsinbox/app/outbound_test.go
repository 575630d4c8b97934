package app_test

// End-to-end tests through HTTP of docs/rules.md, Messages (outbound): staff
// replies and automated texts, sent with twilio-go to a fake of Twilio's REST
// API (twiliofake, TWILIO_API_URL), Twilio's answers and status callbacks,
// at most once, and the sandbox.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "faketoken0123456789"
	// outPublicURL is PUBLIC_URL in these tests: webhooks are signed against
	// it, and texts ask Twilio to call back at it.
	outPublicURL = "https://sms.example.com"
)

// twilioHooks is the transport of the app's calls to Twilio: before runs
// before a request goes to the fake (it may block), after once the fake's
// answer is in, before the sender sees it.
type twilioHooks struct {
	mu     sync.Mutex
	before func(*http.Request)
	after  func(body []byte)
}

func (h *twilioHooks) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	before, after := h.before, h.after
	h.mu.Unlock()
	if before != nil {
		before(r)
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || after == nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	after(body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (h *twilioHooks) set(before func(*http.Request), after func([]byte)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.before, h.after = before, after
}

// outEnv is an smsinbox with Twilio credentials, whose REST API is a fake.
type outEnv struct {
	*env
	fake  *twiliofake.Fake
	hooks *twilioHooks
	// logs signals what the app logs (newOutEnv's apps).
	logs *signals
	// token checks webhook signatures (the auth token, or "sandbox").
	token string
}

func newOutEnv(t *testing.T) *outEnv { return newOutEnvWith(t, nil) }

// newOutEnvWith is newOutEnv whose app's configuration configure changes
// further (when not nil).
func newOutEnvWith(t *testing.T, configure func(*app.Config)) *outEnv {
	t.Helper()
	fake := twiliofake.New(t, twilioSID, twilioToken)
	hooks := &twilioHooks{}
	var logs *signals
	e := newEnvWith(t, envConfig{adminToken: adminTok, publicURL: outPublicURL, configure: func(c *app.Config) {
		c.TwilioSID, c.TwilioToken, c.TwilioAPIURL = twilioSID, twilioToken, fake.URL()
		c.TwilioHTTPClient = &http.Client{Transport: hooks, Timeout: 10 * time.Second}
		logs = signalLogs(c)
		if configure != nil {
			configure(c)
		}
	}})
	return &outEnv{env: e, fake: fake, hooks: hooks, token: twilioToken, logs: logs}
}

// newSandboxOutEnv is an smsinbox without credentials; the fake is its
// TWILIO_API_URL all the same, to show that nothing reaches it.
func newSandboxOutEnv(t *testing.T) *outEnv {
	t.Helper()
	fake := twiliofake.New(t, twilioSID, twilioToken)
	e := newEnvWith(t, envConfig{adminToken: adminTok, publicURL: outPublicURL, configure: func(c *app.Config) {
		c.TwilioAPIURL = fake.URL()
	}})
	return &outEnv{env: e, fake: fake, token: app.SandboxToken}
}

// signedPost posts a Twilio webhook form to path, signed with the env's token
// against PUBLIC_URL.
func (e *outEnv) signedPost(path string, form url.Values) response {
	e.t.Helper()
	hr, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set(twilio.SignatureHeader, twilio.Sign(e.token, e.publicURL+path, form))
	resp, err := e.client.Do(hr)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// customerTexts delivers an inbound SMS signed as Twilio would.
func (e *outEnv) customerTexts(to, from, body string) {
	e.t.Helper()
	expect(e.t, e.signedPost(twilio.InboundPath, e.inboundParams(to, from, body)), http.StatusOK, "")
}

// statusCallback posts Twilio's status callback for sid.
func (e *outEnv) statusCallback(sid, status string, errorCode int) response {
	e.t.Helper()
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "AccountSid": {twilioSID}}
	if errorCode != 0 {
		form.Set("ErrorCode", strconv.Itoa(errorCode))
	}
	return e.signedPost(twilio.StatusPath, form)
}

// consentDecider appends consent events as the consent use cases would (for
// seeding a customer's consent).
var consentDecider = commands.Decider[consent.State, consent.Event, consent.Command]{
	Evolve: consent.Evolve, Decide: consent.Decide, Decode: consent.Decode, SchemaVersion: consent.SchemaVersion,
}

// giveConsent moves the customer's consent with the company's number to
// pending (a form with the box ticked) and, with yes, to yes (the customer's
// YES), through the consent decider.
func (e *env) giveConsent(companyID, number, customer string, yes bool) {
	e.t.Helper()
	ctx := context.Background()
	stream := consent.StreamID(companyID, phone.Number(customer))
	at := e.clock.Now().UTC()
	request := consent.RequestConsent{CompanyID: companyID, CustomerPhone: phone.Number(customer), MessagingNumber: phone.Number(number), App: "text_us_now", At: at}
	if _, err := commands.Execute(ctx, e.app.Store, consentDecider, stream, consent.Command(request), eventstore.Metadata{Actor: "app:text_us_now"}); err != nil {
		e.t.Fatalf("request consent: %v", err)
	}
	if !yes {
		return
	}
	sid := twilio.NewSID("SM")
	confirm := consent.ReceiveInbound{CompanyID: companyID, CustomerPhone: phone.Number(customer), MessagingNumber: phone.Number(number),
		To: phone.Number(number), MessageSID: sid, Body: "YES", At: at}
	if _, err := commands.Execute(ctx, e.app.Store, consentDecider, stream, consent.Command(confirm), eventstore.Metadata{Actor: "customer:" + customer, CorrelationID: sid}); err != nil {
		e.t.Fatalf("confirm consent: %v", err)
	}
}

// reply posts a staff reply and returns the answer.
func (e *env) reply(token, threadID string, body any) response {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/threads/" + threadID + "/messages", token: token, body: body})
}

// mustReply posts a staff reply, checks the 202 and returns the message ID.
func (e *env) mustReply(token, threadID, text string) string {
	e.t.Helper()
	r := e.reply(token, threadID, map[string]any{"body": text})
	expect(e.t, r, http.StatusAccepted, "")
	checkPosition(e.t, r)
	var a struct {
		MessageID string `json:"message_id"`
	}
	r.json(e.t, &a)
	if a.MessageID == "" {
		e.t.Fatalf("no message_id: %s", r.body)
	}
	return a.MessageID
}

// messageIn finds a message of the thread (as the thread shows it).
func (e *env) messageIn(token, threadID, id string) (message, bool) {
	e.t.Helper()
	for _, m := range e.get(token, threadID).Messages {
		if m.ID == id {
			return m, true
		}
	}
	return message{}, false
}

// waitStatus waits until the message shows status and returns it.
func (e *env) waitStatus(token, threadID, id, status string) message {
	e.t.Helper()
	var m message
	e.until("message "+id+" "+status, func() bool {
		found, ok := e.messageIn(token, threadID, id)
		m = found
		return ok && m.Status == status
	})
	return m
}

// waitSent waits until Twilio's answer to message id is recorded and
// returns its SID.
func (e *env) waitSent(companyID, customer, id string) string {
	e.t.Helper()
	var sid string
	e.until("Twilio's answer recorded", func() bool {
		for _, ev := range e.outboundEvents(companyID, customer, id) {
			if s, ok := ev.(conversation.OutboundMessageSent); ok {
				sid = s.TwilioSID
				return true
			}
		}
		return false
	})
	return sid
}

// outboundEvents are the events of the customer's conversation that concern
// outbound message id, by type.
func (e *env) outboundEvents(companyID, customer, id string) []conversation.Event {
	e.t.Helper()
	var out []conversation.Event
	for rec, err := range e.app.Store.ReadStream(context.Background(), conversation.StreamID(companyID, phone.Number(customer)), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		var about struct {
			MessageID string `json:"message_id"`
		}
		if json.Unmarshal(rec.Data, &about) != nil || about.MessageID != id || rec.Type == conversation.TypeMessageReceived {
			continue
		}
		ev, err := conversation.Decode(rec.Type, rec.Data)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func eventTypes(evs []conversation.Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.EventType()
	}
	return out
}

// sidEvents are the SID index stream's event types.
func (e *env) sidEvents(sid string) []string {
	e.t.Helper()
	var out []string
	for rec, err := range e.app.Store.ReadStream(context.Background(), conversation.SIDStreamID(sid), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, rec.Type)
	}
	return out
}

// bodies are the texts of requests to the fake.
func bodies(reqs []twiliofake.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Body
	}
	return out
}

// consentingThread is a tenant whose customer cust1 texted and consented:
// the thread's ID.
func (e *outEnv) consentingThread(tn tenant, customer string) string {
	e.t.Helper()
	e.customerTexts(tn.MessagingNumber, customer, "Is Tuesday OK?")
	e.giveConsent(tn.ID, tn.MessagingNumber, customer, true)
	return e.mustThread(tn.agent, customer).ID
}

// ---------------------------------------------------------------- tests

func TestOutboundStaffReplySentOnce(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	e.command(a.agent, threadID, "read")
	e.clock.Advance(time.Minute)

	id := e.mustReply(a.agent, threadID, "Yes, Tuesday at 10:00 works.")
	// Twilio answered "queued": the message is Twilio's (sending) until a callback says more.
	sid := e.waitSent(a.ID, cust1, id)
	m := e.waitStatus(a.agent, threadID, id, "sending")
	if m.Direction != "outbound" || m.From != numA || m.To != cust1 || m.Body != "Yes, Tuesday at 10:00 works." ||
		m.Automated || m.App != "dashboard" || m.ErrorCode != nil || m.CreatedAt != "2030-03-04T15:01:00Z" {
		t.Fatalf("message %+v", m)
	}
	sent := e.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("the fake got %d texts: %v", len(sent), bodies(e.fake.Requests()))
	}
	if s := sent[0]; s.SID != sid || s.From != numA || s.To != cust1 || s.Body != "Yes, Tuesday at 10:00 works." ||
		s.StatusCallback != twilio.StatusCallbackURL(outPublicURL+twilio.StatusPath, a.ID, uuid.MustParse(id)) || s.AccountSID != twilioSID {
		t.Fatalf("sent %+v", s)
	}
	if u := e.fake.Unexpected(); len(u) != 0 {
		t.Fatalf("smsinbox called other Twilio resources: %v", u)
	}

	// The reply moved the activity and preview, not the unread flag.
	th := e.get(a.agent, threadID)
	if th.Unread || th.LastMessagePreview != "Yes, Tuesday at 10:00 works." ||
		!th.LastActivityAt.Equal(time.Date(2030, 3, 4, 15, 1, 0, 0, time.UTC)) ||
		th.LastCustomerReplyAt == nil || !th.LastCustomerReplyAt.Equal(time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)) {
		t.Fatalf("thread %+v", th)
	}
	if len(th.Messages) != 2 || th.Messages[0].Direction != "inbound" || th.Messages[1].ID != id {
		t.Fatalf("messages %+v", th.Messages)
	}

	// Callbacks move it on; it was sent once.
	expect(t, e.statusCallback(sent[0].SID, "sent", 0), http.StatusOK, "")
	e.waitStatus(a.agent, threadID, id, "sent")
	expect(t, e.statusCallback(sent[0].SID, "delivered", 0), http.StatusOK, "")
	e.waitStatus(a.agent, threadID, id, "delivered")
	e.settled() // the sender has handled the callbacks: a resend would have gone out
	if n := len(e.fake.Requests()); n != 1 {
		t.Fatalf("%d requests to Twilio, want 1", n)
	}
	if got := eventTypes(e.outboundEvents(a.ID, cust1, id)); !slices.Equal(got, []string{
		"OutboundMessageQueued", "OutboundSendAttempted", "OutboundMessageSent", "OutboundMessageStatusChanged", "OutboundMessageStatusChanged"}) {
		t.Fatalf("events %v", got)
	}
	if got := e.sidEvents(sent[0].SID); !slices.Equal(got, []string{"MessageSIDAssigned"}) {
		t.Fatalf("SID index %v", got)
	}
}

func TestOutboundConsentRequired(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	e.customerTexts(numA, cust1, "hello")
	e.customerTexts(numA, cust2, "hello")
	e.giveConsent(a.ID, numA, cust2, false) // pending
	for _, customer := range []string{cust1, cust2} {
		threadID := e.mustThread(a.agent, customer).ID
		expect(t, e.reply(a.agent, threadID, map[string]any{"body": "Hi!"}), http.StatusConflict, "consent_required")
		if msgs := e.get(a.agent, threadID).Messages; len(msgs) != 1 {
			t.Fatalf("%s: a refused reply was recorded: %+v", customer, msgs)
		}
	}
	// Consent given on the number, then the customer sends STOP: no again.
	e.giveConsent(a.ID, numA, cust3, true)
	e.customerTexts(numA, cust3, "hello")
	threadID := e.mustThread(a.agent, cust3).ID
	e.mustReply(a.agent, threadID, "Thanks!")
	e.customerTexts(numA, cust3, "STOP")
	expect(t, e.reply(a.agent, threadID, map[string]any{"body": "Are you sure?"}), http.StatusConflict, "consent_required")

	e.settled() // the sender has handled everything recorded
	for _, r := range e.fake.Requests() {
		if r.Body == "Hi!" || r.Body == "Are you sure?" {
			t.Fatalf("a refused reply reached Twilio: %+v", r)
		}
	}
}

func TestOutboundValidation(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	b := e.newTenant("Bolt", numB)
	threadID := e.consentingThread(a, cust1)

	bad := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"empty text", map[string]any{"body": ""}, 400, "invalid_request"},
		{"white space", map[string]any{"body": "  \n "}, 400, "invalid_request"},
		{"no body field", map[string]any{}, 400, "invalid_request"},
		{"too long", map[string]any{"body": strings.Repeat("a", 1601)}, 400, "invalid_request"},
		{"unknown field", map[string]any{"body": "hi", "to": cust2}, 400, "unknown_field"},
		{"no JSON body", "", 400, "empty_body"},
		{"bad JSON", `{"body":`, 400, "invalid_json"},
	}
	for _, tc := range bad {
		if r := e.reply(a.agent, threadID, tc.body); r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	// 1,600 characters (not bytes) is the limit.
	e.mustReply(a.agent, threadID, strings.Repeat("é", 1600))

	expect(t, e.reply(b.agent, threadID, map[string]any{"body": "hi"}), http.StatusNotFound, "not_found")
	expect(t, e.reply(a.agent, "not-a-uuid", map[string]any{"body": "hi"}), http.StatusNotFound, "not_found")
	expect(t, e.reply("", threadID, map[string]any{"body": "hi"}), http.StatusUnauthorized, "unauthorized")
	for _, role := range []string{"compliance", "light", "live_chat"} {
		expect(t, e.reply(e.addUser(a.ID, role), threadID, map[string]any{"body": "hi"}), http.StatusForbidden, "forbidden")
	}
	admin := e.addUser(a.ID, "admin")
	e.mustReply(admin, threadID, "From the admin")
	e.until("two texts sent", func() bool { return len(e.fake.Sent()) == 2 })
	if got := bodies(e.fake.Sent()); got[1] != "From the admin" {
		t.Fatalf("sent %q", got)
	}

	off := false
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok, body: map[string]any{"sms_enabled": off}}), http.StatusOK, "")
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + threadID + "/messages", token: a.agent,
		body: map[string]any{"body": "hi"}, header: minPosHeader(e.head())}), http.StatusForbidden, "sms_disabled")
}

func TestOutboundCallbacksOutOfOrder(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	id := e.mustReply(a.agent, threadID, "See you then.")
	sid := e.waitSent(a.ID, cust1, id)

	// delivered, then a late sent and queued: delivered stands.
	expect(t, e.statusCallback(sid, "delivered", 0), http.StatusOK, "")
	e.waitStatus(a.agent, threadID, id, "delivered")
	for _, late := range []string{"sent", "queued", "sending", "delivered"} {
		r := e.statusCallback(sid, late, 0)
		expect(t, r, http.StatusOK, "")
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") || !strings.Contains(string(r.body), "<Response/>") {
			t.Fatalf("answer %q %s", ct, r.body)
		}
	}
	// A final status never moves to another one either.
	expect(t, e.statusCallback(sid, "undelivered", 30003), http.StatusOK, "")
	e.settled() // the read models have applied the callback, if it was recorded
	if m := e.waitStatus(a.agent, threadID, id, "delivered"); m.ErrorCode != nil {
		t.Fatalf("error code %v", *m.ErrorCode)
	}
	if got := eventTypes(e.outboundEvents(a.ID, cust1, id)); !slices.Equal(got, []string{
		"OutboundMessageQueued", "OutboundSendAttempted", "OutboundMessageSent", "OutboundMessageStatusChanged"}) {
		t.Fatalf("events %v", got)
	}

	// undelivered with Twilio's code, on another message.
	id2 := e.mustReply(a.agent, threadID, "Hello?")
	sid2 := e.waitSent(a.ID, cust1, id2)
	expect(t, e.statusCallback(sid2, "undelivered", 30003), http.StatusOK, "")
	if m := e.waitStatus(a.agent, threadID, id2, "undelivered"); m.ErrorCode == nil || *m.ErrorCode != 30003 {
		t.Fatalf("message %+v", m)
	}

	// Signed like the inbound webhook; a bad form is 400.
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {"failed"}}
	hr, _ := http.NewRequest(http.MethodPost, e.srv.URL+twilio.StatusPath, strings.NewReader(form.Encode()))
	hr.Header.Set(twilio.SignatureHeader, twilio.Sign("wrong-token", outPublicURL+twilio.StatusPath, form))
	resp, err := e.client.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged callback: %d", resp.StatusCode)
	}
	expect(t, e.statusCallback(sid, "bogus", 0), http.StatusBadRequest, "invalid_webhook")
	expect(t, e.signedPost(twilio.StatusPath, url.Values{"MessageStatus": {"sent"}}), http.StatusBadRequest, "invalid_webhook")
}

// A callback whose SID is not known yet is kept, and applied once it is.
func TestOutboundCallbackBeforeTheSIDIsKnown(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)

	// Twilio calls back (sent, then delivered) before smsinbox has read its answer.
	var early string
	e.hooks.set(nil, func(body []byte) {
		var answer struct {
			SID string `json:"sid"`
		}
		if json.Unmarshal(body, &answer) != nil || answer.SID == "" {
			return
		}
		early = answer.SID
		for _, st := range []string{"sent", "delivered"} {
			if r := e.statusCallback(answer.SID, st, 0); r.status != http.StatusOK {
				t.Errorf("early callback %s: %d %s", st, r.status, r.body)
			}
		}
	})
	id := e.mustReply(a.agent, threadID, "On our way.")
	e.waitStatus(a.agent, threadID, id, "delivered")
	if early == "" || e.fake.Sent()[0].SID != early {
		t.Fatalf("no early callback (%q)", early)
	}
	if got := e.sidEvents(early); !slices.Equal(got, []string{"StatusCallbackKept", "StatusCallbackKept", "MessageSIDAssigned"}) {
		t.Fatalf("SID index %v", got)
	}
	// A callback for a SID smsinbox never sent is kept (nothing is lost).
	expect(t, e.statusCallback("SMffffffffffffffffffffffffffffffff", "delivered", 0), http.StatusOK, "")
	if got := e.sidEvents("SMffffffffffffffffffffffffffffffff"); !slices.Equal(got, []string{"StatusCallbackKept"}) {
		t.Fatalf("unknown SID's index %v", got)
	}
}

// Twilio's 21610: the customer opted out at the carrier. The message is
// failed, and the consent records a carrier-level opt-out: no, actor twilio,
// in the audit's hash chain, with no confirmation texted; a START restores it.
func TestOutboundCarrierOptOut(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	// Consent as production captures it (the form, then the customer's YES),
	// so that every consent event is in the hash chain.
	e.submitForm(a.agent, formBody(cust1, true))
	e.until("the confirmation request sent", func() bool { return len(e.fake.Sent()) == 1 })
	e.customerTexts(numA, cust1, "YES")
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" {
		t.Fatalf("consent before 21610: %+v", c)
	}
	threadID := e.mustThread(a.agent, cust1).ID

	e.fake.FailNext(1, http.StatusBadRequest, 21610, "Attempt to send to unsubscribed recipient")
	id := e.mustReply(a.agent, threadID, "Special offer!")
	m := e.waitStatus(a.agent, threadID, id, "failed")
	if m.ErrorCode == nil || *m.ErrorCode != 21610 {
		t.Fatalf("message %+v", m)
	}
	evs := e.outboundEvents(a.ID, cust1, id)
	f, ok := evs[len(evs)-1].(conversation.OutboundMessageFailed)
	if !ok || !f.CarrierOptOut || f.ErrorCode != 21610 {
		t.Fatalf("last event %#v", evs[len(evs)-1])
	}

	// The consent is no: a further staff reply is refused.
	e.until("consent no after 21610", func() bool { return e.consentOf(a.agent, cust1).Status == "no" })
	expect(t, e.reply(a.agent, threadID, map[string]any{"body": "Still there?"}), http.StatusConflict, "consent_required")

	// The audit: the carrier-level opt-out, by Twilio, in a valid chain.
	au := e.audit(compliance, cust1, "")
	if !slices.Equal(au.types(), []string{"ConsentRequested", "ConsentConfirmed", "OptedOut"}) || au.StatusAt != "no" ||
		!au.Chain.Valid || au.Chain.Length != 3 || au.Chain.BrokenAt != nil {
		t.Fatalf("audit %v, status %s, chain %+v", au.types(), au.StatusAt, au.Chain)
	}
	out := au.Events[2]
	var evidence struct {
		CarrierOptOut bool   `json:"carrier_opt_out"`
		ErrorCode     int    `json:"error_code"`
		MessageID     string `json:"message_id"`
	}
	if err := json.Unmarshal(out.Evidence, &evidence); err != nil {
		t.Fatal(err)
	}
	wantID := consent.CarrierOptOutEventID(uuid.MustParse(id), consent.TypeOptedOut).String()
	if out.Actor != "twilio" || out.StatusBefore != "yes" || out.StatusAfter != "no" || out.AutomatedText != nil ||
		out.MessagingNumber != numA || out.EventID != wantID ||
		!evidence.CarrierOptOut || evidence.ErrorCode != 21610 || evidence.MessageID != id {
		t.Fatalf("OptedOut entry %+v, evidence %s", out, out.Evidence)
	}

	// No opt-out confirmation: the customer is not texted (once every
	// consumer is done, a confirmation would have been queued and sent).
	e.settled()
	if got := automatedKinds(e.queued(a.ID, cust1)); !slices.Equal(got, []string{"request", "staff"}) {
		t.Fatalf("queued %v, want the confirmation request and the refused reply", got)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2: %q", len(reqs), bodies(reqs))
	}
	for _, r := range reqs {
		if strings.Contains(r.Body, "unsubscribed") || r.Body == "Still there?" {
			t.Fatalf("texted after 21610: %+v", r)
		}
	}

	// The customer texts START (which Twilio forwards): yes again.
	e.customerTexts(numA, cust1, "START")
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" {
		t.Fatalf("consent after START: %+v", c)
	}
	e.mustReply(a.agent, threadID, "Welcome back!")
}

// Twilio answered 500: it did not take the text, which is sent again, once.
func TestOutboundTwilio500ThenSent(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	e.fake.FailNext(1, http.StatusInternalServerError, 20500, "Internal Server Error")
	id := e.mustReply(a.agent, threadID, "Your order is ready.")
	e.waitSent(a.ID, cust1, id)
	e.settled() // a third call would have been made by now
	reqs := e.fake.Requests()
	if len(reqs) != 2 || reqs[0].Status != 500 || reqs[1].Status != 201 || len(e.fake.Sent()) != 1 {
		t.Fatalf("requests %+v", reqs)
	}
	if got := eventTypes(e.outboundEvents(a.ID, cust1, id)); !slices.Equal(got, []string{
		"OutboundMessageQueued", "OutboundSendAttempted", "OutboundSendDeferred", "OutboundSendAttempted", "OutboundMessageSent"}) {
		t.Fatalf("events %v", got)
	}
}

// The connection dropped after the request went out: Twilio may have the
// text, so it is never sent again, and not called failed while Twilio may
// have it: it stays sending (OutboundSendOutcomeUnknown) until a status
// callback names it. The callback's URL carries the message's reference, so
// it finds the message although smsinbox never learned Twilio's SID.
// (Until issue 10 it was recorded failed, "outcome unknown", at once.)
func TestOutboundDroppedConnectionNotResent(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	e.fake.DropNext(1)
	id := e.mustReply(a.agent, threadID, "Reminder: tomorrow 10:00.")
	e.until("the unknown outcome recorded", func() bool {
		evs := e.outboundEvents(a.ID, cust1, id)
		_, ok := evs[len(evs)-1].(conversation.OutboundSendOutcomeUnknown)
		return ok
	})
	if m := e.waitStatus(a.agent, threadID, id, "sending"); m.ErrorCode != nil {
		t.Fatalf("message %+v", m)
	}
	// The next text goes out as usual (so the sender is past the first).
	id2 := e.mustReply(a.agent, threadID, "Still there?")
	e.waitSent(a.ID, cust1, id2)
	if reqs := e.fake.Requests(); len(reqs) != 2 || reqs[0].Body != "Reminder: tomorrow 10:00." || reqs[1].Body != "Still there?" {
		t.Fatalf("requests %q, want each text once", bodies(reqs))
	}

	// Twilio had taken it: its callback, to the URL of the dropped request,
	// records its SID and status.
	callbackURL := e.fake.Requests()[0].StatusCallback
	path := strings.TrimPrefix(callbackURL, outPublicURL)
	if !strings.Contains(path, "message_id="+id) {
		t.Fatalf("the StatusCallback %q does not name the message", callbackURL)
	}
	sid := "SM" + strings.Repeat("ab", 16)
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {"delivered"}, "AccountSid": {twilioSID}, "From": {numA}, "To": {cust1}}
	expect(t, e.signedPost(path, form), http.StatusOK, "")
	e.waitStatus(a.agent, threadID, id, "delivered")
	if got := eventTypes(e.outboundEvents(a.ID, cust1, id)); !slices.Equal(got, []string{"OutboundMessageQueued", "OutboundSendAttempted",
		"OutboundSendOutcomeUnknown", "OutboundMessageSent", "OutboundMessageStatusChanged"}) {
		t.Fatalf("events %v", got)
	}
	if got := e.sidEvents(sid); !slices.Equal(got, []string{"MessageSIDAssigned"}) {
		t.Fatalf("SID index %v", got)
	}
	if n := len(e.fake.Requests()); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

// An attempt recorded without its outcome (the sender stopped while calling
// Twilio) is never made again, nor called failed while a callback may still
// name it (until issue 10 it was failed at once); the customer's next text
// goes out.
func TestOutboundAttemptInFlightAfterACrash(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	// What a sender that died mid-call leaves: queued and attempted, in one append.
	at := e.clock.Now().UTC()
	q := conversation.OutboundMessageQueued{MessageID: uuid.New(), Thread: conversation.Thread{
		ThreadID: conversation.ThreadID(a.ID, cust1), CompanyID: a.ID, CustomerPhone: cust1},
		From: numA, To: cust1, Body: "Lost in flight", App: "dashboard", QueuedAt: at}
	attempt := conversation.OutboundSendAttempted{MessageID: q.MessageID, Thread: q.Thread, Attempt: 1, At: at}
	var data []eventstore.EventData
	for _, ev := range []conversation.Event{q, attempt} {
		doc, _ := json.Marshal(ev)
		data = append(data, eventstore.EventData{ID: uuid.New(), Type: ev.EventType(),
			SchemaVersion: conversation.SchemaVersion, Data: doc, OccurredAt: at})
	}
	if _, err := e.app.Store.Append(context.Background(), conversation.StreamID(a.ID, cust1), eventstore.StreamExists(), data...); err != nil {
		t.Fatal(err)
	}
	// The customer's next text: its lane looks at the lost one first.
	next := e.mustReply(a.agent, threadID, "Next")
	e.waitSent(a.ID, cust1, next)
	m := e.waitStatus(a.agent, threadID, q.MessageID.String(), "sending")
	if m.Body != "Lost in flight" {
		t.Fatalf("message %+v", m)
	}
	if got := bodies(e.fake.Requests()); !slices.Equal(got, []string{"Next"}) {
		t.Fatalf("requests %q: an attempt in flight was made again", got)
	}
}

// A STOP that arrives while a staff text waits to be sent cancels it
// (reason consent); the opt-out confirmation (automated) goes out all the
// same.
func TestOutboundStopWhileQueued(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)

	// Hold the sender in its first call to Twilio.
	entered, release := e.holdFirstCall()
	first := e.mustReply(a.agent, threadID, "First")
	waitEntered(t, entered)
	second := e.mustReply(a.agent, threadID, "Second") // consent is still yes
	// The STOP's webhook answers only once "First", whose call is under way,
	// has been handed to Twilio: let it go when the webhook waits for it.
	answered := e.postAsync(twilio.InboundPath, e.inboundParams(numA, cust1, "STOP"))
	e.waitLog(t, handOverWait)
	close(release)
	expect(t, <-answered, http.StatusOK, "")

	e.waitSent(a.ID, cust1, first)
	m := e.waitStatus(a.agent, threadID, second, "canceled")
	if m.ErrorCode != nil {
		t.Fatalf("message %+v", m)
	}
	evs := e.outboundEvents(a.ID, cust1, second)
	if c, ok := evs[len(evs)-1].(conversation.OutboundMessageCanceled); !ok || c.Reason != conversation.CancelConsent {
		t.Fatalf("events %#v", evs)
	}
	if got := eventTypes(evs); !slices.Equal(got, []string{"OutboundMessageQueued", "OutboundMessageCanceled"}) {
		t.Fatalf("events %v: the second text was attempted", got)
	}
	// The opt-out confirmation goes out (hidden from the thread).
	e.until("the opt-out confirmation sent", func() bool { return len(e.fake.Sent()) == 2 })
	got := bodies(e.fake.Sent())
	if got[0] != "First" || !strings.Contains(got[1], "unsubscribed") {
		t.Fatalf("sent %q", got)
	}
	for _, r := range e.fake.Requests() {
		if r.Body == "Second" {
			t.Fatal("the text queued before the STOP reached Twilio")
		}
	}
	for _, msg := range e.get(a.agent, threadID).Messages {
		if strings.Contains(msg.Body, "unsubscribed") {
			t.Fatalf("the opt-out confirmation is shown in the thread: %+v", msg)
		}
	}
}

// Automated texts go out whatever sms_enabled says: a STOP is confirmed.
func TestOutboundStopConfirmedWithMessagesOff(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	e.customerTexts(numA, cust1, "hi")
	e.giveConsent(a.ID, numA, cust1, true)
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok, body: map[string]any{"sms_enabled": false}}), http.StatusOK, "")
	e.customerTexts(numA, cust1, "stop")
	e.until("the opt-out confirmation sent", func() bool { return len(e.fake.Sent()) == 1 })
	if s := e.fake.Sent()[0]; s.To != cust1 || s.From != numA || !strings.Contains(s.Body, "unsubscribed") {
		t.Fatalf("sent %+v", s)
	}
}

// Without credentials nothing leaves the machine: texts are marked sent.
func TestOutboundSandbox(t *testing.T) {
	t.Parallel()
	e := newSandboxOutEnv(t)
	a := e.newTenant("Acme", numA)
	threadID := e.consentingThread(a, cust1)
	id := e.mustReply(a.agent, threadID, "Hello from the sandbox")
	e.waitStatus(a.agent, threadID, id, "sent")
	e.settled() // the sender is done: any call to Twilio was made
	if n := len(e.fake.Requests()); n != 0 {
		t.Fatalf("the sandbox called Twilio %d times", n)
	}
}
