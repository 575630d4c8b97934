package twilio_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/twilio/twilio-go/client"
)

const token = "12345abcdef67890"

// A known answer: the test vector twilio-go's own tests use (token "12345").
func TestSignKnownAnswer(t *testing.T) {
	params := url.Values{
		"Digits":                {"1234"},
		"CallSid":               {"CA1234567890ABCDE"},
		"To":                    {"+18005551212"},
		"Caller":                {"+14158675309"},
		"From":                  {"+14158675309"},
		"ReasonConferenceEnded": {"test"},
		"Reason":                {"Participant"},
	}
	const u = "https://mycompany.com/myapp.php?foo=1&bar=2"
	const want = "vOEb5UThFn24KEfnOFLQY2AE5FY="
	if got := twilio.Sign("12345", u, params); got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

// Sign agrees with twilio-go's validator, with and without a port, with and
// without parameters, with characters that need escaping.
func TestSignAgreesWithTwilioGo(t *testing.T) {
	forms := []url.Values{
		{},
		inboundForm(),
		with(inboundForm(), "Body", "Ünïcødé 👋 & = + % \n\"quotes\"", "Zzz", "", "aaa", "1"),
	}
	urls := []string{
		"https://sms.example.com/webhooks/twilio/sms",
		"https://sms.example.com:443/webhooks/twilio/sms",
		"http://localhost:8080/webhooks/twilio/sms?x=1&y=%20",
		"http://127.0.0.1/webhooks/twilio/sms",
	}
	v := client.NewRequestValidator(token)
	for _, form := range forms {
		flat := map[string]string{}
		for k := range form {
			flat[k] = form.Get(k)
		}
		for _, u := range urls {
			sig := twilio.Sign(token, u, form)
			if !v.Validate(u, flat, sig) {
				t.Errorf("twilio-go rejects Sign(%q, %d params)", u, len(form))
			}
			if v.Validate(u, flat, twilio.Sign("other", u, form)) {
				t.Errorf("twilio-go accepts a signature made with another token")
			}
		}
	}
}

// webhookRequest is a POST to path as the server receives it.
func webhookRequest(target string, form url.Values, sig string, headers ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		r.Header.Set(twilio.SignatureHeader, sig)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

func TestVerify(t *testing.T) {
	form := inboundForm()
	const public = "https://sms.example.com"
	const signed = "https://sms.example.com/webhooks/twilio/sms"
	good := twilio.Sign(token, signed, form)

	extra := with(form, "SomethingTwilioAddedLater", "yes", "AddOns", `{"status":"successful"}`)
	tampered := with(form, "Body", "STOP")
	dropped := with(form, "FromCity", "\x00delete")
	twice := func() url.Values { f := with(form); f.Add("Extra", "b"); f.Add("Extra", "a"); return f }()
	twiceDifferentOrder := func() url.Values { f := with(form); f.Add("Extra", "a"); f.Add("Extra", "b"); return f }()

	tests := []struct {
		name      string
		token     string
		publicURL string
		req       *http.Request
		form      url.Values
		want      bool
	}{
		{"valid with PUBLIC_URL", token, public, webhookRequest("/webhooks/twilio/sms", form, good), form, true},
		{"PUBLIC_URL with trailing slash", token, public + "/", webhookRequest("/webhooks/twilio/sms", form, good), form, true},
		{"forged signature", token, public, webhookRequest("/webhooks/twilio/sms", form, "GvWf1cFY/Q7PnoempGyD5oXAezc="), form, false},
		{"garbage signature", token, public, webhookRequest("/webhooks/twilio/sms", form, "not base64!"), form, false},
		{"missing signature", token, public, webhookRequest("/webhooks/twilio/sms", form, ""), form, false},
		{"wrong token", "another0token", public, webhookRequest("/webhooks/twilio/sms", form, good), form, false},
		{"empty token never verifies", "", public, webhookRequest("/webhooks/twilio/sms", form, twilio.Sign("", signed, form)), form, false},
		{"changed parameter", token, public, webhookRequest("/webhooks/twilio/sms", tampered, good), tampered, false},
		{"parameter removed", token, public, webhookRequest("/webhooks/twilio/sms", dropped, good), dropped, false},
		{"unknown parameters are signed too", token, public,
			webhookRequest("/webhooks/twilio/sms", extra, twilio.Sign(token, signed, extra)), extra, true},
		{"unknown parameter added after signing", token, public, webhookRequest("/webhooks/twilio/sms", extra, good), extra, false},
		{"other path", token, public, webhookRequest("/webhooks/twilio/status", form, good), form, false},
		{"query string is part of the URL", token, public,
			webhookRequest("/webhooks/twilio/sms?company=7", form, twilio.Sign(token, signed+"?company=7", form)), form, true},
		{"query string missing from the signature", token, public,
			webhookRequest("/webhooks/twilio/sms?company=7", form, good), form, false},
		{"PUBLIC_URL with a path prefix", token, "https://example.com/smsinbox",
			webhookRequest("/webhooks/twilio/sms", form, twilio.Sign(token, "https://example.com/smsinbox/webhooks/twilio/sms", form)), form, true},

		// Standard ports: Twilio signs with or without them.
		{"signed with :443, PUBLIC_URL without", token, public,
			webhookRequest("/webhooks/twilio/sms", form, twilio.Sign(token, "https://sms.example.com:443/webhooks/twilio/sms", form)), form, true},
		{"signed without port, PUBLIC_URL with :443", token, "https://sms.example.com:443",
			webhookRequest("/webhooks/twilio/sms", form, good), form, true},
		{"signed with :80, derived http URL without", token, "",
			webhookRequest("http://sms.example.com/webhooks/twilio/sms", form, twilio.Sign(token, "http://sms.example.com:80/webhooks/twilio/sms", form)), form, true},
		{"signed without port, Host with :80", token, "",
			webhookRequest("http://sms.example.com:80/webhooks/twilio/sms", form, twilio.Sign(token, "http://sms.example.com/webhooks/twilio/sms", form)), form, true},
		{"signed with :443 for an http URL", token, "",
			webhookRequest("http://sms.example.com/webhooks/twilio/sms", form, twilio.Sign(token, "http://sms.example.com:443/webhooks/twilio/sms", form)), form, false},
		{"signed with another port", token, public,
			webhookRequest("/webhooks/twilio/sms", form, twilio.Sign(token, "https://sms.example.com:8443/webhooks/twilio/sms", form)), form, false},

		// URL derived from the request.
		{"derived: plain http with Host", token, "",
			webhookRequest("http://localhost:8080/webhooks/twilio/sms", form, twilio.Sign(token, "http://localhost:8080/webhooks/twilio/sms", form)), form, true},
		{"derived: https behind a proxy", token, "",
			webhookRequest("http://10.0.0.5:8080/webhooks/twilio/sms", form, good,
				"X-Forwarded-Proto", "https", "X-Forwarded-Host", "sms.example.com"), form, true},
		{"derived: proxy lists several hops", token, "",
			webhookRequest("http://10.0.0.5:8080/webhooks/twilio/sms", form, good,
				"X-Forwarded-Proto", "https, http", "X-Forwarded-Host", "sms.example.com, 10.0.0.5:8080"), form, true},
		{"derived: X-Forwarded-Proto with Host", token, "",
			webhookRequest("http://sms.example.com/webhooks/twilio/sms", form, good, "X-Forwarded-Proto", "HTTPS"), form, true},
		{"derived: without X-Forwarded-Proto the scheme is http", token, "",
			webhookRequest("http://sms.example.com/webhooks/twilio/sms", form, good), form, false},
		{"derived: nonsense X-Forwarded-Proto is ignored", token, "",
			webhookRequest("http://sms.example.com/webhooks/twilio/sms", form, twilio.Sign(token, "http://sms.example.com/webhooks/twilio/sms", form),
				"X-Forwarded-Proto", "gopher"), form, true},
		{"PUBLIC_URL wins over forwarded headers", token, "https://sms.example.com",
			webhookRequest("http://10.0.0.5:8080/webhooks/twilio/sms", form, good, "X-Forwarded-Host", "evil.example.net"), form, true},

		// A key given twice is signed with its values in sorted order.
		{"key twice, values sorted", token, public,
			webhookRequest("/webhooks/twilio/sms", twice, twilio.Sign(token, signed, twiceDifferentOrder)), twice, true},
		{"key twice, second value unsigned", token, public,
			webhookRequest("/webhooks/twilio/sms", twice, twilio.Sign(token, signed, with(form, "Extra", "a"))), twice, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := twilio.NewVerifier(tc.token, tc.publicURL)
			if got := v.Verify(tc.req, tc.form); got != tc.want {
				t.Fatalf("Verify = %v, want %v (SignedURL %q)", got, tc.want, v.SignedURL(tc.req))
			}
		})
	}
}

func TestVerifyTLS(t *testing.T) {
	form := inboundForm()
	r := webhookRequest("https://sms.example.com/webhooks/twilio/sms", form,
		twilio.Sign(token, "https://sms.example.com/webhooks/twilio/sms", form))
	r.TLS = &tls.ConnectionState{}
	if !twilio.NewVerifier(token, "").Verify(r, form) {
		t.Fatal("a request over TLS is not checked against its https URL")
	}
}

func TestVerifyIPv6Host(t *testing.T) {
	form := inboundForm()
	for _, tc := range []struct{ host, signed string }{
		{"[::1]:80", "http://[::1]/webhooks/twilio/sms"},
		{"[::1]", "http://[::1]:80/webhooks/twilio/sms"},
		{"[::1]:8080", "http://[::1]:8080/webhooks/twilio/sms"},
	} {
		r := webhookRequest("/webhooks/twilio/sms", form, twilio.Sign(token, tc.signed, form))
		r.Host = tc.host
		if !twilio.NewVerifier(token, "").Verify(r, form) {
			t.Errorf("Host %s, signed %s: not verified", tc.host, tc.signed)
		}
	}
}

func TestSignedURL(t *testing.T) {
	r := webhookRequest("http://10.0.0.5:8080/webhooks/twilio/sms?a=1", url.Values{}, "x", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "sms.example.com")
	if got, want := twilio.NewVerifier(token, "").SignedURL(r), "https://sms.example.com/webhooks/twilio/sms?a=1"; got != want {
		t.Errorf("derived SignedURL = %q, want %q", got, want)
	}
	if got, want := twilio.NewVerifier(token, "https://p.example.com/").SignedURL(r), "https://p.example.com/webhooks/twilio/sms?a=1"; got != want {
		t.Errorf("public SignedURL = %q, want %q", got, want)
	}
}

// A real round trip: the request as a Go server receives it, after
// ParseForm, verifies.
func TestVerifyThroughServer(t *testing.T) {
	v := twilio.NewVerifier(token, "")
	results := make(chan bool, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		results <- v.Verify(r, r.PostForm)
	}))
	defer srv.Close()
	params, err := twilio.NewInboundParams("+12025550100", "(202) 555-0123", "Hi & bye = ok", "")
	if err != nil {
		t.Fatal(err)
	}
	params.Set("Weird Key+", "välue/?&")
	resp, err := twilio.PostInbound(t.Context(), srv.Client(), srv.URL+"/", token, params)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !<-results {
		t.Fatal("a request signed by PostInbound does not verify")
	}
}
