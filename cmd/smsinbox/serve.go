package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/poolstats"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

func serve(ctx context.Context, cfg config, logger *slog.Logger) error {
	acfg := app.Config{
		PublicURL: cfg.PublicURL, AdminToken: cfg.AdminToken,
		TwilioSID: cfg.TwilioSID, TwilioToken: cfg.TwilioToken, TwilioAPIURL: cfg.TwilioAPIURL, Logger: logger,
		CommandTimeout: cfg.CommandTimeout, ServerTiming: cfg.ServerTiming,
	}
	// Refused before anything starts (the database included), in words.
	if err := acfg.Validate(); err != nil {
		return usageError("smsinbox serve refuses to start: " + err.Error())
	}
	timeouts, err := httpTimeouts(os.Getenv)
	if err != nil {
		return err
	}
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

	acfg.Pool, acfg.Store = db.Pool, store
	if acfg.QueryPool, err = openQueryPool(ctx, cfg, db, logger); err != nil {
		return err
	}
	defer acfg.QueryPool.Close()
	if pg, ok := store.(*pgstore.Store); ok {
		// Sign-in reads a company's stream on every request: on the query
		// pool it never queues behind the commands' stream reads
		// (docs/decisions/0037).
		acfg.SignInStore = pg.ReadingOn(acfg.QueryPool)
	}
	if cfg.ReadDatabaseURL != "" {
		if acfg.ReadPool, err = openReadDatabase(ctx, cfg, db, logger); err != nil {
			return err
		}
		defer acfg.ReadPool.Close()
	}
	if acfg.Sandbox() {
		logger.Warn("SANDBOX MODE: no Twilio credentials (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN); texts are recorded and marked sent without leaving this machine, and webhooks are checked with the token \"sandbox\"")
	}
	if cfg.AdminToken == "" {
		logger.Warn("the admin API is off: set ADMIN_TOKEN to create companies and users")
	}
	a, err := app.New(acfg)
	if err != nil {
		return err
	}
	a.Registry.MustRegister(poolstats.New().Add("primary", db.Pool).Add("queries", acfg.QueryPool).Add("reads", acfg.ReadPool))

	srv := app.NewServer(cfg.ListenAddr, a.Handler, timeouts)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return a.Run(gctx) })
	g.Go(func() error {
		logger.Info("smsinbox is serving", "addr", cfg.ListenAddr, "open", "http://"+displayAddr(cfg.ListenAddr)+"/")
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
		}
		return nil
	})
	if cfg.PprofAddr != "" {
		ops := pprofServer(cfg.PprofAddr)
		g.Go(func() error {
			logger.Info("profiles served for operators", "addr", cfg.PprofAddr, "path", "/debug/pprof/")
			if err := ops.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return fmt.Errorf("listen on PPROF_ADDR %s: %w", cfg.PprofAddr, err)
			}
			return nil
		})
		g.Go(func() error { <-gctx.Done(); return ops.Close() })
	}
	g.Go(func() error {
		<-gctx.Done()
		logger.Info("shutting down")
		// Shutdown waits for every request to finish. The live streams
		// (GET /api/events) end by themselves here: a.Run stops the read
		// models' notifier on the same gctx, and that ends them.
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
