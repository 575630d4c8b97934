// Package migrations holds smsinbox's PostgreSQL schema and applies it with
// goose: the event store's tables and the read models' tables are two sets,
// each with its own version table, so that either can move on its own.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed eventstore/*.sql readmodels/*.sql
var files embed.FS

// set is one directory of migrations and the table that records them.
type set struct {
	dir, table string
	// outOfOrder applies a migration numbered below the newest applied one
	// (goose refuses it by default). Read-model migrations each create their
	// own tables and are numbered by parallel work (the consent issue took
	// 00005 while 00004 was kept for outbound texts): one that lands late
	// must still apply to a database that already has the higher number.
	outOfOrder bool
}

var sets = []set{
	{dir: "eventstore", table: "goose_eventstore_version"},
	{dir: "readmodels", table: "goose_readmodels_version", outOfOrder: true},
}

// Apply brings the schema to the newest version. It is idempotent, and safe
// when several processes run it at once: a session lock serialises them.
func Apply(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	for _, s := range sets {
		if err := apply(ctx, db, s, logger); err != nil {
			return err
		}
	}
	return nil
}

func apply(ctx context.Context, db *sql.DB, s set, logger *slog.Logger) error {
	fsys, err := fs.Sub(files, s.dir)
	if err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithTableName(s.table), goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true),
		goose.WithAllowOutofOrder(s.outOfOrder))
	if err != nil {
		return fmt.Errorf("migrations %s: %w", s.dir, err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.dir, err)
	}
	for _, r := range results {
		logger.Info("migration applied", "set", s.dir, "version", r.Source.Version, "file", r.Source.Path, "took", r.Duration)
	}
	return nil
}
