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

	"github.com/smsinbox/smsinbox/adapters/httpapi"
)

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
	handler := httpapi.NewHandler(httpapi.Deps{
		Logger:   logger,
		Registry: reg,
		Ready: []httpapi.Check{
			{Name: "database", Fn: func(ctx context.Context) error { return db.Pool.Ping(ctx) }},
			{Name: "event_store", Fn: func(ctx context.Context) error { _, err := store.Head(ctx); return err }},
		},
	})
	srv := &http.Server{Addr: cfg.ListenAddr, Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("smsinbox is serving", "addr", cfg.ListenAddr, "open", "http://"+displayAddr(cfg.ListenAddr)+"/")
	select {
	case err := <-errc:
		return fmt.Errorf("listen on %s: %w", cfg.ListenAddr, err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

func displayAddr(addr string) string {
	if len(addr) > 0 && addr[0] == ':' {
		return "localhost" + addr
	}
	return addr
}
