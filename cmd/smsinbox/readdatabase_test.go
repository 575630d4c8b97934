package main

import (
	"context"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// READ_DATABASE_URL must name the primary's database or a copy of it: a
// database that is not would never see the projectors' commits, so every
// X-Min-Position would time out. serve refuses it, naming the variable; the
// primary's own database is accepted (a replica of it is in
// TestReadReplica).
func TestReadDatabaseMustCopyThePrimary(t *testing.T) {
	ctx := context.Background()
	primaryURL, otherURL := pgtest.NewDatabase(t), pgtest.NewDatabase(t)
	t.Setenv("DATABASE_URL", primaryURL)
	cfg, err := configFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	primary, err := openDatabase(ctx, cfg, false, discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer primary.Close(ctx, discardLogger())

	cfg.ReadDatabaseURL = otherURL
	if pool, err := openReadDatabase(ctx, cfg, primary, discardLogger()); err == nil {
		pool.Close()
		t.Fatal("READ_DATABASE_URL on another database accepted")
	} else if !strings.Contains(err.Error(), "READ_DATABASE_URL") {
		t.Fatalf("the refusal does not name READ_DATABASE_URL: %v", err)
	}

	cfg.ReadDatabaseURL = primaryURL
	pool, err := openReadDatabase(ctx, cfg, primary, discardLogger())
	if err != nil {
		t.Fatalf("READ_DATABASE_URL on the primary's database refused: %v", err)
	}
	pool.Close()
}
