package httpapi

import (
	"context"
	"fmt"
	"net/http"
	runtimemetrics "runtime/metrics"
	"time"
)

// Timer starts measuring one request's parts (its database work, say) and
// returns the context that carries the measurement and a function that
// renders what was measured so far as Server-Timing metrics.
type Timer func(ctx context.Context) (context.Context, func() string)

// serverTiming answers each request with a Server-Timing header: what
// timer measured (the database's waits and statements), the goroutine's
// time in the handler until the header was written (app), and how many
// garbage collections ended meanwhile (gc, a count in desc). A client that
// keeps the slowest requests' headers sees where their time went; time
// the client measured beyond app was spent outside the handler (accepting,
// scheduling, the network).
func serverTiming(timer Timer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, render := timer(r.Context())
			tw := &timingWriter{ResponseWriter: w, began: time.Now(), gcBefore: gcCycles(), render: render}
			next.ServeHTTP(tw, r.WithContext(ctx))
		})
	}
}

// gcCycles is how many garbage collections have ended in this process.
func gcCycles() uint64 {
	s := []runtimemetrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	runtimemetrics.Read(s)
	if s[0].Value.Kind() != runtimemetrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// timingWriter adds the Server-Timing header just before the header goes.
type timingWriter struct {
	http.ResponseWriter
	began    time.Time
	gcBefore uint64
	render   func() string
	wrote    bool
}

func (t *timingWriter) stamp() {
	if t.wrote {
		return
	}
	t.wrote = true
	app := time.Since(t.began)
	t.Header().Add("Server-Timing", fmt.Sprintf(`%s, gc;desc="%d", app;dur=%.3f`,
		t.render(), gcCycles()-t.gcBefore, float64(app)/float64(time.Millisecond)))
}

func (t *timingWriter) WriteHeader(code int) {
	t.stamp()
	t.ResponseWriter.WriteHeader(code)
}

func (t *timingWriter) Write(b []byte) (int, error) {
	t.stamp()
	return t.ResponseWriter.Write(b)
}

func (t *timingWriter) Flush() {
	t.stamp()
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// FlushError is Flush that tells whether the client took it.
func (t *timingWriter) FlushError() error {
	t.stamp()
	return http.NewResponseController(t.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (t *timingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
