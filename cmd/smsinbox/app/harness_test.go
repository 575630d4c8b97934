package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/httpapi"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// TestMain gives the package's tests a PostgreSQL server (pgtest.NewPool).
func TestMain(m *testing.M) { pgtest.Main(m) }

// Valid US numbers (+1 555 numbers are possible, not valid: see
// possible_numbers_test.go).
const (
	numA     = "+12025550123" // company A's messaging number
	numA2    = "+12025550124" // company A's next number
	numB     = "+12025550130" // company B's messaging number
	numNone  = "+12025550140" // nobody's number
	cust1    = "+12025550187"
	cust2    = "+12025550199"
	cust3    = "+13125550111"
	cust4    = "+14155550122"
	cust5    = "+16175550133"
	adminTok = "test-admin-token-0123456789abcdef" // ADMIN_TOKEN needs 32 characters or more
)

// fakeClock is app.Config.Now and Alarm: time stands still until a test
// advances it, and its alarms go off as it passes them.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

// Alarm fires once the clock reads at (at once when it does already).
func (c *fakeClock) Alarm(at time.Time) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if !c.now.Before(at) {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{at: at, ch: ch})
	return ch
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	waiting := c.timers[:0]
	for _, t := range c.timers {
		if t.at.After(c.now) {
			waiting = append(waiting, t)
			continue
		}
		t.ch <- c.now
	}
	c.timers = waiting
}

// env is one smsinbox, on its own database, behind an httptest server,
// with its projectors running.
type env struct {
	t     *testing.T
	app   *app.App
	srv   *httptest.Server
	clock *fakeClock
	// publicURL is what webhooks are signed against (the server's URL).
	publicURL string
	client    *http.Client
	// pool is the database (read models and events).
	pool *pgxpool.Pool
	// account is the Twilio account SID the app is configured with ("" in
	// the sandbox): the AccountSid of the webhooks the tests post.
	account string
	// stopRun stops the app's background work (projectors, sender,
	// notifier): the read models stay as they are.
	stopRun func()
}

type envConfig struct {
	adminToken string
	publicURL  string // "" derives it from the request
	// configure, when set, changes the app's configuration (Twilio's
	// credentials and API URL, ...) before it is built.
	configure func(*app.Config)
	// pool and clock, when set, are another env's: a second server on the
	// same database, or the same server started again.
	pool  *pgxpool.Pool
	clock *fakeClock
	// signIns are the failed sign-in limits. Zero: so many failures that
	// no test of refusals (every route with a bad token, from one address)
	// meets them; the tests of the limits set them.
	signIns httpapi.SignInLimits
}

func newEnv(t *testing.T) *env {
	return newEnvWith(t, envConfig{adminToken: adminTok})
}

func newEnvWith(t *testing.T, cfg envConfig) *env {
	t.Helper()
	pool := cfg.pool
	if pool == nil {
		pool = pgtest.NewPool(t)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	store, err := pgstore.New(context.Background(), pool, pgstore.Config{Logger: logger})
	if err != nil {
		t.Fatalf("event store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	clock := cfg.clock
	if clock == nil {
		clock = &fakeClock{now: time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)}
	}
	if cfg.signIns.Burst == 0 {
		cfg.signIns.Burst = 1 << 20
	}
	acfg := app.Config{
		Pool: pool, Store: store, PublicURL: cfg.publicURL, AdminToken: cfg.adminToken,
		Now: clock.Now, Alarm: clock.Alarm, Logger: logger, SignIns: cfg.signIns,
	}
	if cfg.configure != nil {
		cfg.configure(&acfg)
	}
	a, err := app.New(acfg)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var stopOnce sync.Once
	stop := func() {
		stopOnce.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("App.Run: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("App.Run did not stop")
			}
		})
	}
	t.Cleanup(stop)
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	e := &env{t: t, app: a, srv: srv, clock: clock, publicURL: srv.URL, client: srv.Client(), pool: pool, account: acfg.TwilioSID, stopRun: stop}
	if cfg.publicURL != "" {
		e.publicURL = strings.TrimRight(cfg.publicURL, "/")
	}
	return e
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("answer %d is not JSON (%v): %s", r.status, err, r.body)
	}
}

// errorCode is the code of the error shape (api/openapi.yaml) ("" when it is not one).
func (r response) errorCode() string {
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(r.body, &e) != nil || e.Error.Message == "" {
		return ""
	}
	return e.Error.Code
}

// req is one request to the server.
type req struct {
	method, path string
	token        string // bearer token; "" sends none
	body         any    // string or []byte sent as is; anything else as JSON; nil sends none
	header       map[string]string
}

func (e *env) do(r req) response {
	e.t.Helper()
	resp, err := e.client.Do(e.request(r))
	if err != nil {
		e.t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read: %v", r.method, r.path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// request builds r as an *http.Request to the server.
func (e *env) request(r req) *http.Request {
	e.t.Helper()
	var body io.Reader
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatalf("marshal: %v", err)
		}
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(r.method, e.srv.URL+r.path, body)
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	return hr
}

// expect fails the test unless the answer has status (and, for errors, code).
func expect(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if code != "" && r.errorCode() != code {
		t.Fatalf("error code %q, want %q: %s", r.errorCode(), code, r.body)
	}
}

// company is the admin API's answer about a company.
type company struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	MessagingNumber string `json:"messaging_number"`
	TimeZone        string `json:"time_zone"`
	SMSEnabled      bool   `json:"sms_enabled"`
	Position        string `json:"position"`
}

func (e *env) createCompany(name, number string) company {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": name, "messaging_number": number}})
	expect(e.t, r, http.StatusCreated, "")
	var c company
	r.json(e.t, &c)
	return c
}

func (e *env) addUser(companyID, role string) string {
	e.t.Helper()
	return e.newUser(companyID, role).Token
}

// tenant is a company with an agent.
type tenant struct {
	company
	agent string
}

func (e *env) newTenant(name, number string) tenant {
	e.t.Helper()
	c := e.createCompany(name, number)
	return tenant{company: c, agent: e.addUser(c.ID, "agent")}
}

// inboundParams are the parameters of an ordinary inbound SMS to the app's
// Twilio account (any account in the sandbox).
func (e *env) inboundParams(to, from, body string) url.Values {
	e.t.Helper()
	p, err := twilio.NewInboundParams(to, from, body, e.account)
	if err != nil {
		e.t.Fatalf("inbound params: %v", err)
	}
	return p
}

// postWebhook posts a form to the inbound webhook, signed with the sandbox
// token against the URL the server checks; sig, when not nil, replaces the
// signature ("" sends none).
func (e *env) postWebhook(form url.Values, sig *string) response {
	e.t.Helper()
	return e.postRawWebhook(form.Encode(), form, sig)
}

// postRawWebhook posts body, signed as if it were the form signed.
func (e *env) postRawWebhook(body string, signed url.Values, sig *string) response {
	e.t.Helper()
	target := e.srv.URL + twilio.InboundPath
	hr, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		e.t.Fatalf("request: %v", err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	s := twilio.Sign(app.SandboxToken, e.publicURL+twilio.InboundPath, signed)
	if sig != nil {
		s = *sig
	}
	if s != "" {
		hr.Header.Set(twilio.SignatureHeader, s)
	}
	resp, err := e.client.Do(hr)
	if err != nil {
		e.t.Fatalf("webhook: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// text delivers a signed inbound SMS and checks Twilio's expected answer.
// It returns the MessageSid.
func (e *env) text(to, from, body string) string {
	e.t.Helper()
	p := e.inboundParams(to, from, body)
	e.deliver(p)
	return p.Get("MessageSid")
}

// deliver posts a signed inbound webhook, checks the answer (200, empty
// TwiML) and returns its X-Event-Position.
func (e *env) deliver(p url.Values) string {
	e.t.Helper()
	r := e.postWebhook(p, nil)
	expect(e.t, r, http.StatusOK, "")
	pos := r.header.Get("X-Event-Position")
	if n, err := strconv.ParseUint(pos, 10, 64); err != nil || n == 0 {
		e.t.Fatalf("webhook X-Event-Position %q is not a position", pos)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		e.t.Fatalf("webhook Content-Type %q, want text/xml", ct)
	}
	if !strings.Contains(string(r.body), "<Response/>") {
		e.t.Fatalf("webhook answer is not empty TwiML: %s", r.body)
	}
	return pos
}

// head is the event store's head, as X-Min-Position wants it: waiting for
// it reads every write made so far (webhooks answer no position).
func (e *env) head() string {
	e.t.Helper()
	h, err := e.app.Store.Head(context.Background())
	if err != nil {
		e.t.Fatalf("head: %v", err)
	}
	return strconv.FormatUint(uint64(h), 10)
}

// thread and message are api/openapi.yaml's shapes.
type thread struct {
	ID                  string     `json:"id"`
	CustomerPhone       string     `json:"customer_phone"`
	CustomerName        *string    `json:"customer_name"`
	LeadID              *string    `json:"lead_id"`
	Unread              bool       `json:"unread"`
	Archived            bool       `json:"archived"`
	Consent             string     `json:"consent"`
	LastActivityAt      time.Time  `json:"last_activity_at"`
	LastCustomerReplyAt *time.Time `json:"last_customer_reply_at"`
	LastMessagePreview  string     `json:"last_message_preview"`
	Messages            []message  `json:"messages"`
}

type message struct {
	ID        string  `json:"id"`
	ThreadID  string  `json:"thread_id"`
	Direction string  `json:"direction"`
	From      string  `json:"from"`
	To        string  `json:"to"`
	Body      string  `json:"body"`
	Status    string  `json:"status"`
	ErrorCode *int    `json:"error_code"`
	Automated bool    `json:"automated"`
	App       string  `json:"app"`
	CreatedAt string  `json:"created_at"`
	Media     []media `json:"media"`
}

type media struct {
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
}

type threadPage struct {
	Threads    []thread `json:"threads"`
	NextCursor *string  `json:"next_cursor"`
}

// list reads a page of threads once the read models reached minPos ("" waits for nothing).
func (e *env) list(token, query, minPos string) threadPage {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/threads" + query, token: token, header: minPosHeader(minPos)})
	expect(e.t, r, http.StatusOK, "")
	var p threadPage
	r.json(e.t, &p)
	return p
}

// inbox is the whole first page of the Inbox, read after every write so far.
func (e *env) inbox(token string) []thread {
	e.t.Helper()
	return e.list(token, "", e.head()).Threads
}

func (e *env) archived(token string) []thread {
	e.t.Helper()
	return e.list(token, "?folder=archived", e.head()).Threads
}

// get reads a thread with its messages after every write so far.
func (e *env) get(token, id string) thread {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/threads/" + id, token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	var th thread
	r.json(e.t, &th)
	return th
}

// command posts read / unread / archive / unarchive and returns its position.
func (e *env) command(token, id, action string) string {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/threads/" + id + "/" + action, token: token})
	expect(e.t, r, http.StatusOK, "")
	return checkPosition(e.t, r)
}

// checkPosition checks a command's answer: {"position"} and the same in X-Event-Position.
func checkPosition(t *testing.T, r response) string {
	t.Helper()
	var p struct {
		Position string `json:"position"`
	}
	r.json(t, &p)
	if _, err := strconv.ParseUint(p.Position, 10, 64); err != nil || p.Position == "0" {
		t.Fatalf("position %q is not a position: %s", p.Position, r.body)
	}
	if h := r.header.Get("X-Event-Position"); h != p.Position {
		t.Fatalf("X-Event-Position %q, body position %q", h, p.Position)
	}
	return p.Position
}

func minPosHeader(pos string) map[string]string {
	if pos == "" {
		return nil
	}
	return map[string]string{"X-Min-Position": pos}
}

// threadByPhone finds the thread of a customer in a list.
func threadByPhone(threads []thread, phone string) (thread, bool) {
	for _, th := range threads {
		if th.CustomerPhone == phone {
			return th, true
		}
	}
	return thread{}, false
}

func phones(threads []thread) []string {
	out := make([]string, len(threads))
	for i, th := range threads {
		out[i] = th.CustomerPhone
	}
	return out
}

// mustThread finds the customer's thread in token's Inbox.
func (e *env) mustThread(token, phone string) thread {
	e.t.Helper()
	th, ok := threadByPhone(e.inbox(token), phone)
	if !ok {
		e.t.Fatalf("no Inbox thread for %s", phone)
	}
	return th
}
