package main

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// The pool is sized for the machine (pgxpool's default, four connections on
// a small machine, let a few slow requests take all of them), and
// DATABASE_MAX_CONNS sizes it instead.
func TestDatabasePoolSize(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	for _, c := range []struct {
		name string
		env  string // DATABASE_MAX_CONNS
		want int32
	}{
		{"default", "", int32(max(8, 4*runtime.GOMAXPROCS(0)))},
		{"DATABASE_MAX_CONNS", "3", 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DATABASE_URL", url)
			t.Setenv("DATABASE_MAX_CONNS", c.env)
			cfg, err := configFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			db, err := openDatabase(ctx, cfg, false, discardLogger())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close(ctx, discardLogger())
			if got := db.Pool.Config().MaxConns; got != c.want {
				t.Fatalf("pool of %d connections, want %d", got, c.want)
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv("COMMAND_TIMEOUT", "2500ms")
	cfg, err := configFromEnv()
	if err != nil || cfg.CommandTimeout != 2500*time.Millisecond {
		t.Fatalf("COMMAND_TIMEOUT=2500ms: %v %v", cfg.CommandTimeout, err)
	}
	t.Setenv("SERVER_TIMING", "true")
	t.Setenv("DATABASE_SLOW_STATEMENT", "50ms")
	if cfg, err := configFromEnv(); err != nil || !cfg.ServerTiming || cfg.SlowStatement != 50*time.Millisecond {
		t.Fatalf("SERVER_TIMING=true DATABASE_SLOW_STATEMENT=50ms: %v %v %v", cfg.ServerTiming, cfg.SlowStatement, err)
	}
	for name, value := range map[string]string{
		"DATABASE_MAX_CONNS": "0", "COMMAND_TIMEOUT": "10",
		"SERVER_TIMING": "sometimes", "DATABASE_SLOW_STATEMENT": "-1s",
	} {
		t.Run(name+"="+value, func(t *testing.T) {
			t.Setenv(name, value)
			if _, err := configFromEnv(); err == nil {
				t.Fatalf("%s=%s accepted", name, value)
			}
		})
	}
	t.Setenv("DATABASE_MAX_CONNS", "many")
	if _, err := configFromEnv(); err == nil {
		t.Fatal("DATABASE_MAX_CONNS=many accepted")
	}
}

// A private cluster's port that is not a port refuses to start, as every
// other malformed setting does, rather than being read in part ("5433x" as
// 5433) or ignored ("abc": the default).
func TestPrivatePortMustBeAPort(t *testing.T) {
	t.Setenv("SMSINBOX_PG_PORT", "5433")
	if cfg, err := configFromEnv(); err != nil || cfg.PrivatePGPort != 5433 {
		t.Fatalf("SMSINBOX_PG_PORT=5433: %d %v", cfg.PrivatePGPort, err)
	}
	for _, v := range []string{"abc", "5433x", "0", "-1", "65536"} {
		t.Run(v, func(t *testing.T) {
			t.Setenv("SMSINBOX_PG_PORT", v)
			if cfg, err := configFromEnv(); err == nil {
				t.Fatalf("SMSINBOX_PG_PORT=%s accepted as port %d", v, cfg.PrivatePGPort)
			}
		})
	}
}
