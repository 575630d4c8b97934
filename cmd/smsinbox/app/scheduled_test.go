package app_test

// End-to-end tests through HTTP of scheduled messages: scheduled, refused
// (send_at, quiet hours), canceled by staff and by a STOP, canceled when due
// without consent, sent once when due with two servers on one database and
// across a restart. Twilio is the fake (twiliofake); the clock is the test's,
// and the due-scheduler wakes on its alarms as the test moves it.

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// scheduledMsg is a Message with the fields of scheduled messages.
type scheduledMsg struct {
	ID           string     `json:"id"`
	Body         string     `json:"body"`
	Status       string     `json:"status"`
	SendAt       *time.Time `json:"send_at"`
	CancelReason *string    `json:"cancel_reason"`
	CreatedAt    time.Time  `json:"created_at"`
	TemplateID   *string    `json:"template_id"`
}

// schedule asks for a staff text at sendAt (RFC 3339).
func (e *env) schedule(token, threadID, body, sendAt string) response {
	e.t.Helper()
	return e.reply(token, threadID, map[string]any{"body": body, "send_at": sendAt})
}

// mustSchedule schedules a text at sendAt, checks the 202 and returns its ID.
func (e *env) mustSchedule(token, threadID, body string, sendAt time.Time) string {
	e.t.Helper()
	r := e.schedule(token, threadID, body, sendAt.Format(time.RFC3339))
	expect(e.t, r, http.StatusAccepted, "")
	checkPosition(e.t, r)
	var a struct {
		MessageID string `json:"message_id"`
	}
	r.json(e.t, &a)
	return a.MessageID
}

// scheduledMessages reads a thread's messages after every write so far.
func (e *env) scheduledMessages(token, threadID string) []scheduledMsg {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/threads/" + threadID, token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	var th struct {
		Messages []scheduledMsg `json:"messages"`
	}
	r.json(e.t, &th)
	return th.Messages
}

func (e *env) scheduledMessage(token, threadID, id string) scheduledMsg {
	e.t.Helper()
	for _, m := range e.scheduledMessages(token, threadID) {
		if m.ID == id {
			return m
		}
	}
	e.t.Fatalf("no message %s in thread %s", id, threadID)
	return scheduledMsg{}
}

func (e *env) cancel(token, threadID, id string) response {
	e.t.Helper()
	return e.do(req{method: "DELETE", path: "/api/threads/" + threadID + "/messages/" + id, token: token})
}

// waitSentTo waits until the fake accepted n texts for number to.
func (e *outEnv) waitSentTo(t *testing.T, to string, n int) {
	t.Helper()
	e.waitFake(t, "texts to "+to, func() bool { return len(e.sentTo(to)) >= n })
}

// newScheduling is an smsinbox (Twilio a fake) whose tenant's customer
// cust1 texted and consented a day and more ago (no reply exemption any
// more): the env, the tenant, the thread and the clock's time, Tuesday
// 16:00 UTC, 11:00 in DC.
func newScheduling(t *testing.T) (*outEnv, tenant, string, time.Time) {
	t.Helper()
	e := newOutEnv(t)
	a := e.newTenant("Acme", numA)
	id := e.consentingThread(a, cust1)
	e.clock.Advance(25 * time.Hour)
	return e, a, id, e.clock.Now()
}

func TestScheduleAndCancel(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)

	// Refused: too soon, too late, not a time; 22:00 in DC (cust1 is +1 202)
	// is quiet, and the refusal says 08:00 the next morning.
	expect(t, e.schedule(a.agent, threadID, "x", now.Add(59*time.Second).Format(time.RFC3339)), http.StatusBadRequest, "invalid_send_at")
	expect(t, e.schedule(a.agent, threadID, "x", now.Add(35*24*time.Hour+time.Minute).Format(time.RFC3339)), http.StatusBadRequest, "invalid_send_at")
	expect(t, e.schedule(a.agent, threadID, "x", "tomorrow at ten"), http.StatusBadRequest, "invalid_send_at")
	quiet := time.Date(2030, 3, 6, 3, 0, 0, 0, time.UTC)
	r := e.schedule(a.agent, threadID, "x", quiet.Format(time.RFC3339))
	expect(t, r, http.StatusConflict, "quiet_hours")
	var refusal struct {
		Error struct {
			NextAllowedAt *time.Time `json:"next_allowed_at"`
		} `json:"error"`
	}
	r.json(t, &refusal)
	if want := time.Date(2030, 3, 6, 13, 0, 0, 0, time.UTC); refusal.Error.NextAllowedAt == nil || !refusal.Error.NextAllowedAt.Equal(want) {
		t.Fatalf("next_allowed_at %v, want %v: %s", refusal.Error.NextAllowedAt, want, r.body)
	}
	// That moment is allowed. A customer without consent is not.
	expect(t, e.schedule(a.agent, threadID, "x", "2030-03-06T13:00:00.000Z"), http.StatusAccepted, "")
	e.customerTexts(a.MessagingNumber, cust2, "Hi")
	other := e.mustThread(a.agent, cust2).ID
	expect(t, e.schedule(a.agent, other, "x", now.Add(time.Hour).Format(time.RFC3339)), http.StatusConflict, "consent_required")

	// Scheduled in two hours: shown scheduled with its send_at, last in
	// the thread, and the thread does not move.
	before := e.mustThread(a.agent, cust1)
	first := e.mustSchedule(a.agent, threadID, "See you at 3.", now.Add(2*time.Hour))
	second := e.mustSchedule(a.agent, threadID, "Reminder: see you at 3.", now.Add(3*time.Hour))
	msgs := e.scheduledMessages(a.agent, threadID)
	if n := len(msgs); n < 4 || msgs[n-3].ID != first || msgs[n-2].ID != second || msgs[n-1].Body != "x" {
		t.Fatalf("scheduled texts are not last in the thread, by send_at: %+v", msgs)
	}
	m := msgs[len(msgs)-2]
	if m.ID != second || m.Status != "scheduled" || m.SendAt == nil || !m.SendAt.Equal(now.Add(3*time.Hour)) || m.CancelReason != nil {
		t.Fatalf("scheduled message %+v", m)
	}
	if after := e.mustThread(a.agent, cust1); !after.LastActivityAt.Equal(before.LastActivityAt) || after.LastMessagePreview != before.LastMessagePreview {
		t.Fatalf("a scheduled text moved the thread: %+v, was %+v", after, before)
	}

	// Canceled: 200, twice; the thread shows why.
	expect(t, e.cancel(a.agent, threadID, first), http.StatusOK, "")
	expect(t, e.cancel(a.agent, threadID, first), http.StatusOK, "")
	if m := e.scheduledMessage(a.agent, threadID, first); m.Status != "canceled" || m.CancelReason == nil || *m.CancelReason != "staff" {
		t.Fatalf("canceled message %+v", m)
	}
	expect(t, e.cancel(a.agent, threadID, "0190f0d8-0000-7000-8000-000000000000"), http.StatusNotFound, "not_found")
	expect(t, e.cancel(a.agent, threadID, "nope"), http.StatusNotFound, "not_found")

	// Both due: only the second goes, once, and then cannot be canceled.
	e.clock.Advance(3 * time.Hour)
	e.waitSentTo(t, cust1, 1)
	e.waitScheduledStatus(a.agent, threadID, second, "sending")
	if got := e.sentTo(cust1); !slices.Equal(got, []string{"Reminder: see you at 3."}) {
		t.Fatalf("sent %q", got)
	}
	expect(t, e.cancel(a.agent, threadID, second), http.StatusConflict, "not_scheduled")
	if m := e.scheduledMessage(a.agent, threadID, second); !m.CreatedAt.Equal(now.Add(3 * time.Hour)) {
		t.Fatalf("a released text takes its place when it left: %+v", m)
	}
	if th := e.mustThread(a.agent, cust1); !th.LastActivityAt.Equal(now.Add(3*time.Hour)) || th.LastMessagePreview != "Reminder: see you at 3." {
		t.Fatalf("the thread after the text left: %+v", th)
	}
}

// A STOP cancels every scheduled text of the customer at once (reason
// consent); when due, nothing is sent.
func TestScheduledCanceledByStop(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	id := e.mustSchedule(a.agent, threadID, "Your appointment is tomorrow.", now.Add(2*time.Hour))
	// Another customer's text, due later, shows when the due ones were looked at.
	other := e.consentingThread(a, cust3)
	e.mustSchedule(a.agent, other, "Your table is ready.", now.Add(3*time.Hour))

	e.customerTexts(a.MessagingNumber, cust1, "STOP")
	if m := e.scheduledMessage(a.agent, threadID, id); m.Status != "canceled" || m.CancelReason == nil || *m.CancelReason != "consent" {
		t.Fatalf("after the STOP: %+v", m)
	}
	e.clock.Advance(3 * time.Hour)
	e.waitSentTo(t, cust3, 1)
	e.waitSentTo(t, cust1, 1) // the opt-out confirmation
	if got := e.sentTo(cust1); len(got) != 1 || !strings.Contains(got[0], "STOP") && !strings.Contains(strings.ToLower(got[0]), "unsubscribed") {
		t.Fatalf("texts to the customer who opted out: %q", got)
	}
	if got := e.sentTo(cust1); slices.Contains(got, "Your appointment is tomorrow.") {
		t.Fatalf("a canceled text was sent: %q", got)
	}
}

// When due, consent must still be yes on the number the text was scheduled
// from: a number change (consent does not follow it), or an opt-out whose
// eager cancel was lost, cancels it, reason consent, and nothing is sent.
func TestScheduledCanceledWhenDueWithoutConsent(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	stopped := e.mustSchedule(a.agent, threadID, "Opted out by then.", now.Add(time.Hour))
	// The customer's opt-out recorded on the consent alone, as if the
	// server died before it canceled the texts.
	sid := twilio.NewSID("SM")
	stop := consent.ReceiveInbound{CompanyID: a.ID, CustomerPhone: phone.Number(cust1), MessagingNumber: phone.Number(numA),
		To: phone.Number(numA), MessageSID: sid, Body: "STOP", At: e.clock.Now()}
	if _, err := commands.Execute(context.Background(), e.app.Store, consentDecider, consent.StreamID(a.ID, phone.Number(cust1)), consent.Command(stop),
		eventstore.Metadata{Actor: "customer:" + cust1, CorrelationID: sid}); err != nil {
		t.Fatal(err)
	}
	if m := e.scheduledMessage(a.agent, threadID, stopped); m.Status != "scheduled" {
		t.Fatalf("before it is due: %+v", m)
	}
	e.clock.Advance(time.Hour)
	m := e.waitScheduledStatus(a.agent, threadID, stopped, "canceled")
	if m.CancelReason == nil || *m.CancelReason != "consent" {
		t.Fatalf("due without consent: %+v", m)
	}

	// Another customer, and the company's number changes before it is due.
	other := e.consentingThread(a, cust3)
	moved := e.mustSchedule(a.agent, other, "Sent from the old number?", e.clock.Now().Add(time.Hour))
	r := e.do(req{method: "PUT", path: "/api/admin/companies/" + a.ID + "/messaging-number", token: adminTok, body: map[string]any{"messaging_number": numA2}})
	expect(t, r, http.StatusOK, "")
	e.clock.Advance(time.Hour)
	m = e.waitScheduledStatus(a.agent, other, moved, "canceled")
	if m.CancelReason == nil || *m.CancelReason != "consent" {
		t.Fatalf("due after a number change: %+v", m)
	}
	if sent := e.fake.Sent(); len(sent) != 0 {
		t.Fatalf("sent %q", bodies(sent))
	}
}

// waitScheduledStatus waits until message id of the thread has status: it
// reads the thread at the log's head, and while the status is not there
// yet, waits for the log to grow past that head (the decision it waits for
// is an event), then reads again.
func (e *env) waitScheduledStatus(token, threadID, id, status string) scheduledMsg {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		h, err := e.app.Store.Head(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		r := e.do(req{method: "GET", path: "/api/threads/" + threadID, token: token, header: minPosHeader(strconv.FormatUint(uint64(h), 10))})
		expect(e.t, r, http.StatusOK, "")
		var th struct {
			Messages []scheduledMsg `json:"messages"`
		}
		r.json(e.t, &th)
		i := slices.IndexFunc(th.Messages, func(m scheduledMsg) bool { return m.ID == id })
		if i >= 0 && th.Messages[i].Status == status {
			return th.Messages[i]
		}
		for _, err := range e.app.Store.Subscribe(ctx, h, eventstore.Filter{}) {
			if err != nil {
				e.t.Fatalf("message %s never became %s: %v; messages %+v", id, status, err, th.Messages)
			}
			break // the log grew: read again
		}
	}
}

// anotherServer is a second smsinbox on e's database (a pool of its own),
// e's clock and e's fake Twilio.
func (e *outEnv) anotherServer(t *testing.T) *outEnv {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), e.pool.Config().ConnString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	hooks := &twilioHooks{}
	s := newEnvWith(t, envConfig{adminToken: adminTok, publicURL: outPublicURL, pool: pool, clock: e.clock, configure: func(c *app.Config) {
		c.TwilioSID, c.TwilioToken, c.TwilioAPIURL = twilioSID, twilioToken, e.fake.URL()
		c.TwilioHTTPClient = &http.Client{Transport: hooks, Timeout: 10 * time.Second}
	}})
	return &outEnv{env: s, fake: e.fake, hooks: hooks, token: twilioToken}
}

// releases counts the OutboundMessageQueued of message id in its
// conversation (one: released once).
func (e *env) releases(companyID, customer, id string) int {
	e.t.Helper()
	n := 0
	for rec, err := range e.app.Store.ReadStream(context.Background(), conversation.StreamID(companyID, phone.Number(customer)), 0) {
		if err != nil {
			e.t.Fatal(err)
		}
		if rec.Type != conversation.TypeOutboundMessageQueued {
			continue
		}
		var q struct {
			MessageID string `json:"message_id"`
		}
		if json.Unmarshal(rec.Data, &q) == nil && q.MessageID == id {
			n++
		}
	}
	return n
}

// Two servers on one database: the due texts are each sent once, and when
// the server that runs the scheduler stops, the other one takes over.
func TestScheduledSentOnceByTwoServers(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	b := e.anotherServer(t)
	var ids []string
	for i, body := range []string{"One.", "Two.", "Three."} {
		ids = append(ids, e.mustSchedule(a.agent, threadID, body, now.Add(time.Duration(i+1)*time.Minute)))
	}
	e.clock.Advance(3 * time.Minute)
	e.waitSentTo(t, cust1, 3)
	// The first server stops; the second releases what comes due next.
	late := b.mustSchedule(a.agent, threadID, "Four.", now.Add(time.Hour))
	e.stopRun()
	e.clock.Advance(time.Hour)
	b.waitSentTo(t, cust1, 4)
	for _, id := range append(ids, late) {
		b.waitScheduledStatus(a.agent, threadID, id, "sending")
		if n := b.releases(a.ID, cust1, id); n != 1 {
			t.Fatalf("message %s released %d times", id, n)
		}
	}
	if got := b.sentTo(cust1); !slices.Equal(got, []string{"One.", "Two.", "Three.", "Four."}) {
		t.Fatalf("sent %q", got)
	}
}

// A text scheduled before a restart is sent after it, also when its
// send_at passed while no server ran.
func TestScheduledSurvivesRestart(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	id := e.mustSchedule(a.agent, threadID, "After the restart.", now.Add(time.Hour))
	e.stopRun()
	e.clock.Advance(2 * time.Hour) // due while no server runs
	again := e.anotherServer(t)
	again.waitSentTo(t, cust1, 1)
	m := again.waitScheduledStatus(a.agent, threadID, id, "sending")
	if m.SendAt == nil || !m.SendAt.Equal(now.Add(time.Hour)) || !m.CreatedAt.Equal(now.Add(2*time.Hour)) {
		t.Fatalf("after the restart: %+v", m)
	}
	if got := again.sentTo(cust1); !slices.Equal(got, []string{"After the restart."}) {
		t.Fatalf("sent %q", got)
	}
}

// A STOP cancels a queued staff text that Twilio has not been handed (here:
// Twilio answered 429 and asked for 5 minutes, so the sender waits to try
// again): it shows canceled, reason consent, is never attempted again, and
// the opt-out confirmation, behind it in the customer's lane, goes out at
// once rather than after the 5 minutes.
func TestStopCancelsAQueuedTextTwilioDidNotTake(t *testing.T) {
	t.Parallel()
	e, a, threadID, _ := newScheduling(t)
	e.fake.FailNextRetryAfter(1, http.StatusTooManyRequests, 20429, "too many requests", "300", time.Time{})
	id := e.mustReply(a.agent, threadID, "Your table is ready.")
	e.waitFake(t, "the refused attempt", func() bool { return len(e.fake.Requests()) == 1 })
	e.waitScheduledStatus(a.agent, threadID, id, "sending")
	e.customerTexts(a.MessagingNumber, cust1, "STOP")
	if m := e.scheduledMessage(a.agent, threadID, id); m.Status != "canceled" || m.CancelReason == nil || *m.CancelReason != "consent" {
		t.Fatalf("after the STOP: %+v", m)
	}
	e.waitSentTo(t, cust1, 1)
	if got := bodies(e.fake.Requests()); len(got) != 2 || got[0] != "Your table is ready." || !strings.Contains(got[1], "unsubscribed") {
		t.Fatalf("requests to Twilio %q", got)
	}
}

// A text due while no server ran, released once the window has closed
// (after 21:00 in DC), is canceled (quiet_hours), not sent at night.
func TestScheduledDueWhileDownIsNotSentAtNight(t *testing.T) {
	t.Parallel()
	e, a, threadID, now := newScheduling(t)
	id := e.mustSchedule(a.agent, threadID, "Lunch at noon?", now.Add(time.Hour))
	e.stopRun()
	e.clock.Advance(12 * time.Hour) // 23:00 in DC
	again := e.anotherServer(t)
	m := again.waitScheduledStatus(a.agent, threadID, id, "canceled")
	if m.CancelReason == nil || *m.CancelReason != "quiet_hours" {
		t.Fatalf("released at 23:00: %+v", m)
	}
	if sent := again.fake.Sent(); len(sent) != 0 {
		t.Fatalf("sent %q", bodies(sent))
	}
}
