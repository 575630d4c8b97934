package twiliofake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "secret0token"
)

func post(t *testing.T, f *twiliofake.Fake, path, user, pass string, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, f.URL()+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := f.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("answer is not JSON: %v", err)
	}
	return resp, body
}

var messages = "/2010-04-01/Accounts/" + sid + "/Messages.json"

func msgForm() url.Values {
	return url.Values{"From": {"+12025550100"}, "To": {"+12025550123"}, "Body": {"hi"}, "StatusCallback": {"https://x.example/cb"}}
}

func TestCreateMessage(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	resp, body := post(t, f, messages, sid, token, msgForm())
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %v", resp.StatusCode, body)
	}
	for k, want := range map[string]any{"status": "queued", "to": "+12025550123", "from": "+12025550100", "body": "hi",
		"account_sid": sid, "error_code": nil, "direction": "outbound-api", "num_segments": "1"} {
		if body[k] != want {
			t.Errorf("%s = %v, want %v", k, body[k], want)
		}
	}
	sidStr, _ := body["sid"].(string)
	if !strings.HasPrefix(sidStr, "SM") || len(sidStr) != 34 {
		t.Errorf("sid = %q", sidStr)
	}
	if _, err := time.Parse(time.RFC1123Z, body["date_created"].(string)); err != nil {
		t.Errorf("date_created: %v", err)
	}
	sent := f.Sent()
	if len(sent) != 1 || sent[0].SID != sidStr || sent[0].StatusCallback != "https://x.example/cb" || sent[0].Body != "hi" {
		t.Fatalf("Sent = %+v", sent)
	}
	if len(f.Unexpected()) != 0 {
		t.Fatalf("Unexpected = %+v", f.Unexpected())
	}
}

func TestAuthAndValidation(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	resp, body := post(t, f, messages, sid, "wrong", msgForm())
	if resp.StatusCode != 401 || body["code"] != float64(20003) || body["status"] != float64(401) || body["message"] == "" {
		t.Fatalf("bad auth: %d %v", resp.StatusCode, body)
	}
	resp, _ = post(t, f, messages, "", "", msgForm())
	if resp.StatusCode != 401 {
		t.Fatalf("no auth: %d", resp.StatusCode)
	}
	form := msgForm()
	form.Del("To")
	if resp, body := post(t, f, messages, sid, token, form); resp.StatusCode != 400 || body["code"] != float64(21604) {
		t.Fatalf("no To: %d %v", resp.StatusCode, body)
	}
	if n := len(f.Sent()); n != 0 {
		t.Fatalf("Sent has %d", n)
	}
	if n := len(f.Requests()); n != 1 { // the 400; unauthenticated calls are not recorded
		t.Fatalf("Requests has %d", n)
	}
}

func TestUnexpected(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	for _, path := range []string{
		"/2010-04-01/Accounts/" + sid + "/Calls.json",
		"/2010-04-01/Accounts/ACother/Messages.json",
		"/v1/Services",
	} {
		if resp, body := post(t, f, path, sid, token, msgForm()); resp.StatusCode != 404 || body["code"] != float64(20404) {
			t.Errorf("%s: %d %v", path, resp.StatusCode, body)
		}
	}
	resp, err := f.Client().Get(f.URL() + messages)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := len(f.Unexpected()); got != 4 {
		t.Fatalf("Unexpected = %+v", f.Unexpected())
	}
	if len(f.Sent()) != 0 {
		t.Fatal("Sent is not empty")
	}
}

func TestScript(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	f.FailNext(2, 400, 21610, "Attempt to send to unsubscribed recipient")
	f.DropNext(1)
	for range 2 {
		resp, body := post(t, f, messages, sid, token, msgForm())
		if resp.StatusCode != 400 || body["code"] != float64(21610) || body["message"] != "Attempt to send to unsubscribed recipient" {
			t.Fatalf("%d %v", resp.StatusCode, body)
		}
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, f.URL()+messages, strings.NewReader(msgForm().Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(sid, token)
	if resp, err := f.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %d", resp.StatusCode)
	}
	if resp, _ := post(t, f, messages, sid, token, msgForm()); resp.StatusCode != 201 {
		t.Fatalf("after the script: %d", resp.StatusCode)
	}
	reqs := f.Requests()
	if len(reqs) != 4 || reqs[0].Status != 400 || reqs[2].Status != 0 || reqs[3].Status != 201 {
		t.Fatalf("Requests = %+v", reqs)
	}
	if len(f.Sent()) != 1 {
		t.Fatalf("Sent = %+v", f.Sent())
	}
}

func TestDelayAndConcurrency(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	f.Delay(50 * time.Millisecond)
	start := time.Now()
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { // no t.Fatal off the test goroutine
			req, _ := http.NewRequest(http.MethodPost, f.URL()+messages, strings.NewReader(msgForm().Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(sid, token)
			resp, err := f.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("status %d", resp.StatusCode)
			}
			_ = f.Sent()
		})
	}
	wg.Wait()
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("took %v despite the delay", d)
	}
	if n := len(f.Sent()); n != 10 {
		t.Fatalf("Sent has %d", n)
	}
	// The copies are the caller's.
	s := f.Sent()
	s[0].Form.Set("Body", "changed")
	if f.Sent()[0].Form.Get("Body") != "hi" {
		t.Fatal("Sent returns shared state")
	}
}

// HangAll holds the requests to a number until released; Arrived shows
// them at once, Await wakes on each change.
func TestHangAllAndArrived(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	release := f.HangAll("+12025550123")
	done := make(chan *http.Response, 1)
	go func() {
		resp, _ := post(t, f, messages, sid, token, msgForm())
		done <- resp
	}()
	if err := f.Await(t.Context(), func() bool { return len(f.Arrived()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if a := f.Arrived()[0]; a.To != "+12025550123" || a.Status != 0 || len(f.Requests()) != 0 {
		t.Fatalf("arrived %+v, requests %d", a, len(f.Requests()))
	}
	// Another number is not held.
	other := msgForm()
	other.Set("To", "+12025550124")
	if resp, _ := post(t, f, messages, sid, token, other); resp.StatusCode != http.StatusCreated {
		t.Fatalf("other number: %d", resp.StatusCode)
	}
	release()
	if resp := <-done; resp.StatusCode != http.StatusCreated {
		t.Fatalf("released: %d", resp.StatusCode)
	}
	if err := f.Await(t.Context(), func() bool { return len(f.Sent()) == 2 }); err != nil {
		t.Fatal(err)
	}
	// A hang the test never releases ends with the test.
	f.HangAll("+12025550125")
	go func() {
		form := msgForm()
		form.Set("To", "+12025550125")
		req, _ := http.NewRequest(http.MethodPost, f.URL()+messages, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(sid, token)
		if resp, err := f.Client().Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if err := f.Await(t.Context(), func() bool { return len(f.Arrived()) == 3 }); err != nil {
		t.Fatal(err)
	}
}

func TestFailNextRetryAfter(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	date := time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)
	f.FailNextRetryAfter(1, 429, 20429, "Too Many Requests", "30", date)
	resp, body := post(t, f, messages, sid, token, msgForm())
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" || resp.Header.Get("Date") != date.Format(http.TimeFormat) || body["code"] != float64(20429) {
		t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, body)
	}
}

// messageTo is an authenticated request for a text to the number to.
func messageTo(ctx context.Context, f *twiliofake.Fake, to string) *http.Request {
	form := msgForm()
	form.Set("To", to)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, f.URL()+messages, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(sid, token)
	return req
}

// postTo posts a text to the number to and answers the fake's answer.
func postTo(t *testing.T, f *twiliofake.Fake, to string) *http.Response {
	t.Helper()
	resp, err := f.Client().Do(messageTo(t.Context(), f, to))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestScriptPerNumber(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	f.Script("+12025550187",
		twiliofake.Answer{Status: 429, Code: 20429, Message: "Too Many Requests", RetryAfter: "2"},
		twiliofake.Answer{Status: 503, Code: 20503, Message: "Service Unavailable"})
	f.FailNext(1, 500, 20500, "Internal Server Error")

	if resp := postTo(t, f, "+12025550199"); resp.StatusCode != 500 { // the script of every number
		t.Fatalf("another number: %d, want 500", resp.StatusCode)
	}
	resp := postTo(t, f, "+12025550187")
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("scripted number: %d Retry-After %q, want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp := postTo(t, f, "+12025550187"); resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("scripted number, second: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for _, to := range []string{"+12025550187", "+12025550199"} {
		if resp := postTo(t, f, to); resp.StatusCode != 201 {
			t.Fatalf("%s after the scripts: %d", to, resp.StatusCode)
		}
	}
	if n := len(f.Sent()); n != 2 {
		t.Fatalf("Sent has %d, want 2", n)
	}
}

func TestHangUntilReleased(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	release := f.Hang("+12025550187", 1)
	defer release()
	hung := make(chan *http.Response, 1)
	go func() {
		resp, err := f.Client().Do(messageTo(context.Background(), f, "+12025550187"))
		if err != nil {
			t.Error(err)
			hung <- nil
			return
		}
		resp.Body.Close()
		hung <- resp
	}()
	if err := f.Await(t.Context(), func() bool { return len(f.Arrived()) == 1 }); err != nil {
		t.Fatal(err)
	}
	// Another number is answered while the first hangs.
	if resp := postTo(t, f, "+12025550199"); resp.StatusCode != 201 {
		t.Fatalf("another number: %d", resp.StatusCode)
	}
	if reqs := f.Requests(); len(reqs) != 1 || reqs[0].To != "+12025550199" {
		t.Fatalf("answered before the release: %+v", reqs)
	}
	release()
	if resp := <-hung; resp == nil || resp.StatusCode != 201 {
		t.Fatalf("released: %v", resp)
	}
	if n := len(f.Sent()); n != 2 {
		t.Fatalf("Sent has %d, want 2", n)
	}
}

func TestHangAbandonedByTheClient(t *testing.T) {
	f := twiliofake.New(t, sid, token)
	release := f.Hang("", 1)
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	req := messageTo(ctx, f, "+12025550123")
	done := make(chan error, 1)
	go func() {
		resp, err := f.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	if err := f.Await(t.Context(), func() bool { return len(f.Arrived()) == 1 }); err != nil { // the fake holds it
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("a cancelled request was answered")
	}
	if err := f.Await(t.Context(), func() bool { return len(f.Requests()) == 1 }); err != nil {
		t.Fatal(err)
	}
	if r := f.Requests()[0]; r.Status != 0 {
		t.Fatalf("abandoned request recorded with status %d, want 0", r.Status)
	}
}
