// Command testenv runs a command (the test suite) with a PostgreSQL server:
//
//	go run ./cmd/testenv go test -race ./...
//
// It uses the server DATABASE_URL names when that answers; else one on
// 127.0.0.1:5432; else it starts one private cluster in a temporary
// directory for the whole run (as the postgres user when run as root), passes
// its address to the command as DATABASE_URL, and stops and removes it
// afterwards. Each test package then makes its own fresh databases there
// (see adapters/postgres/pgtest), so packages run in parallel.
//
// It also makes sure a Chromium exists for the browser tests
// (cmd/smsinbox/app/browser_test.go): CHROMIUM_PATH, else chromium,
// chromium-browser or google-chrome on PATH; else, as root on a machine with
// apt-get, it installs Debian's chromium. It passes the browser it found to
// the command as CHROMIUM_PATH.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
)

func main() {
	os.Exit(run())
}

func run() int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./cmd/testenv COMMAND [ARGS...]   (e.g. go test -race ./...)")
		return 2
	}
	ctx := context.Background()
	url, stop, err := server(ctx, logger)
	if err != nil {
		logger.Error("no PostgreSQL server for the tests", "err", err)
		return 1
	}
	defer stop()

	cmd := exec.Command(os.Args[1], os.Args[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	// Without a browser the other tests still run: only the browser tests
	// fail, and they say what to do.
	if path := browser(logger); path != "" {
		cmd.Env = append(cmd.Env, "CHROMIUM_PATH="+path)
	}
	if err := cmd.Start(); err != nil {
		logger.Error("start", "command", os.Args[1], "err", err)
		return 1
	}
	// Ctrl-C reaches the command through the terminal; pass on a TERM, then
	// still stop the cluster.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for s := range sigs {
			_ = cmd.Process.Signal(s) // it may have exited already
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		logger.Error("run", "command", os.Args[1], "err", err)
		return 1
	}
	return 0
}

func server(ctx context.Context, logger *slog.Logger) (url string, stop func(), err error) {
	if url := os.Getenv("DATABASE_URL"); url != "" {
		hp, err := pgserver.HostPort(url)
		if err != nil {
			return "", nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		if !pgserver.Answers(hp) {
			return "", nil, fmt.Errorf("DATABASE_URL names %s, which does not answer", hp)
		}
		logger.Info("tests use the server of DATABASE_URL", "at", hp)
		return url, func() {}, nil
	}
	if pgserver.Answers("127.0.0.1:5432") {
		logger.Info("tests use the server on 127.0.0.1:5432")
		return pgserver.DefaultLocalURL, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "smsinbox-testenv-")
	if err != nil {
		return "", nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the cluster's owner must reach it
		return "", nil, err
	}
	port, err := pgserver.FreePort()
	if err != nil {
		return "", nil, err
	}
	c, err := pgserver.Start(ctx, filepath.Join(dir, "pg"), port, logger)
	if err != nil {
		_ = os.RemoveAll(dir)
		return "", nil, err
	}
	logger.Info("tests use a private PostgreSQL cluster", "port", port, "dir", dir)
	return c.URL("postgres"), func() {
		if err := c.Stop(context.Background()); err != nil {
			logger.Warn("stopping the test cluster", "err", err)
		}
		_ = os.RemoveAll(dir)
	}, nil
}
