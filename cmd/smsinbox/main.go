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
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], logger)
	var usage usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp): // the flags' usage is printed
		stop()
		os.Exit(0)
	case errors.As(err, &usage): // a person's mistake: a sentence, not a log line
		fmt.Fprintln(os.Stderr, usage.Error())
		stop()
		os.Exit(2)
	default:
		logger.Error("smsinbox failed", "err", err)
		stop()
		os.Exit(1)
	}
}

// usageError is a command line or configuration smsinbox cannot run with: it
// is told plainly on stderr, and the exit status is 2.
type usageError string

func (e usageError) Error() string { return string(e) }

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
		return usageError(strings.TrimSpace(usage))
	}
	cfg, err := configFromEnv()
	if err != nil {
		return usageError(err.Error())
	}
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
		return auditCommand(ctx, cfg, args[1:], os.Stdout, logger)
	case "help", "-h", "--help":
		_, _ = fmt.Fprint(os.Stdout, usage)
		return nil
	default:
		return usageError(fmt.Sprintf("unknown command %q\n%s", args[0], strings.TrimSpace(usage)))
	}
}
