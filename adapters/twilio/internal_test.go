package twilio

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// The per-send transport lets exactly one Messages request through, to the
// API URL, and refuses everything else.
func TestOneShot(t *testing.T) {
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.Method+" "+r.URL.Path)
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	api, _ := url.Parse(srv.URL)
	const path = "/2010-04-01/Accounts/AC1/Messages.json"
	rt := &oneShot{ctx: context.Background(), next: http.DefaultTransport, api: api, path: path}

	req := func(method, p string) *http.Request {
		r, _ := http.NewRequest(method, "https://api.twilio.com"+p, strings.NewReader("To=1"))
		return r
	}
	if _, err := rt.RoundTrip(req(http.MethodGet, path)); err == nil {
		t.Error("GET let through")
	}
	if _, err := rt.RoundTrip(req(http.MethodPost, "/2010-04-01/Accounts/AC1/Calls.json")); err == nil {
		t.Error("another resource let through")
	}
	resp, err := rt.RoundTrip(req(http.MethodPost, path))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := rt.RoundTrip(req(http.MethodPost, path)); err == nil || !strings.Contains(err.Error(), "second request") {
		t.Errorf("second request: %v", err)
	}
	if want := []string{"POST " + path}; !reflect.DeepEqual(hits, want) {
		t.Fatalf("server saw %v, want %v", hits, want)
	}
	if status, _, _ := rt.finish(); status != http.StatusCreated {
		t.Fatalf("status %d", status)
	}
}

func TestURLVariants(t *testing.T) {
	tests := map[string][]string{
		"https://h.example/p?q":     {"https://h.example/p?q", "https://h.example:443/p?q"},
		"https://h.example:443/p":   {"https://h.example:443/p", "https://h.example/p"},
		"http://h.example/p":        {"http://h.example/p", "http://h.example:80/p"},
		"http://h.example:80":       {"http://h.example:80", "http://h.example"},
		"http://h.example:8080/p":   {"http://h.example:8080/p"},
		"https://h.example:80/p":    {"https://h.example:80/p"},
		"http://[::1]:80/p":         {"http://[::1]:80/p", "http://[::1]/p"},
		"http://[::1]/p":            {"http://[::1]/p", "http://[::1]:80/p"},
		"ftp://h.example/p":         {"ftp://h.example/p"},
		"not a url":                 {"not a url"},
		"https://u:p@h.example/p":   {"https://u:p@h.example/p"},
		"HTTPS://h.example/p#frag?": {"HTTPS://h.example/p#frag?", "HTTPS://h.example:443/p#frag?"},
	}
	for in, want := range tests {
		if got := urlVariants(in); !reflect.DeepEqual(got, want) {
			t.Errorf("urlVariants(%q) = %q, want %q", in, got, want)
		}
	}
}
