package main

// The harness of the fault tests (fault_test.go). Everything runs on
// loopback: a private PostgreSQL cluster that the test may restart, the real
// `smsinbox serve` binary (one or two processes on one database), and a fake
// Twilio in this process. smsinbox is looked at from outside only: over
// HTTP, and through the database's own records (the event store, the
// checkpoints, pg_locks).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

const (
	faultNumber     = "+12025550123" // the company's messaging number
	faultCompany    = "Fault Dental"
	faultAccountSID = "ACfa17fa17fa17fa17fa17fa17fa17fa17"
	faultAuthToken  = "faultauthtoken0123456789"

	// faultDeadline bounds every wait for a condition. It is a guard
	// against waiting for ever, not a measurement: generous, so that only
	// a smsinbox that never gets there fails.
	faultDeadline = 60 * time.Second
	// stopConfirmationBound is the product's requirement (the FCC's rule):
	// an opt-out is confirmed to the customer within 5 s of its webhook.
	stopConfirmationBound = 5 * time.Second
	// webhookBound is how long Twilio waits for a webhook's answer before
	// it gives up (15 s); a read of the dashboard gets as long.
	webhookBound = 15 * time.Second
)

// faultEnv is one fault scenario's world: a database of its own in the
// private cluster, the fake Twilio, the servers started on it, the company.
type faultEnv struct {
	t       *testing.T
	cluster *pgserver.Cluster
	dbURL   string
	pool    *pgxpool.Pool // the test's own look at the database
	fake    *twiliofake.Fake
	client  *http.Client

	companyID string
	token     string // a user of the company (role admin)
	appKey    string // the company's text_us_now key (web forms)
	consumers []string
}

// serverProc is one `smsinbox serve` process.
type serverProc struct {
	name    string
	base    string // http://127.0.0.1:PORT, also its PUBLIC_URL
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed once the process has ended
	exitErr error         // its exit, once exited is closed
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests build and run the binary and restart PostgreSQL")
	}
	return newFaultEnvOn(t, faultCluster(t))
}

// newFaultEnvOn is newFaultEnv with a database in cluster.
func newFaultEnvOn(t *testing.T, cluster *pgserver.Cluster) *faultEnv {
	t.Helper()
	ctx := context.Background()
	e := &faultEnv{t: t, cluster: cluster,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	t.Cleanup(e.client.CloseIdleConnections)
	db := "fault_" + randomHex(6)
	e.dbURL = e.cluster.URL(db)
	if err := pgserver.EnsureDatabase(ctx, e.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.dropDatabase(db) })
	cfg, err := pgxpool.ParseConfig(e.dbURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	if e.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.pool.Close)
	e.fake = twiliofake.New(t, faultAccountSID, faultAuthToken)
	return e
}

// dropDatabase drops the scenario's database once its servers are gone.
func (e *faultEnv) dropDatabase(db string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, e.cluster.URL("postgres"))
	if err != nil {
		return
	}
	defer pool.Close()
	_, _ = pool.Exec(ctx, `DROP DATABASE IF EXISTS `+db+` WITH (FORCE)`)
}

// startServer starts one `smsinbox serve` on the scenario's database and
// waits until it answers ready. The first server also sets up the company.
func (e *faultEnv) startServer(name string) *serverProc {
	e.t.Helper()
	return e.startServerWith(name)
}

// startServerWith is startServer with more environment (NAME=value).
func (e *faultEnv) startServerWith(name string, env ...string) *serverProc {
	e.t.Helper()
	port, err := pgserver.FreePort()
	if err != nil {
		e.t.Fatal(err)
	}
	s := &serverProc{name: name, base: fmt.Sprintf("http://127.0.0.1:%d", port), exited: make(chan struct{}),
		logPath: filepath.Join(e.t.TempDir(), "smsinbox-"+name+".log")}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		e.t.Fatal(err)
	}
	s.cmd = exec.Command(smsinboxBinary(e.t), "serve")
	s.cmd.Env = append(cleanEnv(), "DATABASE_URL="+e.dbURL, "LISTEN_ADDR="+strings.TrimPrefix(s.base, "http://"),
		"PUBLIC_URL="+s.base, "ADMIN_TOKEN="+adminToken, "TWILIO_ACCOUNT_SID="+faultAccountSID,
		"TWILIO_AUTH_TOKEN="+faultAuthToken, "TWILIO_API_URL="+e.fake.URL(), "PPROF_ADDR=")
	s.cmd.Env = append(s.cmd.Env, env...)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		s.exitErr = s.cmd.Wait()
		logFile.Close()
		close(s.exited)
	}()
	e.t.Cleanup(func() {
		_ = s.stop(syscall.SIGTERM)
		if e.t.Failed() {
			e.t.Logf("the last lines of server %s's log:\n%s", s.name, tail(s.logPath, 25))
		}
	})
	if _, ok := e.poll("server "+name+" ready", func(ctx context.Context) bool { return e.ready(ctx, s) }); !ok {
		e.t.FailNow()
	}
	if e.companyID == "" {
		e.setUpCompany(s)
	}
	return s
}

// stop signals the process and waits for it to end (a SIGKILL after the
// deadline).
func (s *serverProc) stop(sig syscall.Signal) error {
	if closed(s.exited) {
		return s.exitErr
	}
	_ = s.cmd.Process.Signal(sig) // it may have exited already
	select {
	case <-s.exited:
	case <-time.After(faultDeadline):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	return s.exitErr
}

func (s *serverProc) running() bool { return !closed(s.exited) }

// setUpCompany creates the company, a user and a web-form key through the
// admin API, and notes the consumers of the log the server runs.
func (e *faultEnv) setUpCompany(s *serverProc) {
	e.t.Helper()
	var co struct{ ID string }
	e.mustCall(s, "POST", "/api/admin/companies", adminToken,
		`{"name":"`+faultCompany+`","messaging_number":"`+faultNumber+`","time_zone":"America/New_York"}`, &co)
	var user struct{ Token string }
	e.mustCall(s, "POST", "/api/admin/companies/"+co.ID+"/users", adminToken, `{"name":"Ann","role":"admin"}`, &user)
	var key struct{ Key string }
	e.mustCall(s, "POST", "/api/admin/companies/"+co.ID+"/app-keys", adminToken, `{"app":"text_us_now"}`, &key)
	e.companyID, e.token, e.appKey = co.ID, user.Token, key.Key
	rows, err := e.pool.Query(context.Background(), `SELECT projector FROM projection_checkpoints ORDER BY projector`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			e.t.Fatal(err)
		}
		e.consumers = append(e.consumers, name)
	}
	if len(e.consumers) == 0 {
		e.t.Fatal("no consumer of the log has a checkpoint")
	}
}

// ---------------------------------------------------------------- HTTP

// call makes one request to server s and decodes a JSON answer into out
// (nil: none). It answers the status; an error when there was no answer.
func (e *faultEnv) call(ctx context.Context, s *serverProc, method, path, token, body string, out any) (int, error) {
	return e.callWith(ctx, s, method, path, token, body, nil, out)
}

// callWith is call with more request headers.
func (e *faultEnv) callWith(ctx context.Context, s *serverProc, method, path, token, body string, header http.Header, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w: %s", method, path, err, b)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	return resp.StatusCode, nil
}

func (e *faultEnv) mustCall(s *serverProc, method, path, token, body string, out any) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), webhookBound)
	defer cancel()
	if _, err := e.call(ctx, s, method, path, token, body, out); err != nil {
		e.t.Fatal(err)
	}
}

// ready reports whether s's /readyz answers 200.
func (e *faultEnv) ready(ctx context.Context, s *serverProc) bool {
	code, _ := e.call(ctx, s, "GET", "/readyz", "", "", nil)
	return code == http.StatusOK
}

// postWebhook posts a signed inbound text from customer to the company, as
// Twilio does, and answers its MessageSid and the status of the answer
// (200: acknowledged; 0: none within webhookBound).
func (e *faultEnv) postWebhook(ctx context.Context, s *serverProc, from, body string) (sid string, status int, err error) {
	params, err := twilio.NewInboundParams(faultNumber, from, body, faultAccountSID)
	if err != nil {
		return "", 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, webhookBound)
	defer cancel()
	resp, err := twilio.PostInbound(ctx, e.client, s.base, faultAuthToken, params)
	if err != nil {
		return "", 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode, fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return params.Get("MessageSid"), resp.StatusCode, nil
}

// passing reports whether a failed request may succeed when tried again:
// no answer, or a 5xx (a server or its database coming back). Anything
// else is the test's own mistake.
func passing(status int) bool { return status == 0 || status >= 500 }

// text posts a customer's text until a server acknowledges it (as Twilio
// would, were it told to retry), and answers its SID and when it was
// acknowledged.
func (e *faultEnv) text(s *serverProc, from, body string) (string, time.Time) {
	e.t.Helper()
	var sid string
	var status int
	var at time.Time
	var last error
	_, ok := e.poll("the webhook of "+from+" ("+body+") acknowledged", func(ctx context.Context) bool {
		sid, status, last = e.postWebhook(ctx, s, from, body)
		at = time.Now()
		return status == http.StatusOK || !passing(status)
	})
	if !ok || status != http.StatusOK {
		e.t.Fatalf("the webhook of %s (%s): %v", from, body, last)
	}
	return sid, at
}

// pendingCustomer submits the company's web form for customer with the
// opt-in box ticked: consent pending, and the confirmation request is
// texted to them.
func (e *faultEnv) pendingCustomer(s *serverProc, customer string) {
	e.t.Helper()
	e.mustCall(s, "POST", "/api/forms/submissions", e.appKey,
		`{"phone":"`+customer+`","first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","opt_in":true}`, nil)
	if _, ok := e.awaitAccepted(customer, "Reply YES"); !ok {
		e.t.FailNow()
	}
}

// consentingCustomer is a customer whose consent is yes (a web form, then
// their YES): staff may text them.
func (e *faultEnv) consentingCustomer(s *serverProc, customer string) {
	e.t.Helper()
	e.pendingCustomer(s, customer)
	e.text(s, customer, "YES")
}

// threadID is customer's thread (the ID the server derives too).
func (e *faultEnv) threadID(customer string) string {
	return conversation.ThreadID(e.companyID, phone.Number(customer)).String()
}

// reply queues a staff reply to customer (retried until a server takes it)
// and answers the message's ID.
func (e *faultEnv) reply(s *serverProc, customer, body string) string {
	e.t.Helper()
	id, _ := e.replyAt(s, customer, body)
	return id
}

// replyAt is reply that also answers the log position the reply was
// recorded at (what a dashboard then reads at, in X-Min-Position).
func (e *faultEnv) replyAt(s *serverProc, customer, body string) (id, position string) {
	e.t.Helper()
	payload, _ := json.Marshal(map[string]string{"body": body})
	var answer struct {
		MessageID string `json:"message_id"`
		Position  string `json:"position"`
	}
	// Staff answer a thread they can see: the reply looks the thread up in
	// the read models, which reach a text just after its webhook's 200. So
	// wait until the thread is there, as the dashboard would show it.
	if _, ok := e.poll("the thread of "+customer+" visible", func(ctx context.Context) bool {
		code, _ := e.call(ctx, s, "GET", "/api/threads/"+e.threadID(customer), e.token, "", nil)
		return code == http.StatusOK
	}); !ok {
		e.t.Fatalf("the thread of %s never became visible", customer)
	}
	var last error
	var code int
	if _, ok := e.poll("the reply to "+customer+" accepted", func(ctx context.Context) bool {
		code, last = e.call(ctx, s, "POST", "/api/threads/"+e.threadID(customer)+"/messages", e.token, string(payload), &answer)
		return code == http.StatusAccepted || !passing(code)
	}); !ok || code != http.StatusAccepted {
		e.t.Fatalf("the reply to %s: %v", customer, last)
	}
	return answer.MessageID, answer.Position
}

// readsOwnWrite checks that GET path on server s, asked to wait for the
// read models to reach position (X-Min-Position, as the dashboard asks
// after a write), answers 200.
func (e *faultEnv) readsOwnWrite(s *serverProc, path, position string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), webhookBound)
	defer cancel()
	if code, err := e.callWith(ctx, s, "GET", path, e.token, "", http.Header{"X-Min-Position": {position}}, nil); code != http.StatusOK {
		e.t.Errorf("GET %s with X-Min-Position %s: %d %v", path, position, code, err)
	}
}

// checkNothingSetAside checks that no consumer set an event aside (as one
// that fails on its own): an outage must be waited out, not make good
// events poison.
func (e *faultEnv) checkNothingSetAside() int {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), webhookBound)
	defer cancel()
	var n int
	var some string
	if err := e.pool.QueryRow(ctx, `SELECT count(*), coalesce(string_agg(projector || '@' || position || ': ' || reason, '; '), '')
		FROM projection_poison`).Scan(&n, &some); err != nil {
		e.t.Fatal(err)
	}
	if n > 0 {
		e.t.Errorf("%d events were set aside: %.500s", n, some)
	}
	return n
}

// ---------------------------------------------------------------- waiting

// poll looks at cond until it holds, for at most faultDeadline, and
// answers how long that took. Each look gets its own short context; the
// looks are 20 ms apart (the pace of the polling, not a wait for an
// outcome). A failure to get there is reported (t.Errorf) and answered.
func (e *faultEnv) poll(what string, cond func(ctx context.Context) bool) (time.Duration, bool) {
	e.t.Helper()
	began := time.Now()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), webhookBound)
		ok := cond(ctx)
		cancel()
		if ok {
			return time.Since(began), true
		}
		if time.Since(began) > faultDeadline {
			e.t.Errorf("timed out after %s waiting for %s", faultDeadline, what)
			return time.Since(began), false
		}
		<-tick.C
	}
}

// awaitTwilio waits until the fake has received a text to customer whose
// body contains words, and answers the first such request.
func (e *faultEnv) awaitTwilio(customer, words string) (twiliofake.Request, bool) {
	e.t.Helper()
	return e.awaitRequest(e.fake.Arrived, "received", customer, words)
}

// awaitAccepted waits until the fake has accepted (201) a text to
// customer whose body contains words, and answers it.
func (e *faultEnv) awaitAccepted(customer, words string) (twiliofake.Request, bool) {
	e.t.Helper()
	return e.awaitRequest(e.fake.Sent, "accepted", customer, words)
}

// awaitRequest waits until list (one of the fake's lists, which did what)
// holds a text to customer whose body contains words.
func (e *faultEnv) awaitRequest(list func() []twiliofake.Request, did, customer, words string) (twiliofake.Request, bool) {
	e.t.Helper()
	var found twiliofake.Request
	ctx, cancel := context.WithTimeout(context.Background(), faultDeadline)
	defer cancel()
	err := e.fake.Await(ctx, func() bool {
		for _, r := range list() {
			if r.To == customer && strings.Contains(r.Body, words) {
				found = r
				return true
			}
		}
		return false
	})
	if err != nil {
		e.t.Errorf("Twilio never %s a text to %s with %q (%v); requests: %s", did, customer, words, err, e.requestsTo(customer))
		return found, false
	}
	return found, true
}

// requestsTo describes the fake's requests to customer, for a failure.
func (e *faultEnv) requestsTo(customer string) string {
	var b strings.Builder
	for _, r := range e.fake.Requests() {
		if r.To == customer {
			fmt.Fprintf(&b, "[%s %d %.40q] ", r.Time.Format("15:04:05.000"), r.Status, r.Body)
		}
	}
	return b.String()
}

// stopConfirmation waits for the opt-out confirmation of customer, whose
// STOP a server acknowledged at acked, and answers how long after that it
// reached Twilio (-1 when it never did); it reports one later than
// stopConfirmationBound.
func (e *faultEnv) stopConfirmation(customer string, acked time.Time) time.Duration {
	e.t.Helper()
	r, ok := e.awaitTwilio(customer, "unsubscribed")
	if !ok {
		return -1
	}
	took := r.Time.Sub(acked)
	if took > stopConfirmationBound {
		e.t.Errorf("the STOP confirmation to %s reached Twilio %s after its webhook was acknowledged, later than %s",
			customer, took.Round(time.Millisecond), stopConfirmationBound)
	}
	return took
}

// ---------------------------------------------------------------- the database

// head is the event store's last position.
func (e *faultEnv) head(ctx context.Context) (int64, error) {
	var h int64
	err := e.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM es_events`).Scan(&h)
	return h, err
}

// slowest is the lowest checkpoint of the consumers.
func (e *faultEnv) slowest(ctx context.Context) (int64, error) {
	var p int64
	err := e.pool.QueryRow(ctx, `SELECT coalesce(min(position), 0) FROM projection_checkpoints WHERE projector = ANY($1)`, e.consumers).Scan(&p)
	return p, err
}

// caughtUp reports whether every consumer's checkpoint is at least at.
func (e *faultEnv) caughtUp(ctx context.Context, at int64) bool {
	p, err := e.slowest(ctx)
	return err == nil && p >= at
}

// lagZero reports whether every consumer has consumed the whole log.
func (e *faultEnv) lagZero(ctx context.Context) bool {
	h, err := e.head(ctx)
	return err == nil && e.caughtUp(ctx, h)
}

// awaitLagZero waits until every consumer has consumed the whole log and
// answers how long that took.
func (e *faultEnv) awaitLagZero() time.Duration {
	e.t.Helper()
	took, ok := e.poll("every consumer's checkpoint at the event store's head (lag zero)", e.lagZero)
	if !ok {
		e.t.Errorf("lag: %s", e.lagReport())
	}
	return took
}

// lagReport says where each consumer stands, for a failure.
func (e *faultEnv) lagReport() string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, _ := e.head(ctx)
	rows, err := e.pool.Query(ctx, `SELECT projector, position FROM projection_checkpoints WHERE projector = ANY($1) ORDER BY projector`, e.consumers)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	held, _ := e.holders(ctx)
	var b strings.Builder
	fmt.Fprintf(&b, "head %d;", h)
	for rows.Next() {
		var name string
		var p int64
		if err := rows.Scan(&name, &p); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, " %s=%d (behind %d, lock held by %d)", name, p, h-p, held[name])
	}
	return b.String()
}

// holders counts, for each consumer, the sessions that hold its lock.
func (e *faultEnv) holders(ctx context.Context) (map[string]int, error) {
	pids, err := e.holderPIDs(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for name, p := range pids {
		out[name] = len(p)
	}
	return out, nil
}

// holderPIDs are, for each consumer, the backends (pids) of the sessions
// that hold its lock in this database (pg_locks: an advisory lock on a
// bigint key shows its high half as classid, its low half as objid).
func (e *faultEnv) holderPIDs(ctx context.Context) (map[string][]int32, error) {
	keys := make([]int64, len(e.consumers))
	for i, n := range e.consumers {
		keys[i] = checkpoint.LockKey(n)
	}
	rows, err := e.pool.Query(ctx, `
		SELECT n.name, l.pid
		FROM unnest($1::text[], $2::bigint[]) AS n(name, key)
		JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		     AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		     AND ((l.classid::bigint << 32) | l.objid::bigint) = n.key`, e.consumers, keys)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int32{}
	for rows.Next() {
		var name string
		var pid int32
		if err := rows.Scan(&name, &pid); err != nil {
			return nil, err
		}
		out[name] = append(out[name], pid)
	}
	return out, rows.Err()
}

// unheld are the consumers whose lock no session holds.
func (e *faultEnv) unheld(ctx context.Context) ([]string, error) {
	held, err := e.holders(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range e.consumers {
		if held[n] == 0 {
			out = append(out, n)
		}
	}
	return out, nil
}

// eachHeldOnce reports whether exactly one session holds each consumer.
func (e *faultEnv) eachHeldOnce(ctx context.Context) bool {
	held, err := e.holders(ctx)
	if err != nil {
		return false
	}
	for _, n := range e.consumers {
		if held[n] != 1 {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------- small things

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// change wakes those who wait for a condition each time what it looks at
// changes: a waiter takes next() before it looks, so a change while it
// looks is not missed.
type change struct {
	mu sync.Mutex
	ch chan struct{}
}

func (c *change) next() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch == nil {
		c.ch = make(chan struct{})
	}
	return c.ch
}

func (c *change) notify() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
}

// await waits until cond holds, looking again at each change, for at most
// faultDeadline; it gives up early (false) when ended closes.
func (c *change) await(cond func() bool, ended <-chan struct{}) bool {
	deadline := time.NewTimer(faultDeadline)
	defer deadline.Stop()
	for {
		next := c.next()
		if cond() {
			return true
		}
		select {
		case <-next:
		case <-ended:
			return cond()
		case <-deadline.C:
			return false
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tail is the last n lines of the file at path.
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// outcome is what the event store records of an outbound message's sends.
type outcome struct {
	sent   []string // the Twilio SID of each OutboundMessageSent
	failed []string // the reason of each OutboundMessageFailed
}

func (o outcome) recorded() bool { return len(o.sent)+len(o.failed) > 0 }

func (o outcome) String() string {
	var parts []string
	for _, sid := range o.sent {
		parts = append(parts, "sent "+sid)
	}
	for _, reason := range o.failed {
		parts = append(parts, "failed: "+reason)
	}
	if len(parts) == 0 {
		return "nothing recorded"
	}
	return strings.Join(parts, "; ")
}

// outcomeOf reads the outcomes of the outbound message id.
func (e *faultEnv) outcomeOf(ctx context.Context, id string) (outcome, error) {
	var o outcome
	rows, err := e.pool.Query(ctx, `SELECT type, coalesce(data->>'twilio_sid', ''), coalesce(data->>'reason', '') FROM es_events
		WHERE type IN ('OutboundMessageSent', 'OutboundMessageFailed') AND data->>'message_id' = $1 ORDER BY position`, id)
	if err != nil {
		return o, err
	}
	defer rows.Close()
	for rows.Next() {
		var typ, sid, reason string
		if err := rows.Scan(&typ, &sid, &reason); err != nil {
			return o, err
		}
		if typ == "OutboundMessageSent" {
			o.sent = append(o.sent, sid)
		} else {
			o.failed = append(o.failed, reason)
		}
	}
	return o, rows.Err()
}

// awaitOutcome waits until the outcome of message id is recorded.
func (e *faultEnv) awaitOutcome(id string) outcome {
	e.t.Helper()
	var o outcome
	e.poll("the outcome of message "+id+" recorded", func(ctx context.Context) bool {
		var err error
		o, err = e.outcomeOf(ctx, id)
		return err == nil && o.recorded()
	})
	return o
}

// checkSentOnce checks that message id is recorded sent exactly once, with
// the SID Twilio gave it (accepted), and never failed.
func (e *faultEnv) checkSentOnce(id string, accepted twiliofake.Request) outcome {
	e.t.Helper()
	o := e.awaitOutcome(id)
	if len(o.sent) != 1 || len(o.failed) != 0 || o.sent[0] != accepted.SID {
		e.t.Errorf("message %s: %s; want sent once with Twilio's SID %s and never failed", id, o, accepted.SID)
	}
	return o
}

// with is the env for a subtest.
func (e *faultEnv) with(t *testing.T) *faultEnv {
	c := *e
	c.t = t
	return &c
}
