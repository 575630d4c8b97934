package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// DefaultPositionWait bounds how long a request waits for X-Min-Position
// (Deps.PositionWait unset).
const DefaultPositionWait = 5 * time.Second

// maxWaitsPerUser bounds the X-Min-Position waits one user has at once; the
// next is answered 429 too_many_waits. A page waits once per command it
// sends, a few at a time at most.
const maxWaitsPerUser = 8

const (
	headerMinPosition   = "X-Min-Position"
	headerEventPosition = "X-Event-Position"
)

var (
	errBadMinPosition = newError(http.StatusBadRequest, "invalid_position", "X-Min-Position must be a position that a command answered.")
	errTooManyWaits   = newError(http.StatusTooManyRequests, "too_many_waits",
		"You have too many requests waiting for the read models; let one finish first.")
)

// waitForPosition makes a request wait until every read model has applied
// the position in X-Min-Position, so a dashboard reads its own writes. Only
// a signed-in user waits, and only maxWaitsPerUser at once: a request with
// no valid token is answered (401) before any wait. After the wait, next
// signs the caller in again, so that what it checks (sms_enabled, the
// token's life) is as of the position waited for.
//
// It waits on the primary's read models: the ones a command reads (the
// thread it acts on) and sign-in reads. Query endpoints wait with
// waitForReads instead.
func (a *api) waitForPosition(next http.HandlerFunc) http.HandlerFunc {
	return a.waitOn(a.progress, next)
}

// waitOn is waitForPosition on the read models that progress watches, for
// at most a.positionWait. Sign-in (before and after) reads the primary,
// which is never behind a replica of it, so what next checks is at least as
// of the position waited for.
func (a *api) waitOn(progress Waiter, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get(headerMinPosition)
		if h == "" {
			next(w, r)
			return
		}
		c, err := a.authenticate(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		pos, err := strconv.ParseUint(h, 10, 64)
		if err != nil {
			a.fail(w, r, errBadMinPosition)
			return
		}
		release, ok := a.waits.acquire(c.User.ID)
		if !ok {
			a.fail(w, r, &retryLater{apiError: errTooManyWaits, after: time.Second})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), a.positionWait)
		err = progress.WaitFor(ctx, eventstore.Position(pos))
		cancel()
		release()
		if err != nil {
			a.fail(w, r, err)
			return
		}
		next(w, r)
	}
}

// waitSlots counts the waits of each user.
type waitSlots struct {
	limit int
	// waiting is every wait now, for /metrics (and tests that must know a
	// request is waiting).
	waiting prometheus.Gauge
	mu      sync.Mutex
	n       map[string]int
}

func newWaitSlots(limit int, reg prometheus.Registerer) *waitSlots {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "smsinbox_http_position_waits", Help: "Requests waiting now for X-Min-Position.",
	})
	reg.MustRegister(g)
	return &waitSlots{limit: limit, waiting: g, n: map[string]int{}}
}

// acquire takes one of key's slots; ok is false when all are taken. release
// gives it back (once).
func (s *waitSlots) acquire(key string) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] >= s.limit {
		return nil, false
	}
	s.n[key]++
	s.waiting.Inc()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.n[key]--; s.n[key] <= 0 {
				delete(s.n, key)
			}
			s.waiting.Dec()
		})
	}, true
}

// writePosition answers a command: {"position": "..."} and the header.
func writePosition(w http.ResponseWriter, status int, pos eventstore.Position, extra map[string]any) {
	p := formatPosition(pos)
	w.Header().Set(headerEventPosition, p)
	body := map[string]any{"position": p}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

func formatPosition(p eventstore.Position) string { return strconv.FormatUint(uint64(p), 10) }
