package app_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------- the live stream's client

// sseFrame is one frame of a Server-Sent Events stream: its fields, or a
// comment.
type sseFrame struct {
	ID, Event, Data, Retry, Comment string
}

// thread reads a `thread` frame's data.
func (f sseFrame) thread(t *testing.T) thread {
	t.Helper()
	if f.Event != "thread" {
		t.Fatalf("frame %+v is not a thread", f)
	}
	var th thread
	if err := json.Unmarshal([]byte(f.Data), &th); err != nil {
		t.Fatalf("thread frame data %q: %v", f.Data, err)
	}
	return th
}

func (f sseFrame) position(t *testing.T) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(f.ID, 10, 64)
	if err != nil {
		t.Fatalf("frame id %q is not a position: %+v", f.ID, f)
	}
	return n
}

// eventStream is an open GET /api/events, read by a goroutine into frames.
type eventStream struct {
	t      *testing.T
	resp   *http.Response
	frames chan sseFrame // closed when the stream ends
	// seen is every frame next returned, for assertions about what did not come.
	seen []sseFrame
}

// events opens the live stream with token; query is appended to the path
// and header sent as is. The stream is closed when the test ends.
func (e *env) events(token, query string, header map[string]string) *eventStream {
	e.t.Helper()
	hr, err := http.NewRequest(http.MethodGet, e.srv.URL+"/api/events"+query, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	for k, v := range header {
		hr.Header.Set(k, v)
	}
	resp, err := e.client.Do(hr)
	if err != nil {
		e.t.Fatalf("GET /api/events: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		e.t.Fatalf("GET /api/events: %d %s", resp.StatusCode, b)
	}
	s := &eventStream{t: e.t, resp: resp, frames: make(chan sseFrame, 1000)}
	go s.read()
	// Registered after the server's cleanup, so it runs first: the server's
	// Close waits for open requests.
	e.t.Cleanup(s.close)
	return s
}

// read parses the stream (text/event-stream: fields up to a blank line).
func (s *eventStream) read() {
	defer close(s.frames)
	r := bufio.NewReader(s.resp.Body)
	var f sseFrame
	started := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if started {
				s.frames <- f
			}
			f, started = sseFrame{}, false
			continue
		}
		started = true
		name, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch name {
		case "":
			f.Comment = value
		case "id":
			f.ID = value
		case "event":
			f.Event = value
		case "data":
			f.Data = value
		case "retry":
			f.Retry = value
		}
	}
}

func (s *eventStream) close() { s.resp.Body.Close() }

// next is the next frame within timeout; ok is false when the stream ended.
func (s *eventStream) next(timeout time.Duration) (f sseFrame, ok bool) {
	s.t.Helper()
	select {
	case f, ok = <-s.frames:
		if ok {
			s.seen = append(s.seen, f)
		}
		return f, ok
	case <-time.After(timeout):
		s.t.Fatalf("no frame within %s (seen %+v)", timeout, s.seen)
		return f, false
	}
}

// until reads frames until one satisfies match, within 5 s.
func (s *eventStream) until(what string, match func(sseFrame) bool) sseFrame {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			s.t.Fatalf("no %s within 5 s (seen %+v)", what, s.seen)
		}
		f, ok := s.next(left)
		if !ok {
			s.t.Fatalf("the stream ended before %s (seen %+v)", what, s.seen)
		}
		if match(f) {
			return f
		}
	}
}

// threadFrame waits for a thread frame of the customer that satisfies match.
func (s *eventStream) threadFrame(phone string, match func(thread) bool) (sseFrame, thread) {
	s.t.Helper()
	var th thread
	f := s.until("thread frame for "+phone, func(f sseFrame) bool {
		if f.Event != "thread" {
			return false
		}
		th = f.thread(s.t)
		return th.CustomerPhone == phone && match(th)
	})
	return f, th
}

// nothingBefore shows that no other frame came: a later change (a text from
// customer to number, a company the stream's user belongs to) reaches the
// stream, and it is the next frame.
func (s *eventStream) nothingBefore(e *env, number, customer string) {
	s.t.Helper()
	e.text(number, customer, "a later change")
	f, ok := s.next(10 * time.Second)
	if !ok {
		s.t.Fatalf("the stream ended before the later change (seen %+v)", s.seen)
	}
	if f.Event != "thread" || f.thread(s.t).CustomerPhone != customer {
		s.t.Fatalf("unexpected frame %+v before the later change", f)
	}
}

// start reads the stream's opening (retry, then ready) and returns ready's
// position.
func (s *eventStream) start() string {
	s.t.Helper()
	h := s.resp.Header
	if h.Get("Content-Type") != "text/event-stream" || h.Get("Cache-Control") != "no-store" || h.Get("X-Accel-Buffering") != "no" {
		s.t.Fatalf("stream headers %v", h)
	}
	retry, ok := s.next(5 * time.Second)
	if !ok || retry != (sseFrame{Retry: "2000"}) {
		s.t.Fatalf("first frame %+v, want retry: 2000", retry)
	}
	ready, ok := s.next(5 * time.Second)
	if !ok || ready.Event != "ready" || ready.Data != `{"position":"`+ready.ID+`"}` {
		s.t.Fatalf("second frame %+v, want ready", ready)
	}
	ready.position(s.t)
	return ready.ID
}

// anyState matches a thread frame whatever it shows.
func anyState(thread) bool { return true }

// ---------------------------------------------------------------- tests

// A text opens an unread thread: its frame is the Thread of GET /api/threads,
// byte for byte. Marking it read sends it again, read, at a later position.
func TestLiveThreadFrames(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	s := e.events(a.agent, "", nil)
	ready := s.start()

	e.text(numA, cust1, "Is the shop open?")
	f, th := s.threadFrame(cust1, anyState)
	if !th.Unread || th.Archived || th.LastMessagePreview != "Is the shop open?" || th.Consent != "no" {
		t.Fatalf("thread frame %+v", th)
	}
	if f.position(t) <= mustUint(t, ready) {
		t.Fatalf("frame id %s not after ready %s", f.ID, ready)
	}
	// Byte for byte what the list answers.
	r := e.do(req{method: "GET", path: "/api/threads", token: a.agent, header: minPosHeader(f.ID)})
	expect(t, r, http.StatusOK, "")
	var page struct {
		Threads []json.RawMessage `json:"threads"`
	}
	r.json(t, &page)
	if len(page.Threads) != 1 || string(page.Threads[0]) != f.Data {
		t.Fatalf("frame data\n%s\nlist\n%s", f.Data, r.body)
	}

	pos := e.command(a.agent, th.ID, "read")
	g, read := s.threadFrame(cust1, func(th thread) bool { return !th.Unread })
	if read.ID != th.ID || g.position(t) < mustUint(t, pos) {
		t.Fatalf("read frame %+v at %s, the command at %s", read, g.ID, pos)
	}
}

// A client that reconnects with the last id it saw gets every thread that
// changed meanwhile, once each in its latest state, in position order, and
// nothing it had before; ?last_event_id= works as the header does.
func TestLiveResume(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust3, "before")
	e.inbox(a.agent) // the read models have it
	s := e.events(a.agent, "", nil)
	last := s.start()
	s.close()

	e.text(numA, cust1, "one")
	e.text(numA, cust2, "two")
	th1 := e.mustThread(a.agent, cust1)
	e.command(a.agent, th1.ID, "read")
	e.inbox(a.agent) // every read model has every change

	s = e.events(a.agent, "", map[string]string{"Last-Event-ID": last})
	if got := s.start(); got != last {
		t.Fatalf("ready at %s, want the Last-Event-ID %s", got, last)
	}
	first, _ := s.next(5 * time.Second)
	second, _ := s.next(5 * time.Second)
	t2, t1 := first.thread(t), second.thread(t)
	if t2.CustomerPhone != cust2 || !t2.Unread || t1.CustomerPhone != cust1 || t1.Unread || t1.LastMessagePreview != "one" {
		t.Fatalf("after the reconnection: %+v then %+v", t2, t1)
	}
	if !(mustUint(t, last) < first.position(t) && first.position(t) < second.position(t)) {
		t.Fatalf("ids %s, %s after %s", first.ID, second.ID, last)
	}
	s.nothingBefore(e, numA, cust5) // cust3 changed before the id, cust1 comes once
	s.close()

	q := e.events(a.agent, "?last_event_id="+first.ID, nil)
	if got := q.start(); got != first.ID {
		t.Fatalf("ready at %s, want %s", got, first.ID)
	}
	only, _ := q.next(5 * time.Second)
	if th := only.thread(t); th.CustomerPhone != cust1 || only.ID != second.ID {
		t.Fatalf("after ?last_event_id=%s: %+v", first.ID, only)
	}
	// Then the change made after it (cust5's), and nothing else.
	if later, _ := q.next(5 * time.Second); later.thread(t).CustomerPhone != cust5 {
		t.Fatalf("after cust1's frame: %+v", later)
	}
	q.nothingBefore(e, numA, cust4)
}

// Another company's changes never reach a stream: frames come in position
// order, so the other company's earlier text would come first.
func TestLiveTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	b := e.newTenant("Bolt", numB)
	s := e.events(a.agent, "", nil)
	s.start()
	e.text(numB, cust1, "for B")
	e.command(b.agent, e.mustThread(b.agent, cust1).ID, "archive")
	e.text(numA, cust2, "for A")
	f, _ := s.next(5 * time.Second)
	if th := f.thread(t); th.CustomerPhone != cust2 {
		t.Fatalf("A's stream sent %+v", th)
	}
	e.inbox(b.agent)
	s.nothingBefore(e, numA, cust5)
}

// A consent change (a form) shows on the thread's badge; a number change,
// which changes every badge, sends reload; Messages turned off send reload
// and end the stream, whose reconnection is then refused.
func TestLiveConsentAndCompanyChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "hello")
	e.inbox(a.agent)
	s := e.events(a.agent, "", nil)
	s.start()

	e.submitForm(a.agent, formBody(cust1, true))
	// The form records a lead, then the consent request: both show.
	s.threadFrame(cust1, func(th thread) bool {
		return th.Consent == "pending" && th.CustomerName != nil && *th.CustomerName == "Ada Lovelace" && th.LeadID != nil
	})

	r := e.do(req{method: "PUT", path: "/api/admin/companies/" + a.ID + "/messaging-number", token: adminTok,
		body: map[string]any{"messaging_number": numA2}})
	expect(t, r, http.StatusOK, "")
	pos := checkPosition(t, r)
	reload := s.until("reload", func(f sseFrame) bool { return f.Event == "reload" })
	if reload.ID != pos || reload.Data != `{"position":"`+pos+`"}` {
		t.Fatalf("reload %+v, the change at %s", reload, pos)
	}

	r = e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok, body: map[string]any{"sms_enabled": false}})
	expect(t, r, http.StatusOK, "")
	pos = checkPosition(t, r)
	s.until("reload", func(f sseFrame) bool { return f.Event == "reload" && f.ID == pos })
	for {
		f, ok := s.next(5 * time.Second)
		if !ok {
			break // ended
		}
		if f.Event == "thread" || f.Event == "reload" {
			t.Fatalf("a frame after Messages were turned off: %+v", f)
		}
	}
	expect(t, e.do(req{method: "GET", path: "/api/events", token: a.agent}), http.StatusForbidden, "sms_disabled")
}

// Who may open the stream, and what a bad Last-Event-ID answers.
func TestLiveRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	light := e.addUser(a.ID, "light")
	liveChat := e.addUser(a.ID, "live_chat")
	off := e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": "Quiet", "messaging_number": numB, "sms_enabled": false}})
	expect(t, off, http.StatusCreated, "")
	var quiet company
	off.json(t, &quiet)
	quietAgent := e.addUser(quiet.ID, "agent")

	for _, tc := range []struct {
		name   string
		r      req
		status int
		code   string
	}{
		{"no token", req{}, http.StatusUnauthorized, "unauthorized"},
		{"bad token", req{token: "smi_nope"}, http.StatusUnauthorized, "unauthorized"},
		{"light", req{token: light}, http.StatusForbidden, "forbidden"},
		{"live_chat", req{token: liveChat}, http.StatusForbidden, "forbidden"},
		{"Messages off", req{token: quietAgent}, http.StatusForbidden, "sms_disabled"},
		{"Last-Event-ID not a position", req{token: a.agent, header: map[string]string{"Last-Event-ID": "abc"}}, http.StatusBadRequest, "invalid_position"},
		{"negative Last-Event-ID", req{token: a.agent, header: map[string]string{"Last-Event-ID": "-1"}}, http.StatusBadRequest, "invalid_position"},
		{"last_event_id not a position", req{token: a.agent, path: "?last_event_id=12x"}, http.StatusBadRequest, "invalid_position"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.method, r.path = "GET", "/api/events"+r.path
			resp := e.do(r)
			expect(t, resp, tc.status, tc.code)
			if ct := resp.header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type %q: an error is JSON, not a stream", ct)
			}
		})
	}
	// Compliance reads Messages: it may follow them.
	e.events(e.addUser(a.ID, "compliance"), "", nil).start()
}

// GET /api/me answers every valid token, whatever its role and sms_enabled.
func TestMe(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	off := e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": "Quiet", "messaging_number": numB, "time_zone": "America/New_York", "sms_enabled": false}})
	expect(t, off, http.StatusCreated, "")
	var quiet company
	off.json(t, &quiet)

	type user struct{ ID, Name, Role string }
	addUser := func(companyID, role string) (user, string) {
		t.Helper()
		r := e.do(req{method: "POST", path: "/api/admin/companies/" + companyID + "/users", token: adminTok,
			body: map[string]any{"name": "Pat " + role, "role": role}})
		expect(t, r, http.StatusCreated, "")
		var u struct{ ID, Token string }
		r.json(t, &u)
		return user{ID: u.ID, Name: "Pat " + role, Role: role}, u.Token
	}
	type me struct {
		User    user `json:"user"`
		Company struct {
			ID              string `json:"id"`
			Name            string `json:"name"`
			MessagingNumber string `json:"messaging_number"`
			TimeZone        string `json:"time_zone"`
			SMSEnabled      bool   `json:"sms_enabled"`
		} `json:"company"`
	}
	for _, tc := range []struct {
		company company
		role    string
	}{{a.company, "agent"}, {a.company, "admin"}, {a.company, "light"}, {a.company, "live_chat"}, {quiet, "agent"}, {quiet, "compliance"}} {
		t.Run(tc.company.Name+"/"+tc.role, func(t *testing.T) {
			u, token := addUser(tc.company.ID, tc.role)
			r := e.do(req{method: "GET", path: "/api/me", token: token})
			expect(t, r, http.StatusOK, "")
			var got me
			r.json(t, &got)
			c := got.Company
			if got.User != u || c.ID != tc.company.ID || c.Name != tc.company.Name || c.MessagingNumber != tc.company.MessagingNumber ||
				c.TimeZone != tc.company.TimeZone || c.SMSEnabled != tc.company.SMSEnabled {
				t.Fatalf("me %s, want user %+v of %+v", r.body, u, tc.company)
			}
			// Exactly the contract's fields, and the permissions
			// (TestMeAnswersThePermissions checks those).
			var raw map[string]map[string]any
			r.json(t, &raw)
			if len(raw) != 3 || raw["permissions"] == nil || len(raw["user"]) != 3 || len(raw["company"]) != 5 {
				t.Fatalf("me has other fields: %s", r.body)
			}
		})
	}
	expect(t, e.do(req{method: "GET", path: "/api/me", token: "smi_nope"}), http.StatusUnauthorized, "unauthorized")
	expect(t, e.do(req{method: "GET", path: "/api/me"}), http.StatusUnauthorized, "unauthorized")
}
