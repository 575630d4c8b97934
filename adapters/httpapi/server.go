// Package httpapi is smsinbox's HTTP surface: the dashboard's API, the
// Twilio webhooks, the operations endpoints. It translates HTTP to commands
// and queries and maps their typed errors to status codes in one place
// (errors.go).
package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	apidoc "github.com/smsinbox/smsinbox/api"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Check is one readiness check: nil when the dependency answers.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Deps is what the HTTP surface needs.
type Deps struct {
	Logger     *slog.Logger
	Registry   *prometheus.Registry
	Ready      []Check
	Store      eventstore.Store
	Queries    PrimaryQueries
	Progress   PrimaryProgress
	AdminToken string
	Verifier   *twilio.Verifier
	// TwilioAccount is the account SID every webhook must name
	// (TWILIO_ACCOUNT_SID); empty in the sandbox, where any well-formed one
	// is taken.
	TwilioAccount string
	Commands      Commands
	Admin         AdminCommands
	// Page is the Messages page (adapters/web) at / and /assets/; nil: none.
	Page http.Handler
	// CommandTimeout bounds every request that may change something (0:
	// DefaultCommandTimeout).
	CommandTimeout time.Duration
	// Exports bounds the CSV exports.
	Exports ExportLimits
	// SignIns limits failed sign-ins (zero: the defaults).
	SignIns SignInLimits

	// Queries and Progress (above) are the read models on the primary
	// database: sign-in, the threads that commands act on, the live
	// updates. Reads serves the query endpoints (ReadModels), and
	// ReadProgress says how far it is (X-Min-Position waits on it): a read
	// replica's, when one is configured. Nil: Queries and Progress.
	Reads        ReadModels
	ReadProgress Waiter
	// PositionWait bounds an X-Min-Position wait (0: DefaultPositionWait);
	// past it the request is answered 503 not_ready.
	PositionWait time.Duration

	// SignInStore is the store sign-in reads the companies' streams from,
	// on connections of the HTTP surface's own, so that a request never
	// queues for a stream read behind the commands' (nil: Store).
	SignInStore eventstore.Store

	// ServerTiming, when set, measures each request's database work, which
	// its answer reports in a Server-Timing header (nil: no header).
	ServerTiming Timer
}

// ExportLimits bounds what the CSV exports take; zero fields take the defaults.
type ExportLimits struct {
	// PerCompany is how many exports of one company run at once (0:
	// DefaultExportsPerCompany); the next answers 429 too_many_exports.
	PerCompany int
	// PageQueries is how many page queries all exports run at once, so how
	// many of the pool's connections they may hold (0: one).
	PageQueries int
	// IdleTimeout is how long an export waits for its client to take more
	// before it cuts the connection (0: DefaultExportIdleTimeout).
	IdleTimeout time.Duration
}

// Commands are the use cases the HTTP surface issues.
type Commands struct {
	ChangeThread   commands.Handler[commands.ChangeThread, eventstore.Position]
	ReceiveInbound commands.Handler[commands.InboundText, commands.InboundResult]
	Consent        ConsentCommands
	Outbound       OutboundCommands
	Leads          commands.Handler[commands.CreateLead, commands.LeadResult]
	// Settings are the company's messaging settings (auto-reply, texts).
	Settings  SettingsCommands
	Assign    commands.Handler[commands.AssignThread, eventstore.Position]
	Notes     commands.Handler[commands.AddNote, commands.NoteAdded]
	Templates TemplateCommands
}

// PrimaryQueries is what the HTTP surface reads on the primary database
// (Deps.Queries): sign-in's directory, the thread a command acts on, the
// live updates' changes. projections.Queries is one.
type PrimaryQueries interface {
	Directory
	ThreadFinder
	LiveReads
}

// PrimaryProgress is how far the primary's read models are (Deps.Progress):
// X-Min-Position waits on it, and the live updates follow it.
// projections.Progress is one.
type PrimaryProgress interface {
	Waiter
	LiveProgress
}

type api struct {
	log   *slog.Logger
	store eventstore.Store
	// directory, threads and live read the primary (Deps.Queries).
	directory  Directory
	threads    ThreadFinder
	live       LiveReads
	progress   PrimaryProgress
	adminToken string
	verifier   *twilio.Verifier
	// twilioAccount: see Deps.TwilioAccount.
	twilioAccount string
	cmd           Commands
	admins        AdminCommands
	exports       *exportGate
	exportIdle    time.Duration
	// states is the companies' streams, for checks that must not lag.
	states  *commands.CompanyStates
	tokens  *knownTokens
	signIns *signInGuard
	waits   *waitSlots
	streams *liveStreams

	// reads and readProgress: see Deps.Reads.
	reads        ReadModels
	readProgress Waiter
	positionWait time.Duration
}

// NewHandler builds the router.
func NewHandler(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	lim := d.Exports.withDefaults()
	if r, ok := d.Queries.(ReadModels); ok && d.Reads == nil {
		d.Reads = r
	}
	if d.ReadProgress == nil && d.Progress != nil {
		d.ReadProgress = d.Progress
	}
	if d.PositionWait <= 0 {
		d.PositionWait = DefaultPositionWait
	}
	if d.SignInStore == nil {
		d.SignInStore = d.Store
	}
	a := &api{log: d.Logger, store: d.Store, directory: d.Queries, threads: d.Queries, live: d.Queries, progress: d.Progress,
		reads: d.Reads, readProgress: d.ReadProgress, positionWait: d.PositionWait,
		adminToken: d.AdminToken, verifier: d.Verifier, twilioAccount: d.TwilioAccount, cmd: d.Commands, admins: d.Admin,
		exports: newExportGate(lim.PerCompany, lim.PageQueries), exportIdle: lim.IdleTimeout,
		states: commands.NewCompanyStates(d.SignInStore), tokens: newKnownTokens(maxKnownTokens), signIns: newSignInGuard(d.SignIns, d.Logger),
		waits: newWaitSlots(maxWaitsPerUser, d.Registry), streams: newLiveStreams(maxStreamsPerUser)}
	r := mux.NewRouter()
	m := newMetrics(d.Registry)
	r.Use(m.middleware)
	if d.ServerTiming != nil {
		r.Use(serverTiming(d.ServerTiming))
	}
	if d.CommandTimeout <= 0 {
		d.CommandTimeout = DefaultCommandTimeout
	}
	r.Use(boundCommands(d.CommandTimeout))

	r.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}).Methods(http.MethodGet)
	r.HandleFunc("/readyz", readyHandler(d.Ready, d.Logger)).Methods(http.MethodGet)
	r.HandleFunc("/api/openapi.yaml", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(apidoc.OpenAPI)
	}).Methods(http.MethodGet)
	r.Handle("/metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)

	api := r.PathPrefix("/api").Subrouter()
	api.HandleFunc("/me", a.me).Methods(http.MethodGet)
	api.HandleFunc("/events", longLived(a.messages(readMessages, a.events))).Methods(http.MethodGet)
	api.HandleFunc("/threads", a.waitForReads(a.messages(readMessages, a.listThreads))).Methods(http.MethodGet)
	api.HandleFunc("/threads/{thread_id}", a.waitForReads(a.messages(readMessages, a.getThread))).Methods(http.MethodGet)
	for _, action := range []commands.ThreadAction{commands.MarkRead, commands.MarkUnread, commands.Archive, commands.Unarchive} {
		api.HandleFunc("/threads/{thread_id}/"+string(action), a.waitForPosition(a.messages(writeMessages, a.changeThread(action)))).Methods(http.MethodPost)
	}

	a.routeAdmin(api.PathPrefix("/admin").Subrouter())
	a.routeSettings(api)
	a.routeEvidence(api) // before routeConsent: its {phone} would take export.csv
	a.routeConsent(api)
	a.routeMessages(r, api)
	a.routeScheduled(api)
	a.routeExports(api)
	a.routeLeads(api)
	a.routeSegments(api)
	a.routeTeamInbox(api)
	a.routeTemplates(api)
	a.routeSearch(api)

	r.HandleFunc(twilio.InboundPath, a.inboundWebhook).Methods(http.MethodPost)

	if d.Page != nil {
		r.Handle("/", d.Page).Methods(http.MethodGet, http.MethodHead)
		r.PathPrefix("/assets/").Handler(d.Page).Methods(http.MethodGet, http.MethodHead)
	}

	for _, router := range []*mux.Router{r, api} {
		router.NotFoundHandler = noRoute(r)
		router.MethodNotAllowedHandler = noRoute(r)
	}
	return r
}

// noRoute answers a request no route took: 405 with Allow when the path
// takes other methods, else 404. gorilla/mux itself loses the method
// mismatch inside a subrouter (the next route's copy of the subrouter's
// prefix matcher clears it), so the routes are asked here.
func noRoute(root *mux.Router) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		_ = root.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
			methods, err := route.GetMethods()
			if err != nil {
				return nil // a subrouter's prefix: its routes are walked too
			}
			for _, m := range methods {
				probe := r.WithContext(r.Context())
				probe.Method = m
				if !slices.Contains(allowed, m) && route.Match(probe, &mux.RouteMatch{}) {
					allowed = append(allowed, m)
				}
			}
			return nil
		})
		if len(allowed) == 0 {
			writeError(w, http.StatusNotFound, "not_found", "There is nothing at this address.")
			return
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "This address does not take that method.")
	}
}

// readyHandler answers /readyz: each check's name with "ok" or "not ok",
// and 503 when any is not. Why a check fails is logged, never answered (the
// endpoint has no token); it is logged when a check's answer changes, not at
// every probe.
func readyHandler(checks []Check, logger *slog.Logger) http.HandlerFunc {
	if logger == nil {
		logger = slog.Default()
	}
	var mu sync.Mutex
	failing := map[string]bool{}
	note := func(name string, err error) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil && !failing[name]:
			logger.Warn("not ready", "check", name, "err", err)
		case err == nil && failing[name]:
			logger.Info("ready again", "check", name)
		}
		failing[name] = err != nil
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status := map[string]string{}
		ok := true
		for _, c := range checks {
			err := c.Fn(ctx)
			if r.Context().Err() == nil { // a probe that went away proves nothing
				note(c.Name, err)
			}
			if err != nil {
				status[c.Name] = "not ok"
				ok = false
			} else {
				status[c.Name] = "ok"
			}
		}
		if !ok {
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{
				"error":  map[string]string{"code": "not_ready", "message": "A dependency of smsinbox is not ready."},
				"checks": status,
			})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "checks": status})
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v) // the status is out: a failed write has nobody to tell
}

// writeError writes the error shape of api/openapi.yaml.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeErrorWith(w, status, code, message, nil)
}

// writeErrorWith writes the error shape with extra fields in the error
// object beside code and message.
func writeErrorWith(w http.ResponseWriter, status int, code, message string, extra map[string]any) {
	e := map[string]any{"code": code, "message": message}
	for k, v := range extra {
		e[k] = v
	}
	writeJSON(w, status, map[string]any{"error": e})
}
