package twilio_test

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/twilio"
)

// twilioSID is the shape of every SID ParseInbound takes.
var twilioSID = regexp.MustCompile(`^(SM|MM|AC)[0-9a-f]{32}$`)

// FuzzParseInbound: ParseInbound never panics; every error matches
// ErrInvalidWebhook; a successful parse has SIDs of Twilio's shape and every
// parameter Twilio always sends, and keeps every media item and every
// parameter. Seeds: testdata/fuzz/FuzzParseInbound.
func FuzzParseInbound(f *testing.F) {
	f.Add(inboundForm().Encode())
	f.Add(mediaForm(2, "2").Encode())
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw) // keeps what it could parse
		in, err := twilio.ParseInbound(form)
		if err != nil {
			if !errors.Is(err, twilio.ErrInvalidWebhook) {
				t.Fatalf("error %v does not match ErrInvalidWebhook", err)
			}
			return
		}
		if !reflect.DeepEqual(in.Params, form) {
			t.Fatalf("Params %v, received %v", in.Params, form)
		}
		if in.MessageSID != form.Get("MessageSid") || in.From != form.Get("From") || in.To != form.Get("To") ||
			in.Body != form.Get("Body") || in.AccountSID != form.Get("AccountSid") {
			t.Fatalf("fields differ from the form: %+v", in)
		}
		if strings.TrimSpace(in.From) == "" || strings.TrimSpace(in.To) == "" || !form.Has("Body") || strings.TrimSpace(form.Get("NumMedia")) == "" {
			t.Fatalf("accepted without From/To/Body/NumMedia: %+v", in)
		}
		if !twilioSID.MatchString(in.MessageSID) || strings.HasPrefix(in.MessageSID, "AC") ||
			!twilioSID.MatchString(in.AccountSID) || !strings.HasPrefix(in.AccountSID, "AC") {
			t.Fatalf("accepted MessageSid %q, AccountSid %q", in.MessageSID, in.AccountSID)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(form.Get("NumMedia")))
		if len(in.Media) != n || n > twilio.MaxMedia {
			t.Fatalf("%d media for NumMedia %q", len(in.Media), form.Get("NumMedia"))
		}
		for i, m := range in.Media {
			if m.URL == "" || m.URL != form.Get("MediaUrl"+strconv.Itoa(i)) || m.ContentType != form.Get("MediaContentType"+strconv.Itoa(i)) {
				t.Fatalf("media %d = %+v, form %v", i, m, form)
			}
		}
		for k := range form {
			for _, prefix := range []string{"MediaUrl", "MediaContentType"} {
				if i, err := strconv.Atoi(strings.TrimPrefix(k, prefix)); err == nil && strings.HasPrefix(k, prefix) && i >= n {
					t.Fatalf("%s kept although NumMedia is %d", k, n)
				}
			}
		}
		switch in.OptOutType {
		case "", twilio.OptOutStop, twilio.OptOutStart, twilio.OptOutHelp:
		default:
			if in.OptOutType != strings.TrimSpace(form.Get("OptOutType")) {
				t.Fatalf("OptOutType %q from %q", in.OptOutType, form.Get("OptOutType"))
			}
		}
	})
}

var fuzzHost = regexp.MustCompile(`^[a-z0-9.-]{1,64}(:[0-9]{1,5})?$`)

// FuzzVerify: Verify never panics; a signature made by Sign over the URL and
// parameters always verifies (directly, behind a proxy, or with PUBLIC_URL);
// a changed or added parameter never does. Seeds: testdata/fuzz/FuzzVerify.
func FuzzVerify(f *testing.F) {
	f.Add("sandbox", "localhost:8080", "/webhooks/twilio/sms", inboundForm().Encode(), false, false, "")
	f.Add(token, "sms.example.com", "/webhooks/twilio/sms?x=1", "a=1&a=2&b=", true, true, "GvWf1cFY/Q7PnoempGyD5oXAezc=")
	f.Fuzz(func(t *testing.T, authToken, host, path, rawForm string, https, public bool, sig string) {
		if !fuzzHost.MatchString(host) {
			host = "sms.example.com"
		}
		u, err := url.ParseRequestURI(path)
		if err != nil || !strings.HasPrefix(path, "/") || u.Host != "" {
			path = twilio.InboundPath
			u, _ = url.ParseRequestURI(path)
		}
		form, _ := url.ParseQuery(rawForm)
		scheme := "http"
		r := &http.Request{Method: http.MethodPost, URL: u, Host: host, Header: http.Header{}}
		if https {
			scheme = "https"
			r.Header.Set("X-Forwarded-Proto", "https")
		}
		fullURL := scheme + "://" + host + u.RequestURI()
		v := twilio.NewVerifier(authToken, "")
		if public {
			v = twilio.NewVerifier(authToken, scheme+"://"+host+"/")
		}
		if got := v.SignedURL(r); got != fullURL {
			t.Fatalf("SignedURL = %q, want %q", got, fullURL)
		}

		// Any signature at all: no panic.
		r.Header.Set(twilio.SignatureHeader, sig)
		_ = v.Verify(r, form)

		good := twilio.Sign(authToken, fullURL, form)
		r.Header.Set(twilio.SignatureHeader, good)
		if authToken == "" {
			if v.Verify(r, form) {
				t.Fatal("verified with an empty token")
			}
			return
		}
		if !v.Verify(r, form) {
			t.Fatalf("Sign(%q, %v) does not verify", fullURL, form)
		}

		// A changed value.
		changed := cloneForm(form)
		if len(changed) == 0 {
			changed.Set("Body", "x")
		} else {
			keys := make([]string, 0, len(changed))
			for k := range changed {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			k := keys[len(rawForm)%len(keys)]
			if len(changed[k]) == 0 {
				changed[k] = []string{""}
			}
			changed[k][0] += "x"
		}
		if v.Verify(r, changed) {
			t.Fatalf("changed form %v verifies with the signature of %v", changed, form)
		}

		// An added parameter.
		added := cloneForm(form)
		added.Add("AddedByForger", "1")
		if v.Verify(r, added) {
			t.Fatalf("form with an added parameter verifies")
		}
	})
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
