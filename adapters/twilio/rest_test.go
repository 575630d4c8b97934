package twilio_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "0123456789abcdef0123456789abcdef"
)

var smSID = regexp.MustCompile(`^SM[0-9a-f]{32}$`)

func outbound() twilio.Outbound {
	return twilio.Outbound{
		From:           "+12025550100",
		To:             "+12025550123",
		Body:           "Thanks! Reply STOP to opt out.",
		StatusCallback: "https://sms.example.com/webhooks/twilio/status",
	}
}

func newSender(t *testing.T, f *twiliofake.Fake, client *http.Client) *twilio.RESTSender {
	t.Helper()
	s, err := twilio.NewRESTSender(accountSID, authToken, f.URL(), client)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sendErr(t *testing.T, err error) *twilio.SendError {
	t.Helper()
	var se *twilio.SendError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SendError", err, err)
	}
	return se
}

func assertNothingElse(t *testing.T, f *twiliofake.Fake) {
	t.Helper()
	if u := f.Unexpected(); len(u) != 0 {
		t.Fatalf("unexpected calls to Twilio: %+v", u)
	}
}

func TestRESTSenderSends(t *testing.T) {
	f := twiliofake.New(t, accountSID, authToken)
	s := newSender(t, f, nil)
	sent, err := s.Send(t.Context(), outbound())
	if err != nil {
		t.Fatal(err)
	}
	if !smSID.MatchString(sent.SID) || sent.Status != "queued" || sent.ErrorCode != 0 {
		t.Fatalf("Sent = %+v", sent)
	}

	reqs := f.Sent()
	if len(reqs) != 1 {
		t.Fatalf("fake saw %d messages, want 1", len(reqs))
	}
	r := reqs[0]
	if r.SID != sent.SID || r.AccountSID != accountSID {
		t.Errorf("recorded %+v", r)
	}
	// Exactly the contract: From, To, Body, StatusCallback, nothing more.
	var keys []string
	for k := range r.Form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if want := []string{"Body", "From", "StatusCallback", "To"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("form keys = %v, want %v", keys, want)
	}
	m := outbound()
	if r.From != m.From || r.To != m.To || r.Body != m.Body || r.StatusCallback != m.StatusCallback {
		t.Errorf("recorded %+v, sent %+v", r, m)
	}
	if got := r.Header.Get("Content-Type"); got != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type = %q", got)
	}
	wantAuth := "Basic " + base64.StdEncoding.EncodeToString([]byte(accountSID+":"+authToken))
	if got := r.Header.Get("Authorization"); got != wantAuth {
		t.Errorf("Authorization = %q, want %q", got, wantAuth)
	}
	if time.Since(r.Time) > time.Minute {
		t.Errorf("Time = %v", r.Time)
	}
	assertNothingElse(t, f)
}

// The exact request line, seen by a plain server standing in for Twilio.
func TestRESTSenderRequestLine(t *testing.T) {
	var method, uri, host string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, uri, host = r.Method, r.RequestURI, r.Host
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid":"SM00000000000000000000000000000001","status":"queued","error_code":null}`))
	}))
	defer srv.Close()
	t.Setenv("TWILIO_EDGE", "sydney") // ignored: the host is TWILIO_API_URL's
	t.Setenv("TWILIO_REGION", "au1")
	s, err := twilio.NewRESTSender(accountSID, authToken, srv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Send(t.Context(), outbound()); err != nil {
		t.Fatal(err)
	}
	if want := "/2010-04-01/Accounts/" + accountSID + "/Messages.json"; method != http.MethodPost || uri != want {
		t.Errorf("request %s %s, want POST %s", method, uri, want)
	}
	if host != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("Host = %q", host)
	}
}

func TestRESTSenderMedia(t *testing.T) {
	f := twiliofake.New(t, accountSID, authToken)
	m := outbound()
	m.Body = ""
	m.StatusCallback = ""
	m.MediaURLs = []string{"https://example.com/a.jpg", "https://example.com/b.png"}
	if _, err := newSender(t, f, nil).Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	r := f.Sent()[0]
	if !reflect.DeepEqual(r.MediaURLs, m.MediaURLs) || r.Form.Has("StatusCallback") || r.Form.Has("Body") {
		t.Fatalf("recorded %+v", r)
	}
}

func TestRESTSenderErrors(t *testing.T) {
	tests := []struct {
		name      string
		program   func(*twiliofake.Fake)
		status    int
		code      int
		retryable bool
		optedOut  bool
	}{
		{"opted out", func(f *twiliofake.Fake) {
			f.FailNext(1, 400, 21610, "Attempt to send to unsubscribed recipient")
		}, 400, 21610, false, true},
		{"invalid To", func(f *twiliofake.Fake) { f.FailNext(1, 400, 21211, "Invalid 'To' Phone Number") }, 400, 21211, false, false},
		{"too many requests", func(f *twiliofake.Fake) { f.FailNext(1, 429, 20429, "Too Many Requests") }, 429, 20429, true, false},
		{"internal error", func(f *twiliofake.Fake) { f.FailNext(1, 500, 20500, "Internal Server Error") }, 500, 20500, true, false},
		{"unavailable", func(f *twiliofake.Fake) { f.FailNext(1, 503, 0, "Service Unavailable") }, 503, 0, true, false},
		{"dropped connection", func(f *twiliofake.Fake) { f.DropNext(1) }, 0, 0, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := twiliofake.New(t, accountSID, authToken)
			tc.program(f)
			_, err := newSender(t, f, nil).Send(t.Context(), outbound())
			se := sendErr(t, err)
			if se.Status != tc.status || se.Code != tc.code || se.Retryable != tc.retryable {
				t.Fatalf("SendError = %+v, want status %d code %d retryable %v", se, tc.status, tc.code, tc.retryable)
			}
			if twilio.IsOptedOut(err) != tc.optedOut || twilio.IsRetryable(err) != tc.retryable {
				t.Fatalf("IsOptedOut = %v, IsRetryable = %v", twilio.IsOptedOut(err), twilio.IsRetryable(err))
			}
			if se.Message == "" || !strings.Contains(err.Error(), "twilio") {
				t.Fatalf("error without a message: %v", err)
			}
			// One attempt, no retry; nothing else called.
			if n := len(f.Requests()); n != 1 {
				t.Fatalf("fake saw %d requests, want exactly 1", n)
			}
			if len(f.Sent()) != 0 {
				t.Fatal("fake accepted a message")
			}
			assertNothingElse(t, f)
		})
	}
}

func TestRESTSenderWrongCredentials(t *testing.T) {
	f := twiliofake.New(t, accountSID, authToken)
	s, err := twilio.NewRESTSender(accountSID, "wrongtoken", f.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(t.Context(), outbound())
	se := sendErr(t, err)
	if se.Status != 401 || se.Code != 20003 || se.Retryable {
		t.Fatalf("SendError = %+v", se)
	}
	if len(f.Sent()) != 0 {
		t.Fatal("sent with a wrong token")
	}
}

func TestRESTSenderTimeout(t *testing.T) {
	f := twiliofake.New(t, accountSID, authToken)
	f.Delay(2 * time.Second)
	s := newSender(t, f, &http.Client{Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := s.Send(t.Context(), outbound())
	se := sendErr(t, err)
	if !se.Retryable || se.Status != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SendError = %+v (%v)", se, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("timeout took %v", d)
	}
}

func TestRESTSenderContextCancel(t *testing.T) {
	f := twiliofake.New(t, accountSID, authToken)
	f.Delay(2 * time.Second)
	s := newSender(t, f, nil)
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := s.Send(ctx, outbound())
	if se := sendErr(t, err); !se.Retryable || !errors.Is(err, context.Canceled) {
		t.Fatalf("SendError = %+v (%v)", se, err)
	}

	// Already cancelled: nothing is sent at all.
	_, err = s.Send(ctx, outbound())
	if se := sendErr(t, err); !se.Retryable {
		t.Fatalf("SendError = %+v", se)
	}
	if n := len(f.Requests()); n > 1 {
		t.Fatalf("fake saw %d requests", n)
	}
}

func TestRESTSenderNoAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close() // nothing listens there any more
	s, err := twilio.NewRESTSender(accountSID, authToken, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(t.Context(), outbound())
	if se := sendErr(t, err); !se.Retryable || se.Status != 0 {
		t.Fatalf("SendError = %+v", se)
	}
}

// Answers that are not Twilio's JSON still classify by HTTP status, and a
// redirect is never followed.
func TestRESTSenderOddAnswers(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		retryable bool
		mention   string
	}{
		{"HTML 502 from a proxy", 502, "<html>Bad Gateway</html>", true, "Bad Gateway"},
		{"plain 404", 404, "no such thing", false, "no such thing"},
		{"201 without JSON", 201, "ok", false, "may have been sent"},
		{"201 without sid", 201, `{"status":"queued"}`, false, "SID"},
		{"redirect", 307, "", false, "Temporary Redirect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if tc.status == 307 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			defer srv.Close()
			s, err := twilio.NewRESTSender(accountSID, authToken, srv.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Send(t.Context(), outbound())
			se := sendErr(t, err)
			if se.Status != tc.status || se.Retryable != tc.retryable || !strings.Contains(se.Message, tc.mention) {
				t.Fatalf("SendError = %+v", se)
			}
			if n := calls.Load(); n != 1 {
				t.Fatalf("server saw %d requests, want 1", n)
			}
		})
	}
}

func TestRESTSenderInvalidOutbound(t *testing.T) {
	f := twiliofake.New(t, accountSID, authToken)
	s := newSender(t, f, nil)
	for name, m := range map[string]twilio.Outbound{
		"no From":          {To: "+12025550123", Body: "x"},
		"no To":            {From: "+12025550100", Body: "x"},
		"no body or media": {From: "+12025550100", To: "+12025550123"},
	} {
		_, err := s.Send(t.Context(), m)
		if se := sendErr(t, err); se.Retryable || se.Status != 0 {
			t.Errorf("%s: SendError = %+v", name, se)
		}
	}
	if n := len(f.Requests()); n != 0 {
		t.Fatalf("fake saw %d requests", n)
	}
}

func TestNewRESTSenderValidates(t *testing.T) {
	for name, args := range map[string][3]string{
		"empty SID":          {"", authToken, ""},
		"SID with symbols":   {"AC-1", authToken, ""},
		"empty token":        {accountSID, "", ""},
		"API URL with path":  {accountSID, authToken, "https://api.twilio.com/2010-04-01"},
		"API URL not http":   {accountSID, authToken, "ftp://api.twilio.com"},
		"API URL not a URL":  {accountSID, authToken, "api.twilio.com"},
		"API URL with query": {accountSID, authToken, "https://api.twilio.com?x=1"},
	} {
		if _, err := twilio.NewRESTSender(args[0], args[1], args[2], nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := twilio.NewRESTSender(accountSID, authToken, "", nil); err != nil {
		t.Errorf("default API URL: %v", err)
	}
}

func TestRESTSenderConcurrent(t *testing.T) {
	f := twiliofake.New(t, accountSID, authToken)
	s := newSender(t, f, f.Client())
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := s.Send(t.Context(), outbound())
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := len(f.Sent()); got != n {
		t.Fatalf("fake accepted %d, want %d", got, n)
	}
}

func TestSandboxSender(t *testing.T) {
	var s twilio.Sender = twilio.SandboxSender{}
	a, err := s.Send(t.Context(), outbound())
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Send(t.Context(), outbound())
	if err != nil {
		t.Fatal(err)
	}
	sandboxSID := regexp.MustCompile(`^SMsandbox[0-9a-f]{32}$`)
	if !sandboxSID.MatchString(a.SID) || a.Status != "sent" || a.ErrorCode != 0 {
		t.Fatalf("Sent = %+v", a)
	}
	if a.SID == b.SID {
		t.Fatal("two sandbox sends share a SID")
	}
	if _, err := s.Send(t.Context(), twilio.Outbound{}); sendErr(t, err).Retryable {
		t.Fatal("an invalid message is retryable")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Send(ctx, outbound()); err == nil {
		t.Fatal("sent with a cancelled context")
	}
}

func TestSendErrorMessage(t *testing.T) {
	err := error(&twilio.SendError{Code: 21610, Status: 400, Message: "Attempt to send to unsubscribed recipient"})
	if got, want := err.Error(), "twilio: send failed: HTTP 400: error 21610: Attempt to send to unsubscribed recipient"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if twilio.IsOptedOut(errors.New("21610")) || twilio.IsOptedOut(nil) {
		t.Fatal("IsOptedOut of a foreign error")
	}
}
