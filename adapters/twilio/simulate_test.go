package twilio_test

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestNewInboundParams(t *testing.T) {
	p, err := twilio.NewInboundParams("(202) 555-0100", "+1 202 555 0123", "YES", "")
	if err != nil {
		t.Fatal(err)
	}
	sid := regexp.MustCompile(`^SM[0-9a-f]{32}$`)
	ac := regexp.MustCompile(`^AC[0-9a-f]{32}$`)
	if !sid.MatchString(p.Get("MessageSid")) || p.Get("SmsMessageSid") != p.Get("MessageSid") || p.Get("SmsSid") != p.Get("MessageSid") {
		t.Errorf("MessageSid = %q", p.Get("MessageSid"))
	}
	if !ac.MatchString(p.Get("AccountSid")) {
		t.Errorf("AccountSid = %q", p.Get("AccountSid"))
	}
	for k, want := range map[string]string{
		"To": "+12025550100", "From": "+12025550123", "Body": "YES", "NumMedia": "0",
		"NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
	} {
		if got := p.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	in, err := twilio.ParseInbound(p)
	if err != nil {
		t.Fatalf("ParseInbound refuses simulated params: %v", err)
	}
	if in.From != "+12025550123" || in.To != "+12025550100" || in.Body != "YES" || in.NumSegments != 1 {
		t.Errorf("parsed %+v", in)
	}

	q, err := twilio.NewInboundParams("+12025550100", "+12025550123", "YES", accountSID)
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("AccountSid") != accountSID {
		t.Errorf("AccountSid = %q, want the configured one", q.Get("AccountSid"))
	}
	if q.Get("MessageSid") == p.Get("MessageSid") {
		t.Error("MessageSid is not fresh")
	}

	for _, bad := range [][2]string{{"nope", "+12025550123"}, {"+12025550100", "555"}} {
		if _, err := twilio.NewInboundParams(bad[0], bad[1], "x", ""); !errors.Is(err, phone.ErrInvalid) {
			t.Errorf("NewInboundParams(%q, %q) error = %v, want phone.ErrInvalid", bad[0], bad[1], err)
		}
	}
}

func TestPostInbound(t *testing.T) {
	var got struct {
		method, path, ctype, sig string
		form                     url.Values
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got.method, got.path, got.ctype = r.Method, r.URL.Path, r.Header.Get("Content-Type")
		got.sig, got.form = r.Header.Get(twilio.SignatureHeader), r.PostForm
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, "<Response/>")
	}))
	defer srv.Close()

	params, err := twilio.NewInboundParams("+12025550100", "+12025550123", "STOP", "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := twilio.PostInbound(t.Context(), nil, srv.URL, "sandbox", params)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "<Response/>" {
		t.Errorf("answer %d %q", resp.StatusCode, body)
	}
	if got.method != http.MethodPost || got.path != twilio.InboundPath || got.ctype != "application/x-www-form-urlencoded" {
		t.Errorf("request %s %s (%s)", got.method, got.path, got.ctype)
	}
	if want := twilio.Sign("sandbox", srv.URL+twilio.InboundPath, params); got.sig != want {
		t.Errorf("signature %q, want %q", got.sig, want)
	}
	if got.form.Encode() != params.Encode() {
		t.Errorf("form %v, want %v", got.form, params)
	}

	if _, err := twilio.PostInbound(t.Context(), nil, "http://[bad", "sandbox", params); err == nil {
		t.Error("no error for a bad base URL")
	}
}
