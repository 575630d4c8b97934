// Command smsinbox is the smsinbox server and its operator's tools:
//
//	smsinbox migrate            create or upgrade the PostgreSQL schema
//	smsinbox serve              HTTP API, webhooks, projectors, sender
//	smsinbox simulate inbound   post a signed Twilio webhook to a running server
//	smsinbox rebuild [NAME...]  rebuild read models from the event store
//	smsinbox audit consent      replay a customer's consent from the event store
//
// Data goes to stdout, logs to stderr. Configuration comes from the
// environment (see README.md).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], logger); err != nil {
		logger.Error("smsinbox failed", "err", err)
		stop()
		os.Exit(1)
	}
}

const usage = `usage: smsinbox COMMAND
  migrate    create or upgrade the PostgreSQL schema (idempotent)
  serve      run the HTTP API, Twilio webhooks, projectors and the outbound sender
  simulate inbound --to NUMBER --from NUMBER --body TEXT [--url BASE]
             post a Twilio inbound webhook, signed, to a running server
  rebuild [PROJECTION...]
             rebuild read models from the event store (server stopped); sends nothing
  audit consent --company ID --phone NUMBER [--at TIME] [--format json|csv]
             replay a customer's consent history from the event store
`

func run(ctx context.Context, args []string, logger *slog.Logger) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("no command")
	}
	cfg := configFromEnv()
	switch args[0] {
	case "migrate":
		db, err := openDatabase(ctx, cfg, true, logger)
		if err != nil {
			return err
		}
		db.Close(ctx, logger)
		logger.Info("schema is up to date")
		return nil
	case "serve":
		return serve(ctx, cfg, logger)
	case "simulate":
		return simulate(ctx, cfg, args[1:])
	case "rebuild":
		return rebuild(ctx, cfg, args[1:], logger)
	case "audit":
		return audit(ctx, cfg, args[1:], os.Stdout, logger)
	case "help", "-h", "--help":
		fmt.Fprint(os.Stdout, usage)
		return nil
	default:
		fmt.Fprint(os.Stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}
