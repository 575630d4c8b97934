package app_test

// End-to-end tests of the limits on failed sign-ins, on X-Min-Position
// waits and on live streams.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/httpapi"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// syncBuffer is a log destination tests read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// limitedEnv is an env with the production sign-in limits on a clock the
// test moves, and its warnings in logs.
func limitedEnv(t *testing.T) (e *env, clock *fakeClock, logs *syncBuffer) {
	clock = &fakeClock{now: time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)}
	logs = &syncBuffer{}
	e = newEnvWith(t, envConfig{adminToken: adminTok,
		signIns: httpapi.SignInLimits{Burst: httpapi.DefaultSignInBurst, Refill: httpapi.DefaultSignInRefill, Now: clock.Now},
		configure: func(c *app.Config) {
			c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}})
	return e, clock, logs
}

// from is a client whose connections come from the loopback address ip
// (127.0.0.0/8 is all this machine's).
func (e *env) from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// doFrom is e.do through client.
func (e *env) doFrom(client *http.Client, r req) response {
	e.t.Helper()
	saved := e.client
	e.client = client
	defer func() { e.client = saved }()
	return e.do(r)
}

func TestFailedAdminSignInsAreLimited(t *testing.T) {
	e, clock, logs := limitedEnv(t)
	a := e.newTenant("Acme Dental", numA)
	attacker, other := e.from("127.0.0.1"), e.from("127.0.0.2")
	list := req{method: "GET", path: "/api/admin/unrouted"}
	for i := range httpapi.DefaultSignInBurst {
		r := list
		r.token = fmt.Sprintf("guess-%02d-%s", i, strings.Repeat("x", 20))
		expect(t, e.doFrom(attacker, r), http.StatusUnauthorized, "unauthorized")
	}
	r := list
	r.token = "guess-last"
	refused := e.doFrom(attacker, r)
	expect(t, refused, http.StatusTooManyRequests, "too_many_attempts")
	if ra, err := strconv.Atoi(refused.header.Get("Retry-After")); err != nil || ra < 1 || ra > 6 {
		t.Fatalf("Retry-After %q, want 1 to 6 seconds", refused.header.Get("Retry-After"))
	}
	// Even the right token waits its turn at that address: behind the 429
	// a guess would otherwise still be checked.
	r.token = adminTok
	expect(t, e.doFrom(attacker, r), http.StatusTooManyRequests, "too_many_attempts")

	// The right token from another address is not slowed.
	r.token = adminTok
	expect(t, e.doFrom(other, r), http.StatusOK, "")
	expect(t, e.doFrom(other, req{method: "GET", path: "/api/me", token: a.agent}), http.StatusOK, "")

	// Time gives one attempt back.
	clock.Advance(httpapi.DefaultSignInRefill)
	expect(t, e.doFrom(attacker, r), http.StatusOK, "")

	// Each failure was logged as a warning, without the token.
	out := logs.String()
	if n := strings.Count(out, "sign-in failed"); n != httpapi.DefaultSignInBurst {
		t.Errorf("%d failed sign-ins logged, want %d:\n%s", n, httpapi.DefaultSignInBurst, out)
	}
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "credential=admin") || !strings.Contains(out, "client=127.0.0.1") {
		t.Errorf("log lines lack level, credential or client:\n%s", out)
	}
	if strings.Contains(out, "guess-0") || strings.Contains(out, adminTok) {
		t.Errorf("a token is in the logs:\n%s", out)
	}
}

// Guesses at one token from many addresses are limited by the token's
// start; other tokens from those addresses are not.
func TestFailedSignInsAreLimitedPerTokenPrefix(t *testing.T) {
	e, _, logs := limitedEnv(t)
	a := e.newTenant("Acme Dental", numA)
	prefix := "smi_AAAAAAAA"
	me := func(ip, token string) response {
		t.Helper()
		return e.doFrom(e.from(ip), req{method: "GET", path: "/api/me", token: token})
	}
	for i := range httpapi.DefaultSignInBurst {
		expect(t, me(fmt.Sprintf("127.0.1.%d", i+1), fmt.Sprintf("%sguess%d", prefix, i)), http.StatusUnauthorized, "unauthorized")
	}
	expect(t, me("127.0.2.1", prefix+"another"), http.StatusTooManyRequests, "too_many_attempts")
	expect(t, me("127.0.2.1", a.agent), http.StatusOK, "")
	if !strings.Contains(logs.String(), "credential=user") {
		t.Errorf("user token failures not logged:\n%s", logs.String())
	}
	// App keys count too.
	for i := range httpapi.DefaultSignInBurst {
		expect(t, e.doFrom(e.from("127.0.3.1"), req{method: "POST", path: "/api/forms/submissions", token: fmt.Sprintf("smk_guess%d", i),
			body: formBody(cust1, false)}), http.StatusUnauthorized, "unauthorized")
	}
	expect(t, e.doFrom(e.from("127.0.3.1"), req{method: "POST", path: "/api/forms/submissions", token: "smk_guess-last",
		body: formBody(cust1, false)}), http.StatusTooManyRequests, "too_many_attempts")
	if !strings.Contains(logs.String(), "credential=app_key") {
		t.Errorf("app key failures not logged:\n%s", logs.String())
	}
}

// X-Min-Position waits only once the caller is signed in: a request with no
// token, or a bad one, is answered 401 while the position is still out of
// reach (it never comes: nothing is appended).
func TestMinPositionSignInFirst(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	head, err := strconv.ParseUint(e.head(), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	far := map[string]string{"X-Min-Position": strconv.FormatUint(head+1_000_000, 10)}
	for _, path := range []string{"/api/threads", "/api/consent/" + cust1, "/api/messages/export.csv"} {
		expect(t, e.do(req{method: "GET", path: path, header: far}), http.StatusUnauthorized, "unauthorized")
		expect(t, e.do(req{method: "GET", path: path, token: "smi_nobody", header: far}), http.StatusUnauthorized, "unauthorized")
	}
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + "00000000-0000-0000-0000-000000000000" + "/read", header: far}), http.StatusUnauthorized, "unauthorized")
	// A bad position from a signed-in user is still a 400.
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: a.agent, header: map[string]string{"X-Min-Position": "x"}}), http.StatusBadRequest, "invalid_position")
	if pos, _ := strconv.ParseUint(e.head(), 10, 64); pos != head {
		t.Fatalf("the store moved from %d to %d: the position was not out of reach", head, pos)
	}
}

// A user has at most 8 waits at once; the next is 429 with Retry-After,
// and another user still waits.
func TestMinPositionWaitsPerUser(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	bob := e.addUser(a.ID, "agent")
	head, err := strconv.ParseUint(e.head(), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	far := strconv.FormatUint(head+1_000_000, 10)
	ctx, cancel := context.WithCancel(context.Background())
	var held sync.WaitGroup
	for range 8 {
		held.Go(func() {
			hr, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/api/threads", nil)
			hr.Header.Set("Authorization", "Bearer "+a.agent)
			hr.Header.Set("X-Min-Position", far)
			if resp, err := e.client.Do(hr); err == nil {
				resp.Body.Close()
			}
		})
	}
	defer func() { cancel(); held.Wait() }()
	e.waitForGauge("smsinbox_http_position_waits", 8)

	r := e.do(req{method: "GET", path: "/api/threads", token: a.agent, header: map[string]string{"X-Min-Position": far}})
	expect(t, r, http.StatusTooManyRequests, "too_many_waits")
	if r.header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	// Another user's wait goes on (to a position already reached).
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: bob, header: map[string]string{"X-Min-Position": e.head()}}), http.StatusOK, "")
	cancel()
	held.Wait()
	e.waitForGauge("smsinbox_http_position_waits", 0)
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: a.agent, header: map[string]string{"X-Min-Position": e.head()}}), http.StatusOK, "")
}

// waitForGauge waits until the app's gauge reads want (a positive signal:
// the requests it counts are where the test needs them).
func (e *env) waitForGauge(name string, want float64) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := -1.0
		families, err := e.app.Registry.Gather()
		if err != nil {
			e.t.Fatal(err)
		}
		for _, f := range families {
			if f.GetName() == name && len(f.GetMetric()) == 1 {
				got = f.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s is %v, want %v", name, got, want)
		}
		// The pace of the poll: a Prometheus gauge sends no signal when it
		// changes, and the waits it counts sit inside HTTP handlers.
		time.Sleep(5 * time.Millisecond)
	}
}

// A user's sixth live stream closes the oldest (closed frame, reason
// too_many_streams); the other five live on.
func TestLiveStreamsPerUser(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	var streams []*eventStream
	for range 5 {
		s := e.events(a.agent, "", nil)
		s.start()
		streams = append(streams, s)
	}
	sixth := e.events(a.agent, "", nil)
	sixth.start()
	streams[0].closedFor("too_many_streams")
	e.text(numA, cust1, "Who is there?")
	for _, s := range append(streams[1:], sixth) {
		s.threadFrame(cust1, func(thread) bool { return true })
	}
}
