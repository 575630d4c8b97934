package app_test

// End-to-end tests through HTTP of the Consent and Audit rules (docs/rules.md): the
// double opt-in from an app form, the customer's keywords, the automated
// texts they call for, a change of number, the audit replayed from the event
// store with its hash chain, roles and tenancy.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// formBody is a form submission for phone.
func formBody(phone string, optIn bool) map[string]any {
	return map[string]any{"phone": phone, "first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com",
		"opt_in": optIn, "app": "text_us_now", "ip": "203.0.113.9", "user_agent": "Mozilla/5.0 (Test)"}
}

type formAnswer struct {
	LeadID   string `json:"lead_id"`
	Consent  string `json:"consent"`
	Position string `json:"position"`
}

// submitForm posts a form submission and checks the 201.
func (e *env) submitForm(token string, body map[string]any) formAnswer {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/forms/submissions", token: token, body: body})
	expect(e.t, r, http.StatusCreated, "")
	checkPosition(e.t, r)
	var f formAnswer
	r.json(e.t, &f)
	return f
}

type consentAnswer struct {
	Phone           string     `json:"phone"`
	Status          string     `json:"status"`
	MessagingNumber string     `json:"messaging_number"`
	UpdatedAt       *time.Time `json:"updated_at"`
}

// consentOf reads GET /api/consent/{phone} after every write so far.
func (e *env) consentOf(token, phone string) consentAnswer {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/consent/" + url.PathEscape(phone), token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	var c consentAnswer
	r.json(e.t, &c)
	return c
}

type auditText struct {
	Kind          string  `json:"kind"`
	Text          string  `json:"text"`
	ShownInThread bool    `json:"shown_in_thread"`
	MessageID     string  `json:"message_id"`
	TwilioSID     *string `json:"twilio_sid"`
}

type auditEntry struct {
	Type            string          `json:"type"`
	OccurredAt      time.Time       `json:"occurred_at"`
	StatusBefore    string          `json:"status_before"`
	StatusAfter     string          `json:"status_after"`
	MessagingNumber string          `json:"messaging_number"`
	Evidence        json.RawMessage `json:"evidence"`
	Actor           string          `json:"actor"`
	AutomatedText   *auditText      `json:"automated_text"`
	EventID         string          `json:"event_id"`
}

type auditAnswer struct {
	Phone             string       `json:"phone"`
	StatusAt          string       `json:"status_at"`
	MessagingNumberAt string       `json:"messaging_number_at"`
	Events            []auditEntry `json:"events"`
	Chain             struct {
		Valid    bool   `json:"valid"`
		Length   int    `json:"length"`
		BrokenAt *int   `json:"broken_at"`
		Reason   string `json:"reason"`
	} `json:"chain"`
	MessagingNumbers []struct {
		Number string `json:"number"`
	} `json:"messaging_numbers"`
}

// audit reads GET /api/audit/consent/{phone}[?at=…].
func (e *env) audit(token, phone, at string) auditAnswer {
	e.t.Helper()
	path := "/api/audit/consent/" + url.PathEscape(phone)
	if at != "" {
		path += "?at=" + url.QueryEscape(at)
	}
	r := e.do(req{method: "GET", path: path, token: token})
	expect(e.t, r, http.StatusOK, "")
	var a auditAnswer
	r.json(e.t, &a)
	return a
}

func (a auditAnswer) types() []string {
	var out []string
	for _, x := range a.Events {
		out = append(out, x.Type)
	}
	return out
}

// queued is what was queued to a customer, from the event store.
func (e *env) queued(companyID, customer string) []conversation.OutboundMessageQueued {
	e.t.Helper()
	return conversationEvents[conversation.OutboundMessageQueued](e, companyID, customer, conversation.TypeOutboundMessageQueued)
}

// conversationEvents are the customer's conversation events of one type,
// from the event store.
func conversationEvents[T conversation.Event](e *env, companyID, customer, eventType string) []T {
	e.t.Helper()
	var out []T
	for rec, err := range e.app.Store.ReadStream(context.Background(), conversation.StreamID(companyID, phone.Number(customer)), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		if rec.Type != eventType {
			continue
		}
		ev, err := conversation.Decode(rec.Type, rec.Data)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev.(T))
	}
	return out
}

// consentEvents are the customer's consent events, from the event store.
func (e *env) consentEvents(companyID, customer string) []eventstore.RecordedEvent {
	e.t.Helper()
	var out []eventstore.RecordedEvent
	for rec, err := range e.app.Store.ReadStream(context.Background(), consent.StreamID(companyID, phone.Number(customer)), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// textWith delivers a signed inbound SMS with Twilio's OptOutType.
func (e *env) textWith(to, from, body, optOutType string) string {
	e.t.Helper()
	p := e.inboundParams(to, from, body)
	p.Set("OptOutType", optOutType)
	e.deliver(p)
	return p.Get("MessageSid")
}

// automatedKinds names the automated texts queued, by their words.
func automatedKinds(msgs []conversation.OutboundMessageQueued) []string {
	var out []string
	for _, m := range msgs {
		kind := "?"
		switch {
		case !m.Automated || m.App != "automated":
			kind = "staff"
		case strings.Contains(m.Body, "Reply YES"):
			kind = "request"
		case strings.Contains(m.Body, "unsubscribed"):
			kind = "opt-out"
		case strings.Contains(m.Body, "subscribed again"):
			kind = "resubscribed"
		case strings.Contains(m.Body, "For help"):
			kind = "help"
		}
		out = append(out, kind)
	}
	return out
}

func TestConsentDoubleOptIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)

	if c := e.consentOf(a.agent, cust1); c.Status != "no" || c.MessagingNumber != numA || c.UpdatedAt != nil || c.Phone != cust1 {
		t.Fatalf("consent of a stranger: %+v", c)
	}
	submitted := e.clock.Now()
	f := e.submitForm(a.agent, formBody("(202) 555-0187", true)) // national form, the company's country
	if f.Consent != "pending" || f.LeadID != lead.ID(a.ID, cust1).String() {
		t.Fatalf("form answer %+v", f)
	}
	c := e.consentOf(a.agent, cust1)
	if c.Status != "pending" || c.MessagingNumber != numA || c.UpdatedAt == nil || !c.UpdatedAt.Equal(submitted) {
		t.Fatalf("consent after the form: %+v", c)
	}
	// The confirmation request is queued, automated, from the company's number, shown in the thread.
	q := e.queued(a.ID, cust1)
	if got := automatedKinds(q); !slices.Equal(got, []string{"request"}) {
		t.Fatalf("queued %v, want the confirmation request", got)
	}
	if q[0].Hidden || q[0].From != numA || !strings.HasPrefix(q[0].Body, "Acme: ") {
		t.Fatalf("confirmation request %+v", q[0])
	}

	// The customer confirms: yes, on the thread too.
	e.clock.Advance(time.Minute)
	confirmed := e.clock.Now()
	e.text(numA, cust1, "Yes")
	c = e.consentOf(a.agent, cust1)
	if c.Status != "yes" || !c.UpdatedAt.Equal(confirmed) {
		t.Fatalf("consent after YES: %+v", c)
	}
	if th := e.mustThread(a.agent, cust1); th.Consent != "yes" {
		t.Fatalf("thread badge %q, want yes", th.Consent)
	}
	if got := automatedKinds(e.queued(a.ID, cust1)); len(got) != 1 {
		t.Fatalf("YES queued %v", got)
	}
	// The YES is a customer message like any other.
	th := e.mustThread(a.agent, cust1)
	if msgs := e.get(a.agent, th.ID).Messages; !slices.ContainsFunc(msgs, func(m message) bool { return m.Direction == "inbound" && m.Body == "Yes" }) {
		t.Fatalf("the YES is not in the thread: %+v", msgs)
	}

	// The audit: the form's evidence, then the customer's YES.
	au := e.audit(a.admin(e), cust1, "")
	if !slices.Equal(au.types(), []string{"ConsentRequested", "ConsentConfirmed"}) || au.StatusAt != "yes" || !au.Chain.Valid {
		t.Fatalf("audit %+v", au)
	}
	var form map[string]any
	if err := json.Unmarshal(au.Events[0].Evidence, &form); err != nil {
		t.Fatal(err)
	}
	if form["app"] != "text_us_now" || form["ip"] != "203.0.113.9" || form["user_agent"] != "Mozilla/5.0 (Test)" ||
		form["submitted_at"] == nil || au.Events[0].Actor == "" || !strings.HasPrefix(au.Events[0].Actor, "user:") {
		t.Fatalf("form evidence %s, actor %s", au.Events[0].Evidence, au.Events[0].Actor)
	}
	if au.Events[0].AutomatedText == nil || au.Events[0].AutomatedText.MessageID != q[0].MessageID.String() ||
		au.Events[0].AutomatedText.Text != q[0].Body {
		t.Fatalf("request text in the audit %+v", au.Events[0].AutomatedText)
	}
	var yes map[string]any
	if err := json.Unmarshal(au.Events[1].Evidence, &yes); err != nil {
		t.Fatal(err)
	}
	if yes["text"] != "Yes" || yes["to"] != numA || yes["message_sid"] == "" || au.Events[1].Actor != "customer:"+cust1 {
		t.Fatalf("YES evidence %s", au.Events[1].Evidence)
	}
}

// admin adds an admin to the tenant's company.
func (tn tenant) admin(e *env) string {
	e.t.Helper()
	return e.addUser(tn.ID, "admin")
}

func TestConsentYesNeverRequestedStaysNo(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "YES")
	e.text(numA, cust1, "start")
	if c := e.consentOf(a.agent, cust1); c.Status != "no" {
		t.Fatalf("consent %+v", c)
	}
	if th := e.mustThread(a.agent, cust1); th.Consent != "no" {
		t.Fatalf("thread badge %q", th.Consent)
	}
	if q := e.queued(a.ID, cust1); len(q) != 0 || len(e.consentEvents(a.ID, cust1)) != 0 {
		t.Fatalf("a single step did something: %v", automatedKinds(q))
	}
	// A form without the box ticked asks nothing either.
	if f := e.submitForm(a.agent, formBody(cust1, false)); f.Consent != "no" || len(e.queued(a.ID, cust1)) != 0 {
		t.Fatalf("form without opt-in: %+v", f)
	}
}

func TestConsentStopStartAndOneConfirmation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")

	e.clock.Advance(time.Minute)
	stopSID := e.text(numA, cust1, "  stop!  ")
	if c := e.consentOf(a.agent, cust1); c.Status != "no" {
		t.Fatalf("after STOP: %+v", c)
	}
	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "UNSUBSCRIBE") // already no: recorded, no second confirmation
	if got := automatedKinds(e.queued(a.ID, cust1)); !slices.Equal(got, []string{"request", "opt-out"}) {
		t.Fatalf("queued %v, want one opt-out confirmation", got)
	}
	optOut := e.queued(a.ID, cust1)[1]
	if !optOut.Hidden || !optOut.Automated || optOut.App != "automated" {
		t.Fatalf("opt-out confirmation %+v", optOut)
	}
	// Hidden from the thread (and so from the staff's view), but in the audit.
	th := e.mustThread(a.agent, cust1)
	if th.Consent != "no" {
		t.Fatalf("badge %q", th.Consent)
	}
	for _, m := range e.get(a.agent, th.ID).Messages {
		if strings.Contains(m.Body, "unsubscribed") {
			t.Fatalf("the opt-out confirmation shows in the thread: %+v", m)
		}
	}
	au := e.audit(compliance, cust1, "")
	if !slices.Equal(au.types(), []string{"ConsentRequested", "ConsentConfirmed", "OptedOut", "OptedOut"}) {
		t.Fatalf("audit %v", au.types())
	}
	stop := au.Events[2]
	if stop.StatusBefore != "yes" || stop.StatusAfter != "no" || stop.AutomatedText == nil ||
		stop.AutomatedText.Kind != "opt_out_confirmation" || stop.AutomatedText.ShownInThread ||
		stop.AutomatedText.Text != optOut.Body || stop.AutomatedText.MessageID != optOut.MessageID.String() ||
		!strings.Contains(string(stop.Evidence), stopSID) {
		t.Fatalf("opt-out entry %+v", stop)
	}
	if again := au.Events[3]; again.StatusBefore != "no" || again.StatusAfter != "no" || again.AutomatedText != nil {
		t.Fatalf("second opt-out entry %+v", again)
	}

	// START after the opt-out: yes again, re-subscribed confirmation shown.
	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "Start")
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" {
		t.Fatalf("after START: %+v", c)
	}
	e.text(numA, cust1, "HELP")
	got := e.queued(a.ID, cust1)
	if kinds := automatedKinds(got); !slices.Equal(kinds, []string{"request", "opt-out", "resubscribed", "help"}) {
		t.Fatalf("queued %v", kinds)
	}
	if got[2].Hidden || got[3].Hidden {
		t.Fatalf("re-subscribed or help hidden: %+v", got[2:])
	}
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" {
		t.Fatalf("after HELP: %+v", c)
	}
}

func TestConsentTwilioAdvancedOptOutSendsNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")
	e.textWith(numA, cust1, "ARRET", "STOP") // a custom keyword Twilio recognised and answered
	if c := e.consentOf(a.agent, cust1); c.Status != "no" {
		t.Fatalf("after Twilio's STOP: %+v", c)
	}
	e.textWith(numA, cust1, "START", "START")
	e.textWith(numA, cust1, "HELP", "HELP")
	if got := automatedKinds(e.queued(a.ID, cust1)); !slices.Equal(got, []string{"request"}) {
		t.Fatalf("queued %v: Twilio already answered", got)
	}
	au := e.audit(a.admin(e), cust1, "")
	if !slices.Equal(au.types(), []string{"ConsentRequested", "ConsentConfirmed", "OptedOut", "OptedIn", "HelpRequested"}) {
		t.Fatalf("audit %v", au.types())
	}
	if !strings.Contains(string(au.Events[2].Evidence), `"opt_out_type":"STOP"`) || au.Events[2].AutomatedText != nil {
		t.Fatalf("Twilio's opt-out entry %+v", au.Events[2])
	}
}

func TestConsentWebhookRetryRecordsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")
	p := e.inboundParams(numA, cust1, "STOP")
	for range 3 {
		e.deliver(p)
	}
	if n := len(e.consentEvents(a.ID, cust1)); n != 3 {
		t.Fatalf("%d consent events, want 3", n)
	}
	if got := automatedKinds(e.queued(a.ID, cust1)); !slices.Equal(got, []string{"request", "opt-out"}) {
		t.Fatalf("queued %v", got)
	}
}

func TestConsentStopWithMessagesOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok, body: map[string]any{"sms_enabled": false}}), http.StatusOK, "")
	e.text(numA, cust1, "STOP")
	// Honoured and confirmed; consent still readable (compliance's pages are not Messages).
	if c := e.consentOf(a.agent, cust1); c.Status != "no" {
		t.Fatalf("after STOP with Messages off: %+v", c)
	}
	if got := automatedKinds(e.queued(a.ID, cust1)); !slices.Equal(got, []string{"request", "opt-out"}) {
		t.Fatalf("queued %v", got)
	}
	// A form with Messages off keeps the lead but texts nothing.
	if f := e.submitForm(a.agent, formBody(cust2, true)); f.Consent != "no" || len(e.queued(a.ID, cust2)) != 0 {
		t.Fatalf("form with Messages off: %+v", f)
	}
}

func TestConsentNumberChangeVoids(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	for _, c := range []string{cust1, cust2} {
		e.submitForm(a.agent, formBody(c, true))
		e.text(numA, c, "YES")
	}
	e.submitForm(a.agent, formBody(cust3, true)) // pending
	e.text(numA, cust4, "just a question")       // a thread, no consent

	e.clock.Advance(time.Hour)
	changed := e.clock.Now()
	r := e.do(req{method: "PUT", path: "/api/admin/companies/" + a.ID + "/messaging-number", token: adminTok,
		body: map[string]any{"messaging_number": numA2}})
	expect(t, r, http.StatusOK, "")
	pos := checkPosition(t, r)
	e.clock.Advance(time.Hour)

	// At once: no on the new number, threads too.
	for _, c := range []string{cust1, cust2, cust3, cust4} {
		r := e.do(req{method: "GET", path: "/api/consent/" + c, token: a.agent, header: minPosHeader(pos)})
		expect(t, r, http.StatusOK, "")
		var v consentAnswer
		r.json(t, &v)
		if v.Status != "no" || v.MessagingNumber != numA2 {
			t.Fatalf("%s after the change: %+v", c, v)
		}
	}
	for _, th := range e.list(a.agent, "", pos).Threads {
		if th.Consent != "no" {
			t.Fatalf("thread %s badge %q after the change", th.CustomerPhone, th.Consent)
		}
	}
	// The reactor records the void in each consent stream, at the change's time.
	for _, c := range []string{cust1, cust2, cust3} {
		want := map[string]string{cust1: "yes", cust2: "yes", cust3: "pending"}[c]
		last := map[string]int{cust1: 2, cust2: 2, cust3: 1}[c]
		var au auditAnswer
		e.until("the reactor voids "+c+"'s consent", func() bool {
			au = e.audit(compliance, c, "")
			if len(au.Events) != last+1 {
				t.Fatalf("%s audit %v", c, au.types())
			}
			x := au.Events[last]
			if x.Type == "MessagingNumberChanged" { // from the company's stream, until the reactor's void
				if x.Actor != "system" || x.StatusBefore != want || x.StatusAfter != "no" || !x.OccurredAt.Equal(changed) {
					t.Fatalf("%s number change entry %+v", c, x)
				}
				return false
			}
			return true
		})
		x := au.Events[last]
		if x.Type != "ConsentVoided" || x.Actor != "system" || x.StatusBefore != want || x.StatusAfter != "no" ||
			!x.OccurredAt.Equal(changed) || x.MessagingNumber != numA2 || !strings.Contains(string(x.Evidence), numA) ||
			!au.Chain.Valid || au.StatusAt != "no" || len(au.MessagingNumbers) != 2 {
			t.Fatalf("%s void entry %+v (audit %+v)", c, x, au)
		}
		// The status just before the change, and at it.
		if s := e.audit(compliance, c, changed.Add(-time.Microsecond).Format(time.RFC3339Nano)).StatusAt; s != want {
			t.Fatalf("%s just before the change: %s", c, s)
		}
		if s := e.audit(compliance, c, changed.Format(time.RFC3339Nano)).StatusAt; s != "no" {
			t.Fatalf("%s at the change: %s", c, s)
		}
	}
	if n := len(e.consentEvents(a.ID, cust4)); n != 0 {
		t.Fatalf("the reactor wrote %d events for a customer without consent", n)
	}
	// Consent is captured again on the new number, from no.
	e.submitForm(a.agent, formBody(cust1, true))
	q := e.queued(a.ID, cust1)
	if last := q[len(q)-1]; last.From != numA2 || !strings.Contains(last.Body, "Reply YES") {
		t.Fatalf("new request %+v", last)
	}
	e.text(numA2, cust1, "YES")
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" || c.MessagingNumber != numA2 {
		t.Fatalf("after YES on the new number: %+v", c)
	}
	// STOP to the former number still opts out.
	e.text(numA, cust1, "STOP")
	if c := e.consentOf(a.agent, cust1); c.Status != "no" {
		t.Fatalf("STOP to the former number: %+v", c)
	}
}

func TestConsentAuditEqualsEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	var times []time.Time
	step := func(f func()) {
		e.clock.Advance(time.Minute + 250*time.Millisecond)
		times = append(times, e.clock.Now())
		f()
	}
	step(func() { e.submitForm(a.agent, formBody(cust1, true)) })
	step(func() { e.text(numA, cust1, "YES") })
	step(func() { e.text(numA, cust1, "STOP") })
	step(func() { e.text(numA, cust1, "INFO") })
	step(func() { e.text(numA, cust1, "UNSTOP") })

	au := e.audit(compliance, cust1, "")
	recs := e.consentEvents(a.ID, cust1)
	if len(au.Events) != len(recs) || au.Chain.Length != len(recs) || !au.Chain.Valid || au.Chain.BrokenAt != nil {
		t.Fatalf("audit %+v, %d events", au, len(recs))
	}
	for i, rec := range recs {
		ev, err := consent.Decode(rec.Type, rec.Data)
		if err != nil {
			t.Fatal(err)
		}
		c := ev.Base()
		x := au.Events[i]
		ev2, _ := json.Marshal(ev.Evidence())
		if x.Type != rec.Type || x.EventID != rec.ID.String() || !x.OccurredAt.Equal(times[i]) || !x.OccurredAt.Equal(rec.OccurredAt) ||
			x.StatusBefore != c.StatusBefore.String() || x.StatusAfter != c.StatusAfter.String() ||
			x.MessagingNumber != string(c.MessagingNumber) || x.Actor != c.Actor || string(x.Evidence) != string(ev2) {
			t.Errorf("entry %d %+v\nevent %s %+v %s", i, x, rec.Type, c, ev2)
		}
	}
	// at: before anything, at each step (fractional seconds), between steps, now.
	for _, tc := range []struct {
		at   string
		want string
	}{
		{times[0].Add(-time.Millisecond).Format(time.RFC3339Nano), "no"},
		{times[0].Format(time.RFC3339Nano), "pending"},
		{times[1].Add(30 * time.Second).Format(time.RFC3339), "yes"},
		{times[2].Format("2006-01-02T15:04:05.000Z07:00"), "no"},
		{times[3].Add(time.Second).In(time.FixedZone("EST", -5*3600)).Format(time.RFC3339Nano), "no"},
		{times[4].Format(time.RFC3339Nano), "yes"},
		{"", "yes"},
	} {
		if got := e.audit(compliance, cust1, tc.at); got.StatusAt != tc.want {
			t.Errorf("status at %q: %s, want %s", tc.at, got.StatusAt, tc.want)
		}
	}
	// An unencoded "+" (a space once decoded) is read as the "+" it was.
	r := e.do(req{method: "GET", path: "/api/audit/consent/" + cust1 + "?at=" + times[1].In(time.FixedZone("X", 3600)).Format(time.RFC3339), token: compliance})
	expect(t, r, http.StatusOK, "")
	for _, bad := range []string{"yesterday", "2030-03-04", "2030-03-04T15:00:00", "2030-13-04T15:00:00Z", ""} {
		r := e.do(req{method: "GET", path: "/api/audit/consent/" + cust1 + "?at=" + url.QueryEscape(bad), token: compliance})
		expect(t, r, http.StatusBadRequest, "invalid_request")
	}
}

func TestConsentAuditDetectsTampering(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")
	e.text(numA, cust1, "STOP")
	if au := e.audit(compliance, cust1, ""); !au.Chain.Valid {
		t.Fatalf("chain %+v before tampering", au.Chain)
	}
	// Someone with database access rewrites the customer's YES as never given.
	recs := e.consentEvents(a.ID, cust1)
	tag, err := e.pool.Exec(context.Background(),
		`UPDATE es_events SET data = replace(data::text, '"status_after":"yes"', '"status_after":"pending"')::json WHERE event_id = $1`, recs[1].ID)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("tamper: %v %v", tag, err)
	}
	au := e.audit(compliance, cust1, "")
	if au.Chain.Valid || au.Chain.BrokenAt == nil || *au.Chain.BrokenAt != 1 || au.Chain.Reason == "" || len(au.Events) != 3 {
		t.Fatalf("chain %+v after tampering", au.Chain)
	}
	if au.Events[1].StatusAfter != "pending" {
		t.Fatalf("the audit shows %q: it must show what is stored, and flag it", au.Events[1].StatusAfter)
	}
}

func TestConsentRolesAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	tokens := map[string]string{"agent": a.agent}
	for _, role := range []string{"admin", "compliance", "light", "live_chat"} {
		tokens[role] = e.addUser(a.ID, role)
	}
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")

	audit := req{method: "GET", path: "/api/audit/consent/" + cust1}
	consentReq := req{method: "GET", path: "/api/consent/" + cust1}
	form := req{method: "POST", path: "/api/forms/submissions", body: formBody(cust2, true)}
	with := func(r req, token string) req { r.token = token; return r }
	for role, want := range map[string][3]int{
		"admin":      {200, 200, 201},
		"compliance": {200, 200, 403},
		"agent":      {403, 200, 201},
		"light":      {403, 403, 403},
		"live_chat":  {403, 403, 403},
	} {
		for i, r := range []req{audit, consentReq, form} {
			resp := e.do(with(r, tokens[role]))
			if resp.status != want[i] || (want[i] == 403 && resp.errorCode() != "forbidden") {
				t.Errorf("%s %s %s: %d %s, want %d", role, r.method, r.path, resp.status, resp.body, want[i])
			}
			if want[i] == 403 && strings.Contains(string(resp.body), cust1) {
				t.Errorf("%s sees the customer: %s", role, resp.body)
			}
		}
	}
	for _, r := range []req{audit, consentReq, form} {
		expect(t, e.do(r), http.StatusUnauthorized, "unauthorized")
	}

	// Validation of the form.
	for _, tc := range []struct {
		name   string
		change func(map[string]any)
		status int
		code   string
	}{
		{"bad phone", func(b map[string]any) { b["phone"] = "+1555123456" }, 400, "invalid_phone"},
		{"no phone", func(b map[string]any) { delete(b, "phone") }, 400, "invalid_phone"},
		{"bad email", func(b map[string]any) { b["email"] = "ada@" }, 400, "invalid_email"},
		{"no email", func(b map[string]any) { delete(b, "email") }, 400, "invalid_email"},
		{"no first name", func(b map[string]any) { b["first_name"] = " " }, 400, "invalid_request"},
		{"no last name", func(b map[string]any) { delete(b, "last_name") }, 400, "invalid_request"},
		{"no app", func(b map[string]any) { delete(b, "app") }, 400, "invalid_request"},
		// smsinbox's own apps are reserved, for a user's token as for an app key.
		{"the app automated", func(b map[string]any) { b["app"] = "automated" }, 400, "invalid_request"},
		{"the app dashboard", func(b map[string]any) { b["app"] = "dashboard" }, 400, "invalid_request"},
		{"the app Dashboard", func(b map[string]any) { b["app"] = "Dashboard" }, 400, "invalid_request"},
		{"no opt_in", func(b map[string]any) { delete(b, "opt_in") }, 400, "invalid_request"},
		{"bad ip", func(b map[string]any) { b["ip"] = "not-an-ip" }, 400, "invalid_request"},
		{"unknown field", func(b map[string]any) { b["colour"] = "red" }, 400, "unknown_field"},
		{"opt_in not a bool", func(b map[string]any) { b["opt_in"] = "yes" }, 400, "invalid_field"},
	} {
		b := formBody(cust3, true)
		tc.change(b)
		expect(t, e.do(req{method: "POST", path: "/api/forms/submissions", token: a.agent, body: b}), tc.status, tc.code)
	}
	expect(t, e.do(req{method: "POST", path: "/api/forms/submissions", token: a.agent}), http.StatusBadRequest, "empty_body")
	if n := len(e.consentEvents(a.ID, cust3)); n != 0 {
		t.Fatalf("refused forms recorded %d consent events", n)
	}
	for rec, err := range e.app.Store.ReadStream(t.Context(), lead.StreamID(a.ID, cust3), 0) {
		if err != nil {
			t.Fatal(err)
		}
		t.Fatalf("a refused form recorded %s", rec.Type)
	}
	for _, bad := range []string{"call-me", "+1555123456", "12"} {
		expect(t, e.do(req{method: "GET", path: "/api/consent/" + bad, token: a.agent}), http.StatusBadRequest, "invalid_phone")
		expect(t, e.do(req{method: "GET", path: "/api/audit/consent/" + bad, token: tokens["compliance"]}), http.StatusBadRequest, "invalid_phone")
	}
	// National numbers are read in the company's country.
	if c := e.consentOf(a.agent, "202-555-0187"); c.Status != "yes" || c.Phone != cust1 {
		t.Fatalf("national number: %+v", c)
	}
}

func TestConsentTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	b := e.newTenant("Bolt", numB)
	bCompliance := e.addUser(b.ID, "compliance")
	e.submitForm(a.agent, formBody(cust1, true))
	e.text(numA, cust1, "YES")

	// B never had cust1: no, nothing of A's.
	if c := e.consentOf(b.agent, cust1); c.Status != "no" || c.MessagingNumber != numB || c.UpdatedAt != nil {
		t.Fatalf("B sees %+v", c)
	}
	au := e.audit(bCompliance, cust1, "")
	if len(au.Events) != 0 || au.StatusAt != "no" || au.MessagingNumberAt != numB {
		t.Fatalf("B's audit shows %+v", au)
	}
	r := e.do(req{method: "GET", path: "/api/audit/consent/" + cust1, token: bCompliance})
	if strings.Contains(string(r.body), numA) || strings.Contains(string(r.body), "ConsentConfirmed") {
		t.Fatalf("B's audit leaks A's data: %s", r.body)
	}
	// A STOP to B does not touch A's consent.
	e.text(numB, cust1, "STOP")
	if c := e.consentOf(a.agent, cust1); c.Status != "yes" {
		t.Fatalf("B's STOP changed A's consent: %+v", c)
	}
}

// The automated texts go out through Twilio (a fake of its REST API): the
// confirmation request is shown in the thread, the opt-out confirmation is
// not, and the audit shows the confirmation's Twilio SID once it is known.
func TestConsentTextsSentThroughTwilio(t *testing.T) {
	t.Parallel()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")

	e.submitForm(a.agent, formBody(cust1, true))
	e.until("the confirmation request sent", func() bool { return len(e.fake.Sent()) == 1 })
	sent := e.fake.Sent()[0]
	if sent.From != numA || sent.To != cust1 || !strings.HasPrefix(sent.Body, "Acme: Reply YES") {
		t.Fatalf("sent %+v", sent)
	}
	// The request opened the thread; it shows there, automated.
	th := e.mustThread(a.agent, cust1)
	if th.Consent != "pending" {
		t.Fatalf("badge %q, want pending", th.Consent)
	}
	request := e.queued(a.ID, cust1)[0]
	if sid := e.waitSent(a.ID, cust1, request.MessageID.String()); sid != sent.SID {
		t.Fatalf("recorded SID %s, Twilio's %s", sid, sent.SID)
	}
	m, ok := e.messageIn(a.agent, th.ID, request.MessageID.String())
	if !ok || m.Status != "sending" || !m.Automated || m.App != "automated" || m.Direction != "outbound" || m.Body != sent.Body || m.From != numA {
		t.Fatalf("request in the thread %+v", m)
	}

	e.customerTexts(numA, cust1, "YES")
	if th := e.mustThread(a.agent, cust1); th.Consent != "yes" {
		t.Fatalf("badge %q, want yes", th.Consent)
	}
	e.customerTexts(numA, cust1, "STOP")
	e.until("the opt-out confirmation sent", func() bool { return len(e.fake.Sent()) == 2 })
	confirmation := e.fake.Sent()[1]
	if confirmation.To != cust1 || !strings.Contains(confirmation.Body, "unsubscribed") {
		t.Fatalf("sent %+v", confirmation)
	}
	e.customerTexts(numA, cust1, "STOP") // again: nothing more
	e.settled()                          // a second confirmation would have been sent by now
	if n := len(e.fake.Sent()); n != 2 {
		t.Fatalf("%d texts sent, want 2: %q", n, bodies(e.fake.Sent()))
	}
	for _, msg := range e.get(a.agent, th.ID).Messages {
		if strings.Contains(msg.Body, "unsubscribed") {
			t.Fatalf("the opt-out confirmation shows in the thread: %+v", msg)
		}
	}
	if th := e.mustThread(a.agent, cust1); th.Consent != "no" || th.LastMessagePreview != "STOP" {
		t.Fatalf("thread after STOP %+v", th)
	}
	// The audit shows it, with Twilio's SID once the sender recorded it.
	e.until("the confirmation's SID in the audit", func() bool {
		au := e.audit(compliance, cust1, "")
		x := au.Events[2].AutomatedText
		return x != nil && x.TwilioSID != nil && *x.TwilioSID == confirmation.SID && x.Text == confirmation.Body
	})
	au := e.audit(compliance, cust1, "")
	if x := au.Events[0].AutomatedText; x == nil || x.TwilioSID == nil || *x.TwilioSID != sent.SID {
		t.Fatalf("request's SID in the audit: %+v", x)
	}
	if !slices.Equal(au.types(), []string{"ConsentRequested", "ConsentConfirmed", "OptedOut", "OptedOut"}) || !au.Chain.Valid {
		t.Fatalf("audit %v %+v", au.types(), au.Chain)
	}
}
