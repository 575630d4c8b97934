package app

import (
	"net/http"
	"time"
)

// Timeouts bound how long one connection may hold the server. The live
// stream and the CSV exports last as long as their client reads: they lift
// Read and Write for themselves and bound each write on their own
// (httpapi's long-lived responses).
type Timeouts struct {
	// Read bounds reading a whole request, its body included (a slow body
	// is cut), from the first byte of its headers.
	Read time.Duration
	// Write bounds everything after the request's headers were read:
	// handling it and writing the answer.
	Write time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration
}

// DefaultTimeouts: a 1 MiB body needs only ~70 kB/s to arrive within Read;
// Write leaves room for the longest ordinary request (a 5 s X-Min-Position
// wait, a 2 s sign-in wait, a 10 s command); Idle lets a page keep its
// connection between clicks.
var DefaultTimeouts = Timeouts{Read: 15 * time.Second, Write: 30 * time.Second, Idle: 30 * time.Second}

// headerTimeout bounds reading a request's headers.
const headerTimeout = 10 * time.Second

// NewServer is the HTTP server of `smsinbox serve`: h on addr, with the
// timeouts t (a zero field takes DefaultTimeouts').
func NewServer(addr string, h http.Handler, t Timeouts) *http.Server {
	if t.Read <= 0 {
		t.Read = DefaultTimeouts.Read
	}
	if t.Write <= 0 {
		t.Write = DefaultTimeouts.Write
	}
	if t.Idle <= 0 {
		t.Idle = DefaultTimeouts.Idle
	}
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: min(headerTimeout, t.Read),
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
	}
}
