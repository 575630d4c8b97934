package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestFailClientGone: a request whose client went away is answered 499 and
// logged at debug only; the same error while the client waits is a 500
// logged as an error.
func TestFailClientGone(t *testing.T) {
	canceled := fmt.Errorf("read company c1: %w", context.Canceled)
	tests := []struct {
		name       string
		clientGone bool
		status     int
		logged     string
	}{
		{"client gone", true, statusClientClosed, ""},
		{"client still waiting", false, http.StatusInternalServerError, "request failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := &api{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.clientGone {
				cancel()
			}
			r := httptest.NewRequest(http.MethodGet, "/api/threads", nil).WithContext(ctx)
			w := httptest.NewRecorder()
			a.fail(w, r, canceled)
			if w.Code != tt.status {
				t.Errorf("status %d, want %d", w.Code, tt.status)
			}
			if tt.logged == "" && logs.Len() > 0 {
				t.Errorf("logged %q, want nothing at info and above", logs.String())
			}
			if tt.logged != "" && !strings.Contains(logs.String(), tt.logged) {
				t.Errorf("logged %q, want %q", logs.String(), tt.logged)
			}
		})
	}
}
