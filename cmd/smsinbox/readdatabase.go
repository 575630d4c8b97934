package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"
)

// openReadDatabase opens a pool on READ_DATABASE_URL, a streaming replica
// of the primary's database, sized like the primary's (DATABASE_MAX_CONNS).
// Nothing is created or migrated there: a hot standby takes no writes, and
// it holds what the primary holds. It refuses a server that is not a copy of
// the primary's cluster (another system identifier) or another database:
// its read models would never move, and every X-Min-Position would time
// out. The primary itself (or a proxy in front of it) is accepted.
func openReadDatabase(ctx context.Context, cfg config, primary *database, logger *slog.Logger) (*pgxpool.Pool, error) {
	pcfg, err := poolConfig(cfg.ReadDatabaseURL, cfg.DatabaseMaxConns)
	if err != nil {
		return nil, fmt.Errorf("READ_DATABASE_URL: %w", err)
	}
	cfg.trace(pcfg, "reads", logger)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open the read database: %w", err)
	}
	if err := sameDatabase(ctx, primary.Pool, pool); err != nil {
		pool.Close()
		return nil, err
	}
	var standby bool
	if err := pool.QueryRow(ctx, `SELECT pg_is_in_recovery()`).Scan(&standby); err != nil {
		pool.Close()
		return nil, fmt.Errorf("reach the read database (READ_DATABASE_URL): %w", err)
	}
	logger.Info("query endpoints read from READ_DATABASE_URL", "standby", standby, "max_conns", pcfg.MaxConns)
	return pool, nil
}

// sameDatabase checks that replica is primary's database or a physical copy
// of it: the same cluster system identifier, the same database name.
func sameDatabase(ctx context.Context, primary, replica *pgxpool.Pool) error {
	const q = `SELECT (SELECT system_identifier FROM pg_control_system()), current_database()`
	var pid, rid int64
	var pdb, rdb string
	if err := primary.QueryRow(ctx, q).Scan(&pid, &pdb); err != nil {
		return fmt.Errorf("read the primary's identity: %w", err)
	}
	if err := replica.QueryRow(ctx, q).Scan(&rid, &rdb); err != nil {
		return fmt.Errorf("reach the read database (READ_DATABASE_URL): %w", err)
	}
	if pid != rid || pdb != rdb {
		return fmt.Errorf("READ_DATABASE_URL is database %q of cluster %d, not a replica of the primary's database %q of cluster %d: "+
			"point it at a streaming replica of DATABASE_URL's server (pg_basebackup -R), or unset it", rdb, rid, pdb, pid)
	}
	return nil
}
