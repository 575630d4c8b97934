package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/smsinbox/smsinbox/adapters/ratelimit"
)

// Failed sign-ins (a user token, an app key or the admin token that is not
// right) are counted per client address and per token prefix, each in a
// token bucket: SignInLimits.Burst failures at once, then one more every
// SignInLimits.Refill. While either bucket of a request is empty, a request that
// presents a token is answered 429 too_many_attempts before its token is
// even looked at (so guessing cannot go on at full speed behind the 429s).
// Sign-ins that succeed spend nothing and wait for nothing. The buckets live
// in the process's memory: each server counts on its own.
const (
	DefaultSignInBurst  = 10
	DefaultSignInRefill = 6 * time.Second
	// tokenPrefixLen is how much of a token keys its bucket: enough to tell
	// tokens apart after their kind's prefix (smi_, smk_), so one guessed at
	// from many addresses is still limited.
	tokenPrefixLen = 12
)

var errTooManyAttempts = newError(http.StatusTooManyRequests, "too_many_attempts",
	"Too many failed sign-ins from here or with this token; wait a moment before you try again.")

// retryLater is an error answered with a Retry-After header.
type retryLater struct {
	*apiError
	after time.Duration
}

func (e *retryLater) Unwrap() error { return e.apiError }

// retryAfterSeconds is Retry-After's value: whole seconds, at least one.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

// signInGuard limits failed sign-ins and logs them.
type signInGuard struct {
	byAddr, byPrefix *ratelimit.Buckets
	log              *slog.Logger
}

// SignInLimits are the failed sign-in limits; zero fields take the
// defaults (DefaultSignInBurst, DefaultSignInRefill, time.Now).
type SignInLimits struct {
	// Burst is how many failures an address, or a token prefix, may have at
	// once.
	Burst int
	// Refill is how long it takes to get one failure back.
	Refill time.Duration
	// Now is the clock (tests move it instead of waiting).
	Now func() time.Time
}

func newSignInGuard(l SignInLimits, log *slog.Logger) *signInGuard {
	if l.Burst <= 0 {
		l.Burst = DefaultSignInBurst
	}
	if l.Refill <= 0 {
		l.Refill = DefaultSignInRefill
	}
	return &signInGuard{
		byAddr:   ratelimit.New(l.Burst, l.Refill, l.Now),
		byPrefix: ratelimit.New(l.Burst, l.Refill, l.Now),
		log:      log,
	}
}

// allow answers errTooManyAttempts (with how long to wait) while the
// client's address or the token's prefix has spent its failures.
func (g *signInGuard) allow(r *http.Request, token string) error {
	wait := max(g.byAddr.Wait(clientAddr(r)), g.byPrefix.Wait(tokenPrefix(token)))
	if wait == 0 {
		return nil
	}
	g.log.DebugContext(r.Context(), "sign-in refused: too many failures", "client", clientAddr(r), "path", r.URL.Path)
	return &retryLater{apiError: errTooManyAttempts, after: wait}
}

// failed counts a token that signed nothing in, and logs it: what kind of
// credential it claimed to be, from where, and a fingerprint that tells
// repeated guesses apart without showing the token.
func (g *signInGuard) failed(r *http.Request, token, credential string) {
	addr := clientAddr(r)
	g.byAddr.Take(addr)
	g.byPrefix.Take(tokenPrefix(token))
	g.log.WarnContext(r.Context(), "sign-in failed", "credential", credential, "client", addr,
		"token_sha256", fingerprint(token), "method", r.Method, "path", r.URL.Path)
}

// clientAddr is the address the request came from (the peer: behind a
// reverse proxy, the proxy's).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func tokenPrefix(token string) string {
	if len(token) > tokenPrefixLen {
		return token[:tokenPrefixLen]
	}
	return token
}

// fingerprint is the start of the token's SHA-256: enough to tell one
// failed token from another in the logs, nothing to sign in with.
func fingerprint(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:4])
}
