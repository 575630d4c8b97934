package main

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// adminToken is ADMIN_TOKEN in these tests (32 characters or more).
const adminToken = "test-admin-token-0123456789abcdef"

// TestMain gives the package's tests a PostgreSQL server (pgtest) and, once
// they are done, removes what several tests shared: the built binary and
// the fault tests' private cluster.
func TestMain(m *testing.M) {
	code := pgtest.Run(m)
	shared.release()
	os.Exit(code)
}

// shared holds what is made once per test binary, on first use.
var shared sharedResources

type sharedResources struct {
	mu  sync.Mutex
	dir string // holds the binary and the private cluster; removed at the end

	bin    string // the smsinbox binary built from this tree
	binErr error

	cluster    *pgserver.Cluster
	clusterErr error
}

// tempDir is the shared directory, open to the postgres user (the private
// cluster's owner when the tests run as root).
func (s *sharedResources) tempDir() (string, error) {
	if s.dir != "" {
		return s.dir, nil
	}
	dir, err := os.MkdirTemp("", "smsinbox-cmd-test-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	s.dir = dir
	return dir, nil
}

// smsinboxBinary builds `smsinbox` from this tree once per test binary, for
// the tests that run it as a process of its own (and kill it).
func smsinboxBinary(t testing.TB) string {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.bin == "" && shared.binErr == nil {
		dir, err := shared.tempDir()
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "smsinbox")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			shared.binErr = err
			t.Fatalf("build smsinbox: %v\n%s", err, out)
		}
		shared.bin = bin
	}
	if shared.binErr != nil {
		t.Fatalf("build smsinbox: %v", shared.binErr)
	}
	return shared.bin
}

// faultCluster is a private PostgreSQL cluster of this test binary's own,
// which the fault tests restart at will (never the server the other tests
// share). Each fault test takes a database of its own in it.
func faultCluster(t testing.TB) *pgserver.Cluster {
	t.Helper()
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.cluster == nil && shared.clusterErr == nil {
		dir, err := shared.tempDir()
		if err != nil {
			t.Fatal(err)
		}
		port, err := pgserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		shared.cluster, shared.clusterErr = pgserver.Start(context.Background(), filepath.Join(dir, "pg"), port, discardLogger())
	}
	if shared.clusterErr != nil {
		t.Fatalf("private PostgreSQL cluster: %v", shared.clusterErr)
	}
	return shared.cluster
}

func (s *sharedResources) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cluster != nil {
		_ = s.cluster.Stop(context.Background())
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
