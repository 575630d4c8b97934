package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Defaults of the exports' bounds (Deps leaves them zero).
const (
	// DefaultExportsPerCompany is how many exports of one company run at once.
	DefaultExportsPerCompany = 2
	// DefaultExportIdleTimeout is how long an export waits for its client to
	// take the next bytes before it cuts the connection.
	DefaultExportIdleTimeout = 30 * time.Second
)

func (l ExportLimits) withDefaults() ExportLimits {
	if l.PerCompany <= 0 {
		l.PerCompany = DefaultExportsPerCompany
	}
	if l.PageQueries <= 0 {
		l.PageQueries = 1
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = DefaultExportIdleTimeout
	}
	return l
}

// exportRetryAfter is the Retry-After of too_many_exports, in seconds.
const exportRetryAfter = 5

var errTooManyExports = newError(http.StatusTooManyRequests, "too_many_exports",
	"Your company has as many downloads running as it may; try again when one has finished.")

// exportGate bounds what exports take, so that no client, however slowly it
// reads, starves webhooks, commands or another company:
//   - each company runs at most perCompany exports at once (Download All and
//     Download Message together); the next is refused with too_many_exports;
//   - all exports together run at most cap(pages) page queries at once, so
//     they never hold more than that many of the pool's connections.
type exportGate struct {
	perCompany int
	pages      chan struct{}

	mu      sync.Mutex
	running map[string]int // exports in progress by company ID
}

func newExportGate(perCompany, pageQueries int) *exportGate {
	return &exportGate{perCompany: perCompany, pages: make(chan struct{}, pageQueries), running: map[string]int{}}
}

// enter counts an export of the company in; ok is false when the company
// runs as many as it may. leave counts it out.
func (g *exportGate) enter(companyID string) (leave func(), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.running[companyID] >= g.perCompany {
		return nil, false
	}
	g.running[companyID]++
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.running[companyID]--; g.running[companyID] == 0 {
			delete(g.running, companyID)
		}
	}, true
}

// page runs one page query within the exports' share of the pool.
func (g *exportGate) page(ctx context.Context, query func(context.Context) error) error {
	select {
	case g.pages <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.pages }()
	return query(ctx)
}

// refuseExport answers too_many_exports, with the seconds after which to try again.
func (a *api) refuseExport(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", strconv.Itoa(exportRetryAfter))
	a.fail(w, r, errTooManyExports)
}
