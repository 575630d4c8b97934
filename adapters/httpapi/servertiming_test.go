package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The answer carries what the timer measured under the request's context,
// the handler's own time and the GCs that ended meanwhile, written before
// the body.
func TestServerTimingHeader(t *testing.T) {
	type key struct{}
	timer := func(ctx context.Context) (context.Context, func() string) {
		seen := new(string)
		return context.WithValue(ctx, key{}, seen), func() string { return `db;dur=1.000;desc="` + *seen + `"` }
	}
	h := serverTiming(timer)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*r.Context().Value(key{}).(*string) = "measured"
		_, _ = w.Write([]byte("ok"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/threads", nil))
	got := rec.Header().Get("Server-Timing")
	for _, want := range []string{`db;dur=1.000;desc="measured"`, `gc;desc="`, `app;dur=`} {
		if !strings.Contains(got, want) {
			t.Fatalf("Server-Timing %q lacks %q", got, want)
		}
	}
}
