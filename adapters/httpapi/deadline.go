package httpapi

import (
	"context"
	"net/http"
	"time"
)

// DefaultCommandTimeout bounds a request that changes something when
// Deps.CommandTimeout is zero.
const DefaultCommandTimeout = 10 * time.Second

// boundCommands gives every request that may change something (any method
// but GET and HEAD: webhooks, thread commands, replies, forms, leads, the
// admin API) a context that ends after timeout. A database that stops
// answering then fails the request (503 not_ready, so Twilio delivers a
// webhook again) instead of holding it, and the connection it waits for, for
// as long as the client waits. Reads are left alone: the live stream and the
// exports last as long as their client reads.
//
// An append already handed to the event store is still answered by the
// store (its commit has a bound of its own): the caller must learn whether
// its events were recorded.
func boundCommands(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				next.ServeHTTP(w, r)
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
