// Package app wires smsinbox together: the store, the projectors, the
// commands and the HTTP surface. It holds no logic of its own. `smsinbox
// serve` and the end-to-end tests build the same App.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/smsinbox/smsinbox/adapters/eventstore/instrumented"
	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/adapters/httpapi"
	"github.com/smsinbox/smsinbox/adapters/observe"
	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/adapters/scheduler"
	"github.com/smsinbox/smsinbox/adapters/sender"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/adapters/web"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/projections"
)

// SandboxToken checks webhook signatures when no Twilio credentials are set.
const SandboxToken = "sandbox"

// MinAdminTokenLength is the shortest ADMIN_TOKEN smsinbox accepts: the
// admin API creates companies and users, and a short token can be guessed.
const MinAdminTokenLength = 32

// Config is what an App needs from outside.
type Config struct {
	Pool  *pgxpool.Pool
	Store eventstore.Store
	// PublicURL is the base URL Twilio calls (for signatures); empty: derived.
	PublicURL string
	// AdminToken guards /api/admin/*: empty turns the admin API off; else at
	// least MinAdminTokenLength characters.
	AdminToken string
	// TwilioSID and TwilioToken: both empty means sandbox; one without the
	// other is refused (Validate).
	TwilioSID, TwilioToken string
	TwilioAPIURL           string
	// TwilioHTTPClient carries the calls to Twilio's REST API (nil:
	// http.DefaultTransport, twilio.DefaultTimeout); tests put hooks in it.
	TwilioHTTPClient *http.Client
	// Now is the clock (time.Now). Alarm fires once the clock reads a given
	// instant (nil: a timer on the wall clock); the due-scheduler waits on it
	// for the next send_at, so a test's clock that moves by hand wakes it.
	Now    func() time.Time
	Alarm  func(time.Time) <-chan time.Time
	Logger *slog.Logger
	// CommandTimeout bounds every HTTP request that may change something
	// (0: httpapi.DefaultCommandTimeout).
	CommandTimeout time.Duration
	// Exports bounds the CSV exports (zero fields: httpapi's defaults, and
	// page queries on a quarter of the pool).
	Exports httpapi.ExportLimits
	// SignIns limits failed sign-ins per client address and token prefix
	// (zero: httpapi's defaults).
	SignIns httpapi.SignInLimits

	// ReadPool, when set, is a streaming replica of Pool (the primary)
	// that serves the query endpoints (httpapi.ReadModels); X-Min-Position
	// waits on its copy of the checkpoints. Nil: Pool serves them.
	// Commands, the projectors, the sender, the reactors, sign-in and the
	// live updates use the primary, always (sign-in and the live updates
	// through QueryPool when it is set).
	ReadPool *pgxpool.Pool
	// QueryPool, when set, is a second pool on Pool's database for what
	// the HTTP surface reads there: sign-in, the query endpoints (when no
	// ReadPool takes them), the look at the checkpoints of X-Min-Position,
	// the live updates. Those reads then never queue for a connection
	// behind the transactions of the projectors, the reactors, the sender
	// and the commands, which hold Pool's. Nil: Pool.
	QueryPool *pgxpool.Pool
	// PositionWait bounds an X-Min-Position wait (0:
	// httpapi.DefaultPositionWait).
	PositionWait time.Duration
	// ServerTiming answers every request with a Server-Timing header: its
	// waits for pool connections and its statements' time (measured by
	// the dbtime.Tracer that the pools' configuration must carry), and
	// the handler's own time (SERVER_TIMING).
	ServerTiming bool
	// SignInStore, when set, is Store reading the companies' streams on
	// connections apart from the commands' (QueryPool's), for sign-in.
	// Nil: Store.
	SignInStore eventstore.Store
}

// queryPool is the pool of the HTTP surface's reads on the primary.
func (c Config) queryPool() *pgxpool.Pool {
	if c.QueryPool != nil {
		return c.QueryPool
	}
	return c.Pool
}

// Sandbox reports whether smsinbox runs without Twilio credentials: neither
// the account SID nor the auth token is set. (With only one of them, Validate
// refuses the configuration: a half-set account must never fall back to the
// sandbox, whose webhook token "sandbox" anyone can sign with.)
func (c Config) Sandbox() bool { return c.TwilioSID == "" && c.TwilioToken == "" }

// Validate refuses a configuration smsinbox must not start with, naming the
// environment variable to fix: one Twilio credential without the other, or an
// ADMIN_TOKEN shorter than MinAdminTokenLength characters.
func (c Config) Validate() error {
	if err := c.CheckTwilio(); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(c.AdminToken); n > 0 && n < MinAdminTokenLength {
		return fmt.Errorf("ADMIN_TOKEN is %d characters long; it needs at least %d (make one with: openssl rand -hex 32), or leave it unset to turn the admin API off",
			n, MinAdminTokenLength)
	}
	return nil
}

// CheckTwilio refuses one Twilio credential without the other, naming the
// missing environment variable.
func (c Config) CheckTwilio() error {
	const both = "set both to use Twilio, or neither for the sandbox"
	switch {
	case c.TwilioSID != "" && c.TwilioToken == "":
		return errors.New("TWILIO_AUTH_TOKEN is not set, but TWILIO_ACCOUNT_SID is: " + both)
	case c.TwilioSID == "" && c.TwilioToken != "":
		return errors.New("TWILIO_ACCOUNT_SID is not set, but TWILIO_AUTH_TOKEN is: " + both)
	}
	return nil
}

// App is a wired smsinbox.
type App struct {
	Handler  http.Handler
	Runner   *projections.Runner
	Progress projections.Progress
	Registry *prometheus.Registry
	Store    eventstore.Store
	// Sender sends the outbound texts (not a projector: rebuild never runs it).
	Sender *sender.Sender
	// Notifier wakes X-Min-Position waits and the live streams when a
	// projector commits; the streams end when it stops (with Run).
	Notifier *projections.Notifier
	// Scheduler releases scheduled messages when they are due.
	Scheduler *scheduler.Scheduler
}

// New wires an App. It refuses a configuration that Validate refuses.
func New(cfg Config) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(goRuntimeMetrics), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	measured, err := instrumented.New(cfg.Store, reg)
	if err != nil {
		return nil, err
	}
	handled, err := observe.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	// Commands start from the states they folded before and read only
	// what came after (commands.States): their cost stays flat however
	// long a thread grows.
	var store eventstore.Store = commands.WithStates(measured, commands.DefaultStates)
	// Every use case is a commands.Handler, logged and measured.
	ob := observer{logger: cfg.Logger, metrics: handled}
	runner, err := projections.NewRunner(projections.RunnerConfig{
		Pool: cfg.Pool, Store: store, Projectors: projections.All(),
		Reactors: []projections.Projector{consentNumberReactor(store, ob), unassignRemovedReactor(store, ob)},
		Logger:   cfg.Logger, Registry: reg,
	})
	if err != nil {
		return nil, err
	}
	// Reads wait for the read models only, not for the reactors (nor the
	// sender): a number change of a large company must not hold
	// X-Min-Position while every consent stream records its void.
	notifier := projections.NewNotifier(cfg.Pool, cfg.Logger)
	progress := projections.Progress{Pool: cfg.queryPool(), Names: projections.ReadModelNames(), Notifier: notifier}
	reads, readProgress, readChecks := readSide(cfg, progress)
	authToken := cfg.TwilioToken
	if cfg.Sandbox() {
		authToken = SandboxToken
	}
	now := cfg.Now
	snd, err := newSender(cfg, store, ob)
	if err != nil {
		return nil, err
	}
	// Every consumer of the log is named in /readyz: claimed here, or by
	// another live server that keeps up.
	readiness := checkpoint.Readiness{Pool: cfg.Pool, Head: store.Head, Now: time.Now}
	var projectors []checkpoint.Local
	for _, name := range runner.Names() {
		projectors = append(projectors, checkpoint.Local{Name: name, Status: func() eventstream.Status { return runner.Status(name) }})
	}
	sending := checkpoint.Local{Name: sender.Name, Status: snd.Status}
	var consumerChecks []httpapi.Check
	for _, c := range append(projectors, sending) {
		consumerChecks = append(consumerChecks, httpapi.Check{Name: "consumer:" + c.Name, Fn: func(ctx context.Context) error { return readiness.Check(ctx, c) }})
	}
	queue := observed(ob, commands.NewQueueOutboundHandler(store, now))
	texts := observed(ob, commands.NewQueueAutomatedTextHandler(queue))
	handler := httpapi.NewHandler(httpapi.Deps{
		Logger:      cfg.Logger,
		Registry:    reg,
		Store:       store,
		Queries:     projections.Queries{Pool: cfg.queryPool()},
		Progress:    progress,
		AdminToken:  cfg.AdminToken,
		SignInStore: cfg.SignInStore,
		ServerTiming: func() httpapi.Timer {
			if !cfg.ServerTiming {
				return nil
			}
			return dbTimer
		}(),
		Verifier: twilio.NewVerifier(authToken, cfg.PublicURL),
		// Empty in the sandbox: any well-formed AccountSid.
		TwilioAccount: cfg.TwilioSID,
		Commands: httpapi.Commands{
			ChangeThread: observed(ob, commands.NewChangeThreadHandler(store, now)),
			ReceiveInbound: observed(ob, commands.NewReceiveInboundHandler(commands.ReceiveInboundDeps{
				Store: store, Now: now, Logger: cfg.Logger, Texts: texts,
				CancelUnsent: observed(ob, commands.NewCancelUnsentHandler(store)),
				Companies:    commands.NewCompanyStates(store),
				Route:        commands.NewRoutes(store).Route})),
			Consent: httpapi.ConsentCommands{Now: now,
				SubmitForm: observed(ob, commands.NewSubmitFormHandler(store, now, texts))},
			Leads: observed(ob, commands.NewCreateLeadHandler(store, now)),
			Settings: httpapi.SettingsCommands{Read: commands.Settings{Store: store},
				SetAutoReply: observed(ob, commands.NewSetAutoReplyHandler(store, now)),
				SetTexts:     observed(ob, commands.NewSetAutomatedTextsHandler(store, now)),
			},
			Assign: observed(ob, commands.NewAssignThreadHandler(store, now)),
			Notes:  observed(ob, commands.NewAddNoteHandler(store, now)),
			Templates: httpapi.TemplateCommands{
				Create: observed(ob, commands.NewCreateTemplateHandler(store, now)),
				Update: observed(ob, commands.NewUpdateTemplateHandler(store, now)),
				Delete: observed(ob, commands.NewDeleteTemplateHandler(store, now)),
				Fill: func(ctx context.Context, companyID string, id uuid.UUID, customer phone.Number) (string, error) {
					return commands.FillTemplate(ctx, store, companyID, id, customer)
				},
			},
			Outbound: httpapi.OutboundCommands{
				Queue:     queue,
				Scheduled: scheduledCommands(store, now, ob),
				Status:    observed(ob, commands.NewRecordStatusCallbackHandler(store, now)),
			},
		},
		Admin:          adminCommands(store, now, ob),
		Page:           web.Handler(),
		CommandTimeout: cfg.CommandTimeout,
		Exports:        exportLimits(cfg),
		SignIns:        cfg.SignIns,
		Ready: append([]httpapi.Check{
			{Name: "database", Fn: func(ctx context.Context) error { return cfg.Pool.Ping(ctx) }},
			{Name: "event_store", Fn: func(ctx context.Context) error { _, err := store.Head(ctx); return err }},
			{Name: "projectors", Fn: func(ctx context.Context) error { return readiness.Check(ctx, projectors...) }},
			{Name: "sender", Fn: func(ctx context.Context) error { return readiness.Check(ctx, sending) }},
		}, append(readChecks, consumerChecks...)...),

		Reads:        reads,
		ReadProgress: readProgress,
		PositionWait: cfg.PositionWait,
	})
	return &App{Handler: handler, Runner: runner, Progress: progress, Registry: reg, Store: store, Sender: snd, Notifier: notifier,
		Scheduler: newScheduler(cfg, store, notifier, ob)}, nil
}

// newSender wires the outbound sender: Twilio's REST API with the
// credentials, else the sandbox (texts marked sent without leaving the
// machine). Status callbacks need PUBLIC_URL: without it none is asked for.
func newSender(cfg Config, store eventstore.Store, ob observer) (*sender.Sender, error) {
	var tw twilio.Sender = twilio.SandboxSender{Logger: cfg.Logger}
	if !cfg.Sandbox() {
		rest, err := twilio.NewRESTSender(cfg.TwilioSID, cfg.TwilioToken, cfg.TwilioAPIURL, cfg.TwilioHTTPClient)
		if err != nil {
			return nil, err
		}
		tw = rest
	}
	callback := ""
	if cfg.PublicURL != "" {
		callback = strings.TrimRight(cfg.PublicURL, "/") + twilio.StatusPath
	} else if !cfg.Sandbox() {
		cfg.Logger.Warn("PUBLIC_URL is not set: texts are sent without a StatusCallback, so they stay \"sending\" (set PUBLIC_URL to the address Twilio reaches smsinbox at)")
	}
	return sender.New(sender.Config{Pool: cfg.Pool, Store: store, Twilio: tw, Steps: sendSteps(store, cfg.Now, ob),
		StatusCallback: callback, Now: cfg.Now, Logger: cfg.Logger})
}

// sendSteps are the sender's use cases.
func sendSteps(store eventstore.Store, now func() time.Time, ob observer) sender.Steps {
	return sender.Steps{
		Start:          observed(ob, commands.NewStartSendHandler(store, now)),
		RecordResult:   observed(ob, commands.NewRecordSendResultHandler(store, now)),
		Defer:          observed(ob, commands.NewDeferSendHandler(store, now)),
		OutcomeUnknown: observed(ob, commands.NewRecordOutcomeUnknownHandler(store, now)),
		Expire:         observed(ob, commands.NewExpireOutcomeHandler(store, now)),
		Fail:           observed(ob, commands.NewFailSendHandler(store, now)),
		CarrierOptOut:  observed(ob, commands.NewRecordCarrierOptOutHandler(store, now)),
	}
}

// observer is where the use cases log and count (observe.Observed).
type observer struct {
	logger  *slog.Logger
	metrics *observe.Metrics
}

// observed is h logged and measured where ob says (observe.Observed).
func observed[C, R any](ob observer, h commands.Handler[C, R]) commands.Handler[C, R] {
	return observe.Observed(ob.logger, ob.metrics, h)
}

func adminCommands(store eventstore.Store, now func() time.Time, ob observer) httpapi.AdminCommands {
	return httpapi.AdminCommands{
		CreateCompany:         observed(ob, commands.NewCreateCompanyHandler(store, now, commands.RandomIDs)),
		UpdateCompany:         observed(ob, commands.NewUpdateCompanyHandler(store, now)),
		ChangeMessagingNumber: observed(ob, commands.NewChangeMessagingNumberHandler(store, now)),
		AddUser:               observed(ob, commands.NewAddUserHandler(store, now, commands.RandomIDs)),
		IssueAppKey:           observed(ob, commands.NewIssueAppKeyHandler(store, now, commands.RandomIDs)),
		RevokeAppKey:          observed(ob, commands.NewRevokeAppKeyHandler(store, now)),
		RemoveUser:            observed(ob, commands.NewRemoveUserHandler(store, now)),
		RotateUserToken:       observed(ob, commands.NewRotateUserTokenHandler(store, now, commands.RandomIDs)),
	}
}

// readSide is where the query endpoints read: the read replica when one is
// configured (then also checked by /readyz), else the primary. A hot
// standby delivers no notifications, so waits on it poll (projections.Progress
// without a Notifier backs off from 5 ms to 100 ms).
func readSide(cfg Config, primary projections.Progress) (httpapi.ReadModels, httpapi.Waiter, []httpapi.Check) {
	if cfg.ReadPool == nil {
		return projections.Queries{Pool: cfg.queryPool()}, primary, nil
	}
	replica := projections.Progress{Pool: cfg.ReadPool, Names: primary.Names}
	check := httpapi.Check{Name: "read_database", Fn: func(ctx context.Context) error { return cfg.ReadPool.Ping(ctx) }}
	return projections.Queries{Pool: cfg.ReadPool}, replica, []httpapi.Check{check}
}

// exportLimits gives the exports' page queries a quarter of the pool they
// read (the read replica's when there is one; at least one connection),
// unless cfg says otherwise: the rest stays free for webhooks, commands and
// reads however many exports run.
func exportLimits(cfg Config) httpapi.ExportLimits {
	l := cfg.Exports
	pool := cfg.queryPool()
	if cfg.ReadPool != nil {
		pool = cfg.ReadPool
	}
	if l.PageQueries <= 0 {
		l.PageQueries = max(1, int(pool.Config().MaxConns)/4)
	}
	return l
}

// consentNumberReactor voids every consent of a company whose messaging
// number changed (projections.ConsentNumberReactor), in the Runner.
func consentNumberReactor(store eventstore.Store, ob observer) projections.Projector {
	void := observed(ob, commands.NewVoidConsentOnNumberChangeHandler(store))
	return projections.ConsentNumberReactor{
		Void: func(ctx context.Context, change company.MessagingNumberChanged, cause eventstore.RecordedEvent, customer phone.Number) error {
			_, err := void.Handle(ctx, commands.VoidConsentOnNumberChange{Change: change, CausedBy: cause.ID, Customer: customer})
			return err
		},
	}
}

// unassignRemovedReactor makes a removed user's threads unassigned
// (projections.UnassignRemovedReactor), in the Runner, at the removal's time.
func unassignRemovedReactor(store eventstore.Store, ob observer) projections.Projector {
	release := observed(ob, commands.NewReleaseRemovedUserHandler(store))
	return projections.UnassignRemovedReactor{
		Release: func(ctx context.Context, removal company.UserRemoved, cause eventstore.RecordedEvent, customer phone.Number) error {
			_, err := release.Handle(ctx, commands.ReleaseRemovedUser{CompanyID: removal.CompanyID, Customer: customer,
				UserID: removal.UserID, At: removal.At, CausedBy: cause.ID.String()})
			return err
		},
	}
}

// Run runs the background work (the projectors and reactors, the outbound
// sender, the due-scheduler, the read models' notifier) until ctx ends or one of them fails. Once it
// returns, the live streams (GET /api/events) end too: an http.Server's
// Shutdown would otherwise wait for them.
func (a *App) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.Notifier.Run(gctx) })
	g.Go(func() error { return a.Runner.Run(gctx) })
	g.Go(func() error { return a.Sender.Run(gctx) })
	g.Go(func() error { return a.Scheduler.Run(gctx) })
	return g.Wait()
}
