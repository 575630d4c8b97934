// Package pgserver finds a PostgreSQL server for smsinbox, or starts a
// private one: the server named by DATABASE_URL; else one answering on
// 127.0.0.1:5432; else a private cluster in a directory of the caller's
// (./var/postgres for `smsinbox serve`, a temporary one for the tests),
// created with the machine's own PostgreSQL binaries. initdb refuses to run
// as root, so as root the cluster runs as the `postgres` user.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultLocalURL is the server tried when DATABASE_URL is unset.
const DefaultLocalURL = "postgres://postgres@127.0.0.1:5432/smsinbox?sslmode=disable"

// Cluster is a private PostgreSQL cluster that this process may have started.
type Cluster struct {
	Dir  string // holds data/, the log and the socket
	Port int
	bin  string
	// Started is true when this process started the server (and so should
	// stop it); false when it found it running.
	Started bool
	log     *slog.Logger
}

// URL is the cluster's address for database name db.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, db)
}

// Answers reports whether a PostgreSQL server accepts TCP connections at
// host:port within a short time.
func Answers(hostport string) bool {
	conn, err := net.DialTimeout("tcp", hostport, 500*time.Millisecond)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// Binaries finds the directory of initdb and pg_ctl: $PG_BIN, else the
// newest /usr/lib/postgresql/*/bin, else the PATH.
func Binaries() (string, error) {
	if dir := os.Getenv("PG_BIN"); dir != "" {
		return dir, nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return versionOf(matches[i]) > versionOf(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL binaries found (initdb): install PostgreSQL (apt-get install postgresql) or set DATABASE_URL")
}

func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

// Start starts (creating it first if needed) a private cluster in dir,
// listening on 127.0.0.1:port only, with trust authentication for its
// `postgres` role. A cluster already running there is reused.
func Start(ctx context.Context, dir string, port int, logger *slog.Logger) (*Cluster, error) {
	bin, err := Binaries()
	if err != nil {
		return nil, err
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: dir, Port: port, bin: bin, log: logger}
	data := filepath.Join(dir, "data")
	if err := c.makeDir(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		logger.Info("creating a private PostgreSQL cluster", "dir", data)
		if out, err := c.run(ctx, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"); err != nil {
			return nil, fmt.Errorf("initdb %s: %w\n%s", data, err, out)
		}
	}
	if out, err := c.run(ctx, "pg_ctl", "-D", data, "status"); err == nil && strings.Contains(out, "server is running") {
		if Answers(fmt.Sprintf("127.0.0.1:%d", port)) {
			logger.Info("private PostgreSQL cluster already running", "dir", data, "port", port)
			return c, nil
		}
		return nil, fmt.Errorf("a PostgreSQL server runs in %s but not on port %d: stop it (pg_ctl -D %s stop) or set DATABASE_URL", data, port, data)
	}
	if Answers(fmt.Sprintf("127.0.0.1:%d", port)) {
		return nil, fmt.Errorf("port %d is taken by another server: set DATABASE_URL to use it", port)
	}
	logger.Info("starting a private PostgreSQL cluster", "dir", data, "port", port)
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// start starts the server in c.Dir/data on c.Port and waits until it
// accepts connections. The WAL settings are PostgreSQL 15's defaults, set
// here so that a private cluster can always be streamed to a replica
// (StartReplica) whatever its postgresql.conf says; a standby takes the
// same options (its max_connections must not be below its primary's).
func (c *Cluster) start(ctx context.Context) error {
	data := filepath.Join(c.Dir, "data")
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=200 -c wal_level=replica -c max_wal_senders=10", c.Port, c.Dir)
	if out, err := c.run(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(c.Dir, "postgres.log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return fmt.Errorf("start PostgreSQL in %s: %w\n%s", data, err, out)
	}
	c.Started = true
	return nil
}

// Stop stops the cluster if this process started it.
func (c *Cluster) Stop(ctx context.Context) error {
	if !c.Started {
		return nil
	}
	out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("stop PostgreSQL in %s: %w\n%s", c.Dir, err, out)
	}
	return nil
}

// Restart stops the cluster with pg_ctl's shutdown mode ("smart", "fast"
// or "immediate") and starts it again with the options it last started
// with, waiting until it accepts connections. Every session is cut; with
// "immediate" the server recovers from its WAL as after a crash. Fault
// tests use it to take the database away under a running smsinbox.
func (c *Cluster) Restart(ctx context.Context, mode string) error {
	// -l again: without it the restarted server would log to pg_ctl's own
	// output, which it keeps open, and run would never return.
	out, err := c.run(ctx, "pg_ctl", "-D", filepath.Join(c.Dir, "data"), "-l", filepath.Join(c.Dir, "postgres.log"),
		"-m", mode, "-w", "-t", "60", "restart")
	if err != nil {
		return fmt.Errorf("restart PostgreSQL in %s (-m %s): %w\n%s", c.Dir, mode, err, out)
	}
	return nil
}

// run runs a PostgreSQL program, as the postgres user when this process is root.
func (c *Cluster) run(ctx context.Context, program string, args ...string) (string, error) {
	path := filepath.Join(c.bin, program)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.Dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// makeDir creates c.Dir (if missing) for the cluster's owner. The parents
// stay open to the owner; the cluster's own directory is private to it.
func (c *Cluster) makeDir() error {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(c.Dir), err)
	}
	if err := os.Mkdir(c.Dir, 0o700); err != nil && !os.IsExist(err) {
		return fmt.Errorf("create %s: %w", c.Dir, err)
	}
	return c.giveToPostgres(c.Dir)
}

// giveToPostgres makes dir the postgres user's when running as root, and
// checks that the user can reach it.
func (c *Cluster) giveToPostgres(dir string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("running as root needs the postgres user to own the private cluster: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	}); err != nil {
		return fmt.Errorf("give %s to postgres: %w", dir, err)
	}
	if out, err := exec.Command("runuser", "-u", "postgres", "--", "test", "-w", dir).CombinedOutput(); err != nil {
		return fmt.Errorf("the postgres user cannot write %s (is a parent directory closed to it?): %v %s", dir, err, out)
	}
	return nil
}

// EnsureDatabase creates the database that url names when it does not
// exist, connecting to the server's `postgres` database to do it.
func EnsureDatabase(ctx context.Context, dbURL string) error {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("parse database url: %w", err)
	}
	name := cfg.Database
	if name == "" || name == "postgres" {
		return nil
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		var exists bool
		// Another process may have created it meanwhile.
		if qerr := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); qerr == nil && exists {
			return nil
		}
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// HostPort is the host:port a database URL names.
func HostPort(dbURL string) (string, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "", err
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	return net.JoinHostPort(host, port), nil
}
