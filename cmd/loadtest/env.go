package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
	"github.com/smsinbox/smsinbox/adapters/twilio"
)

// The company every text goes to.
const companyNumber = "+12025550123"

// env is what a run drives: the database, the server, the fake Twilio.
type env struct {
	log        *slog.Logger
	dir        string
	dbURL      string
	pool       *pgxpool.Pool
	cluster    *pgserver.Cluster
	bin        string
	serverEnv  []string
	server     *exec.Cmd
	serverLogs bool
	base       string // the server's base URL (also its PUBLIC_URL)
	twilio     *http.Server
	authToken  string
	accountSID string
	userToken  string
	companyID  string
	client     *http.Client
	posted     atomic.Int64 // texts posted so far: customer i is posted%threads
	threads    int
	extraEnv   []string // -server-env: more of the server's environment
}

func startEnv(ctx context.Context, o options, logger *slog.Logger) (*env, error) {
	dir, err := os.MkdirTemp("", "smsinbox-loadtest-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // the cluster's owner (postgres) goes through it
		return nil, err
	}
	e := &env{log: logger, dir: dir, serverLogs: o.serverLogs, threads: o.threads, bin: o.bin, extraEnv: o.serverEnv,
		authToken: randomHex(16), accountSID: "AC" + randomHex(16),
		client: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128, MaxConnsPerHost: 256}}}
	if err := e.start(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func (e *env) start(ctx context.Context) error {
	e.dbURL = os.Getenv("DATABASE_URL")
	if e.dbURL == "" {
		port, err := pgserver.FreePort()
		if err != nil {
			return err
		}
		c, err := pgserver.Start(ctx, filepath.Join(e.dir, "postgres"), port, e.log)
		if err != nil {
			return fmt.Errorf("private PostgreSQL: %w", err)
		}
		e.cluster = c
		e.dbURL = c.URL("smsinbox_load")
	} else {
		e.log.Warn("DATABASE_URL is set: the load test writes to that database")
	}
	if err := pgserver.EnsureDatabase(ctx, e.dbURL); err != nil {
		return err
	}
	pool, err := pgxpool.New(ctx, e.dbURL)
	if err != nil {
		return err
	}
	e.pool = pool
	if err := e.diagnostics(ctx); err != nil {
		return fmt.Errorf("the private cluster's diagnostics: %w", err)
	}

	if e.bin == "" {
		e.bin = filepath.Join(e.dir, "smsinbox")
		e.log.Info("building smsinbox")
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", e.bin, "./cmd/smsinbox").CombinedOutput(); err != nil {
			return fmt.Errorf("go build ./cmd/smsinbox (run the load test from the repository's root): %w\n%s", err, out)
		}
	}

	twilioURL, err := e.startFakeTwilio()
	if err != nil {
		return err
	}
	port, err := pgserver.FreePort()
	if err != nil {
		return err
	}
	e.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	admin := randomHex(24)
	e.serverEnv = append(os.Environ(), "DATABASE_URL="+e.dbURL, "LISTEN_ADDR="+strings.TrimPrefix(e.base, "http://"),
		"PUBLIC_URL="+e.base, "ADMIN_TOKEN="+admin, "TWILIO_ACCOUNT_SID="+e.accountSID, "TWILIO_AUTH_TOKEN="+e.authToken,
		"TWILIO_API_URL="+twilioURL,
		// Where a slow request's time went (Server-Timing), and every
		// statement slower than 25 ms in the server's log.
		"SERVER_TIMING=true", "DATABASE_SLOW_STATEMENT=25ms")
	e.serverEnv = append(e.serverEnv, e.extraEnv...)
	if err := e.startServer(ctx); err != nil {
		return err
	}
	return e.setUpCompany(ctx, admin)
}

// startFakeTwilio answers Twilio's Messages resource on loopback: every text
// is accepted at once.
func (e *env) startFakeTwilio() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	e.twilio = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/Messages.json") {
			http.NotFound(w, r)
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"sid": twilio.NewSID("SM"), "status": "queued", "account_sid": e.accountSID})
	})}
	go func() { _ = e.twilio.Serve(ln) }() // ends with ErrServerClosed at Close
	return "http://" + ln.Addr().String(), nil
}

func (e *env) startServer(ctx context.Context) error {
	cmd := exec.Command(e.bin, "serve")
	cmd.Env = e.serverEnv
	if e.serverLogs {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	} else {
		f, err := os.Create(filepath.Join(e.dir, "server.log"))
		if err != nil {
			return err
		}
		cmd.Stdout, cmd.Stderr = f, f
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	e.server = cmd
	deadline := time.Now().Add(90 * time.Second)
	for {
		if resp, err := e.client.Get(e.base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server was not ready within 90 s (its log: %s)", filepath.Join(e.dir, "server.log"))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (e *env) stopServer() error {
	if e.server == nil {
		return nil
	}
	_ = e.server.Process.Signal(syscall.SIGTERM)
	err := e.server.Wait()
	e.server = nil
	return err
}

func (e *env) setUpCompany(ctx context.Context, admin string) error {
	var co struct{ ID string }
	if err := e.call(ctx, "POST", "/api/admin/companies", admin,
		`{"name":"Load Test Dental","messaging_number":"`+companyNumber+`","time_zone":"America/New_York"}`, &co); err != nil {
		return err
	}
	var user struct{ Token string }
	if err := e.call(ctx, "POST", "/api/admin/companies/"+co.ID+"/users", admin, `{"name":"Ann","role":"admin"}`, &user); err != nil {
		return err
	}
	e.userToken = user.Token
	e.companyID = co.ID
	return nil
}

// call makes one JSON call and decodes its answer into out (nil: none).
func (e *env) call(ctx context.Context, method, path, token, body string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(b))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// pgbench runs PostgreSQL's own pgbench, one-row INSERT transactions of a
// 300-byte row, at concurrency clients, and returns its transactions/s.
func (e *env) pgbench(ctx context.Context, clients int, d time.Duration) (float64, error) {
	if _, err := e.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS loadtest_raw_insert (id bigserial PRIMARY KEY, data text NOT NULL)`); err != nil {
		return 0, err
	}
	bin, err := pgserver.Binaries()
	if err != nil {
		return 0, err
	}
	script := filepath.Join(e.dir, "insert.sql")
	if err := os.WriteFile(script, []byte("INSERT INTO loadtest_raw_insert (data) VALUES (repeat('x', 300));\n"), 0o644); err != nil {
		return 0, err
	}
	out, err := exec.CommandContext(ctx, filepath.Join(bin, "pgbench"), "-n", "-f", script, "-c", strconv.Itoa(clients),
		"-j", "2", "-T", strconv.Itoa(int(d.Seconds())), e.dbURL).CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("pgbench: %w\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps:\n%s", out)
	}
	return strconv.ParseFloat(string(m[1]), 64)
}

// rebuild stops the server and times `smsinbox rebuild` over the whole log.
func (e *env) rebuild(ctx context.Context) (events int64, took time.Duration, err error) {
	if err := e.stopServer(); err != nil {
		e.log.Warn("the server's exit", "err", err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM es_events`).Scan(&events); err != nil {
		return 0, 0, err
	}
	cmd := exec.CommandContext(ctx, e.bin, "rebuild")
	cmd.Env = e.serverEnv
	began := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("rebuild: %w\n%s", err, out)
	}
	return events, time.Since(began), nil
}

// serverRSS is the server process's resident memory in MiB.
func (e *env) serverRSS() float64 {
	if e.server == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", e.server.Process.Pid))
	if err != nil {
		return 0
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0
	}
	kb, _ := strconv.ParseFloat(string(m[1]), 64)
	return kb / 1024
}

func (e *env) Close() {
	ctx := context.Background()
	if err := e.stopServer(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		e.log.Debug("the server's exit", "err", err)
	}
	if e.twilio != nil {
		e.twilio.Close()
	}
	if e.pool != nil {
		e.pool.Close()
	}
	if e.cluster != nil {
		if err := e.cluster.Stop(ctx); err != nil {
			e.log.Warn("stopping the private cluster", "err", err)
		}
	}
	_ = os.RemoveAll(e.dir)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// loadAverage is the machine's 1, 5 and 15 minute load averages.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
