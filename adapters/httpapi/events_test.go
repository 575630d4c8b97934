package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

func TestLastEventID(t *testing.T) {
	for _, tc := range []struct {
		name, header, query string
		want                eventstore.Position
		given               bool
		bad                 bool
	}{
		{name: "none"},
		{name: "header", header: "42", want: 42, given: true},
		{name: "query", query: "last_event_id=7", want: 7, given: true},
		{name: "the header wins", header: "42", query: "last_event_id=7", want: 42, given: true},
		{name: "zero", header: "0", want: 0, given: true},
		{name: "not a number", header: "abc", bad: true},
		{name: "negative", header: "-1", bad: true},
		{name: "a fraction", query: "last_event_id=1.5", bad: true},
		{name: "too large", header: "18446744073709551616", bad: true},
		{name: "blank query", query: "last_event_id=", given: false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api/events?"+tc.query, nil)
			if tc.header != "" {
				r.Header.Set("Last-Event-ID", tc.header)
			}
			got, given, err := lastEventID(r)
			if tc.bad {
				var ae *apiError
				if !errors.As(err, &ae) || ae.status != http.StatusBadRequest || ae.code != "invalid_position" {
					t.Fatalf("err %v, want 400 invalid_position", err)
				}
				return
			}
			if err != nil || got != tc.want || given != tc.given {
				t.Fatalf("lastEventID = %d, %v, %v; want %d, %v", got, given, err, tc.want, tc.given)
			}
		})
	}
}

// Frames are written as the text/event-stream format has them, and reach
// the client through the metrics middleware's writer (Flush, Unwrap).
func TestSSEFrames(t *testing.T) {
	m := newMetrics(prometheus.NewRegistry())
	rec := httptest.NewRecorder()
	var flushed bool
	m.middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", eventStreamType)
		s := newSSE(w)
		s.field("retry", "2000")
		s.event(12, "ready", positionData(12))
		s.event(15, "thread", []byte(`{"id":"x"}`))
		s.comment("ping")
		if err := s.flush(); err != nil {
			t.Fatalf("flush: %v", err)
		}
		flushed = rec.Flushed
	})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/events", nil))
	want := "retry: 2000\n\n" +
		"id: 12\nevent: ready\ndata: {\"position\":\"12\"}\n\n" +
		"id: 15\nevent: thread\ndata: {\"id\":\"x\"}\n\n" +
		": ping\n\n"
	if got := rec.Body.String(); got != want {
		t.Fatalf("stream\n%q\nwant\n%q", got, want)
	}
	if !flushed {
		t.Fatal("flush did not reach the connection through the metrics middleware")
	}
}

// A write error sticks: later frames are dropped and flush reports it.
func TestSSEWriteErrorSticks(t *testing.T) {
	w := &failingWriter{ResponseRecorder: httptest.NewRecorder()}
	s := newSSE(w)
	s.comment("ping")
	s.event(1, "thread", []byte(`{}`))
	if err := s.flush(); !errors.Is(err, errGone) {
		t.Fatalf("flush: %v, want the write error", err)
	}
	if w.writes != 1 {
		t.Fatalf("%d writes after an error, want 1", w.writes)
	}
}

var errGone = errors.New("client gone")

type failingWriter struct {
	*httptest.ResponseRecorder
	writes int
}

func (f *failingWriter) Write([]byte) (int, error) {
	f.writes++
	return 0, errGone
}

func (f *failingWriter) WriteString(s string) (int, error) { return f.Write([]byte(s)) }
