// Package twiliofake is an in-process fake of Twilio's REST API for tests: it
// implements the one resource smsinbox uses,
//
//	POST /2010-04-01/Accounts/{AccountSid}/Messages.json
//
// with basic auth, Twilio's answers (201 JSON, errors in Twilio's JSON shape),
// and programmable faults: errors (500, 429 with Retry-After, ...), dropped
// connections, slow answers and answers held until the test releases them,
// for every recipient or for one. Every other call answers 404 and is
// recorded as unexpected, so a test can assert that smsinbox called nothing
// else.
package twiliofake

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Request is one call to the Messages resource.
type Request struct {
	AccountSID     string     // from the path
	From           string     // From
	To             string     // To
	Body           string     // Body
	StatusCallback string     // StatusCallback
	MediaURLs      []string   // every MediaUrl
	Form           url.Values // every parameter received
	Header         http.Header
	Time           time.Time // when it arrived

	// What the fake did: Status is the HTTP status answered (0 when the
	// connection was dropped); SID is the new message's SID on 201.
	Status int
	SID    string
}

// Call is a request to anything other than the Messages resource.
type Call struct {
	Method string
	Path   string
	Time   time.Time
}

// Answer is how the fake answers one Messages request (see Script). The
// zero Answer accepts the message at once (201).
type Answer struct {
	// Status, when 400 or more, answers Twilio's error JSON with Code and
	// Message instead of accepting the message.
	Status  int
	Code    int
	Message string
	// RetryAfter is the Retry-After header of the answer (seconds, as
	// Twilio sends it with 429, or an HTTP date); "" sends none.
	RetryAfter string
	// Date, when not zero, is the answer's Date header (a Retry-After date
	// is read relative to it).
	Date time.Time
	// Drop closes the connection after reading the request, answering
	// nothing.
	Drop bool
	// Delay holds the answer for that long (a slow Twilio).
	Delay time.Duration
	// Hold holds the answer until the channel is closed (a Twilio that
	// hangs until the test releases it).
	//
	// A client that gives up while an answer is delayed or held is
	// recorded with Status 0: Twilio may have the message all the same.
	Hold <-chan struct{}
}

// Fake is the fake API. Its methods are safe for concurrent use.
type Fake struct {
	accountSID string
	authToken  string
	srv        *httptest.Server

	mu     sync.Mutex
	script []Answer // what the next Messages requests get, in order
	// scripts are the answers of the next requests to one number (To);
	// they come before script.
	scripts    map[string][]Answer
	delay      time.Duration
	requests   []Request
	arrived    []Request // every Messages request as it came, answered or not
	unexpected []Call
	// hangs hold every request to a number until released (HangAll).
	hangs map[string]chan struct{}
	// changed is closed (and replaced) whenever a request arrives or is
	// answered: Await's wake-up.
	changed chan struct{}
	// ended is closed when the test ends: every held request is let go, so
	// the server's Close does not wait for them.
	ended chan struct{}
}

// New starts a fake for the account, stopped when the test ends.
func New(t testing.TB, accountSID, authToken string) *Fake {
	t.Helper()
	f := &Fake{accountSID: accountSID, authToken: authToken,
		hangs: map[string]chan struct{}{}, changed: make(chan struct{}), ended: make(chan struct{})}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(f.ended) }) // runs first: Close waits for the requests in hand
	return f
}

// URL is the fake's scheme and host, for TWILIO_API_URL.
func (f *Fake) URL() string { return f.srv.URL }

// Client is an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.srv.Client() }

// FailNext makes the next n Messages requests (that pass basic auth) answer
// status with Twilio's error JSON carrying code and message.
func (f *Fake) FailNext(n, status, code int, message string) {
	for range n {
		f.Script("", Answer{Status: status, Code: code, Message: message})
	}
}

// Script makes the next Messages requests (that pass basic auth) to the
// number to get answers, in order, after any scripted before; to "" scripts
// the requests to every number that has no script of its own left.
func (f *Fake) Script(to string, answers ...Answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if to == "" {
		f.script = append(f.script, answers...)
		return
	}
	if f.scripts == nil {
		f.scripts = map[string][]Answer{}
	}
	f.scripts[to] = append(f.scripts[to], answers...)
}

// Hang makes the next n Messages requests to the number to (every number
// when "") wait, unanswered, until release is called, their client gives
// up or the test ends; then they are accepted. release may be called more
// than once.
func (f *Fake) Hang(to string, n int) (release func()) {
	hold := make(chan struct{})
	answers := make([]Answer, n)
	for i := range answers {
		answers[i] = Answer{Hold: hold}
	}
	f.Script(to, answers...)
	var once sync.Once
	return func() { once.Do(func() { close(hold) }) }
}

// HangAll makes every later Messages request to the number to wait,
// unanswered, until release is called, its client gives up or the test
// ends; then it is accepted (or answered as scripted). release may be
// called more than once.
func (f *Fake) HangAll(to string) (release func()) {
	hold := make(chan struct{})
	f.mu.Lock()
	f.hangs[to] = hold
	f.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.hangs[to] == hold {
				delete(f.hangs, to)
			}
			close(hold)
		})
	}
}

// FailNextRetryAfter is FailNext with a Retry-After header in the answers
// (seconds, or an HTTP date), and the answers' Date header set to date when
// it is not zero.
func (f *Fake) FailNextRetryAfter(n, status, code int, message, retryAfter string, date time.Time) {
	for range n {
		f.Script("", Answer{Status: status, Code: code, Message: message, RetryAfter: retryAfter, Date: date})
	}
}

// DropNext makes the next n Messages requests (that pass basic auth) close the
// connection after reading the request, without answering.
func (f *Fake) DropNext(n int) {
	for range n {
		f.Script("", Answer{Drop: true})
	}
}

// Delay makes every later Messages request wait d before it is answered (or
// until the client gives up). 0 ends the delay.
func (f *Fake) Delay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Sent returns the messages the fake accepted (answered 201), in order.
func (f *Fake) Sent() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Request
	for _, r := range f.requests {
		if r.Status == http.StatusCreated {
			out = append(out, cloneRequest(r))
		}
	}
	return out
}

// Requests returns every call to the Messages resource, whatever the answer,
// in order.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneRequests(f.requests)
}

// Arrived returns every Messages request that passed basic auth, as it
// arrived, whether it has been answered yet or not (Status 0 and no SID
// here), in order: a test sees a delayed or held request in flight.
func (f *Fake) Arrived() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneRequests(f.arrived)
}

// Await waits until cond holds, looking again each time a request arrives
// or is answered, until ctx ends (its error). cond may call the fake's
// methods.
func (f *Fake) Await(ctx context.Context, cond func() bool) error {
	for {
		f.mu.Lock()
		changed := f.changed
		f.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Unexpected returns every call to anything but the Messages resource
// (another path, another method, another account's messages).
func (f *Fake) Unexpected() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.unexpected...)
}

const (
	apiPrefix = "/2010-04-01/Accounts/"
	msgSuffix = "/Messages.json"
)

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	now := time.Now().UTC()
	sid, ok := strings.CutPrefix(r.URL.Path, apiPrefix)
	if ok {
		sid, ok = strings.CutSuffix(sid, msgSuffix)
	}
	if !ok || sid == "" || strings.Contains(sid, "/") || r.Method != http.MethodPost {
		f.recordUnexpected(r, now)
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if !f.authorized(r) {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if sid != f.accountSID {
		f.recordUnexpected(r, now)
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, 20001, "Unable to parse the request: "+err.Error())
		return
	}
	req := Request{
		AccountSID:     sid,
		From:           r.PostForm.Get("From"),
		To:             r.PostForm.Get("To"),
		Body:           r.PostForm.Get("Body"),
		StatusCallback: r.PostForm.Get("StatusCallback"),
		MediaURLs:      append([]string(nil), r.PostForm["MediaUrl"]...),
		Form:           r.PostForm,
		Header:         r.Header.Clone(),
		Time:           now,
	}

	f.mu.Lock()
	f.arrived = append(f.arrived, req)
	f.notify()
	hang := f.hangs[req.To]
	f.mu.Unlock()

	act := f.next(req.To)
	delay := act.Delay
	if delay == 0 {
		f.mu.Lock()
		delay = f.delay
		f.mu.Unlock()
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-f.ended:
		case <-r.Context().Done():
			f.record(req) // Status 0: the client gave up
			return
		}
	}
	for _, hold := range []<-chan struct{}{act.Hold, hang} {
		if hold == nil {
			continue
		}
		select {
		case <-hold:
		case <-f.ended:
		case <-r.Context().Done():
			f.record(req) // Status 0: the client gave up
			return
		}
	}

	switch {
	case act.Drop:
		f.record(req)
		hj, ok := w.(http.Hijacker)
		if !ok {
			panic("twiliofake: response writer cannot hijack")
		}
		conn, _, err := hj.Hijack()
		if err == nil {
			_ = conn.Close()
		}
	case act.Status >= 400:
		req.Status = act.Status
		f.record(req)
		if act.RetryAfter != "" {
			w.Header().Set("Retry-After", act.RetryAfter)
		}
		if !act.Date.IsZero() {
			w.Header().Set("Date", act.Date.UTC().Format(http.TimeFormat))
		}
		writeError(w, act.Status, act.Code, act.Message)
	case req.To == "":
		req.Status = http.StatusBadRequest
		f.record(req)
		writeError(w, req.Status, 21604, "A 'To' phone number is required.")
	case req.From == "":
		req.Status = http.StatusBadRequest
		f.record(req)
		writeError(w, req.Status, 21603, "A 'From' phone number is required.")
	case req.Body == "" && len(req.MediaURLs) == 0:
		req.Status = http.StatusBadRequest
		f.record(req)
		writeError(w, req.Status, 21602, "Message body is required.")
	default:
		req.Status = http.StatusCreated
		req.SID = newSID("SM")
		f.record(req)
		writeJSON(w, http.StatusCreated, message(req))
	}
}

// next takes the scripted answer of the next request to the number to:
// its own script first, then the one of every number; the zero Answer when
// neither has one left.
func (f *Fake) next(to string) Answer {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.scripts[to]; len(s) > 0 {
		f.scripts[to] = s[1:]
		return s[0]
	}
	if len(f.script) > 0 {
		a := f.script[0]
		f.script = f.script[1:]
		return a
	}
	return Answer{}
}

func (f *Fake) authorized(r *http.Request) bool {
	user, pass, ok := r.BasicAuth()
	return ok &&
		subtle.ConstantTimeCompare([]byte(user), []byte(f.accountSID)) == 1 &&
		subtle.ConstantTimeCompare([]byte(pass), []byte(f.authToken)) == 1
}

func (f *Fake) record(r Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	f.notify()
}

// notify wakes the Await calls (f.mu held).
func (f *Fake) notify() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *Fake) recordUnexpected(r *http.Request, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.unexpected = append(f.unexpected, Call{Method: r.Method, Path: r.URL.Path, Time: now})
}

// message is the Message resource as Twilio answers a create.
func message(r Request) map[string]any {
	created := r.Time.Format(time.RFC1123Z)
	uri := apiPrefix + r.AccountSID + "/Messages/" + r.SID
	return map[string]any{
		"account_sid":           r.AccountSID,
		"api_version":           "2010-04-01",
		"body":                  r.Body,
		"date_created":          created,
		"date_sent":             nil,
		"date_updated":          created,
		"direction":             "outbound-api",
		"error_code":            nil,
		"error_message":         nil,
		"from":                  r.From,
		"messaging_service_sid": nil,
		"num_media":             strconv.Itoa(len(r.MediaURLs)),
		"num_segments":          "1",
		"price":                 nil,
		"price_unit":            "USD",
		"sid":                   r.SID,
		"status":                "queued",
		"subresource_uris":      map[string]any{"media": uri + "/Media.json"},
		"to":                    r.To,
		"uri":                   uri + ".json",
	}
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	body := map[string]any{"code": code, "message": msg, "more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code), "status": status}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func cloneRequests(rs []Request) []Request {
	out := make([]Request, len(rs))
	for i, r := range rs {
		out[i] = cloneRequest(r)
	}
	return out
}

func cloneRequest(r Request) Request {
	r.MediaURLs = append([]string(nil), r.MediaURLs...)
	form := make(url.Values, len(r.Form))
	for k, vs := range r.Form {
		form[k] = append([]string(nil), vs...)
	}
	r.Form = form
	r.Header = r.Header.Clone()
	return r
}
