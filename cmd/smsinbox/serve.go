package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"github.com/smsinbox/smsinbox/adapters/eventstore/instrumented"
	"github.com/smsinbox/smsinbox/adapters/httpapi"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/projections"
)

// sandboxToken checks webhook signatures when no Twilio credentials are set.
const sandboxToken = "sandbox"

func serve(ctx context.Context, cfg config, logger *slog.Logger) error {
	db, err := openDatabase(ctx, cfg, true, logger)
	if err != nil {
		return err
	}
	defer db.Close(context.WithoutCancel(ctx), logger)

	store, err := openEventStore(ctx, cfg, db, logger)
	if err != nil {
		return err
	}
	defer store.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store, err = instrumented.New(store, reg)
	if err != nil {
		return err
	}

	runner, err := projections.NewRunner(projections.RunnerConfig{
		Pool: db.Pool, Store: store, Projectors: projections.All(), Logger: logger, Registry: reg,
	})
	if err != nil {
		return err
	}
	progress := projections.Progress{Pool: db.Pool, Names: runner.Names()}

	authToken := cfg.TwilioToken
	if cfg.TwilioSID == "" || cfg.TwilioToken == "" {
		authToken = sandboxToken
		logger.Warn("SANDBOX MODE: no Twilio credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN); texts are recorded and marked sent without leaving this machine, and webhooks are checked with the token \"sandbox\"")
	}
	now := time.Now
	handler := httpapi.NewHandler(httpapi.Deps{
		Logger:     logger,
		Registry:   reg,
		Store:      store,
		Queries:    projections.Queries{Pool: db.Pool},
		Progress:   progress,
		AdminToken: cfg.AdminToken,
		Verifier:   twilio.NewVerifier(authToken, cfg.PublicURL),
		Commands: httpapi.Commands{
			ChangeThread: commands.ChangeThread{Store: store, Now: now},
			ReceiveInbound: commands.ReceiveInbound{Store: store, Now: now, Logger: logger,
				Route: func(ctx context.Context, n phone.Number) (string, bool, error) { return commands.RouteNumber(ctx, store, n) }},
		},
		Admin: httpapi.AdminCommands{
			CreateCompany:         commands.NewCreateCompanyHandler(store, commands.RandomIDs),
			UpdateCompany:         commands.NewUpdateCompanyHandler(store),
			ChangeMessagingNumber: commands.NewChangeMessagingNumberHandler(store),
			AddUser:               commands.NewAddUserHandler(store, commands.RandomIDs),
		},
		Ready: []httpapi.Check{
			{Name: "database", Fn: func(ctx context.Context) error { return db.Pool.Ping(ctx) }},
			{Name: "event_store", Fn: func(ctx context.Context) error { _, err := store.Head(ctx); return err }},
			{Name: "projectors", Fn: func(context.Context) error {
				if !runner.Running() {
					return errors.New("projectors are not running")
				}
				return nil
			}},
		},
	})
	if cfg.AdminToken == "" {
		logger.Warn("the admin API is off: set ADMIN_TOKEN to create companies and users")
	}

	srv := &http.Server{Addr: cfg.ListenAddr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runner.Run(gctx) })
	g.Go(func() error {
		logger.Info("smsinbox is serving", "addr", cfg.ListenAddr, "open", "http://"+displayAddr(cfg.ListenAddr)+"/")
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
		}
		return nil
	})
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(gctx), 15*time.Second)
		defer cancel()
		return srv.Shutdown(shutdownCtx)
	})
	return g.Wait()
}

func displayAddr(addr string) string {
	if len(addr) > 0 && addr[0] == ':' {
		return "localhost" + addr
	}
	return addr
}

