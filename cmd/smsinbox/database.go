package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/dbtime"
	"github.com/smsinbox/smsinbox/adapters/postgres/migrations"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
)

// database is the read models' (and, by default, the events') PostgreSQL.
type database struct {
	Pool    *pgxpool.Pool
	URL     string
	cluster *pgserver.Cluster
}

// openDatabase finds the server (DATABASE_URL; else 127.0.0.1:5432; else a
// private cluster under the data directory), creates the database if it is
// missing, and opens a pool. With migrate it also applies the schema.
func openDatabase(ctx context.Context, cfg config, migrate bool, logger *slog.Logger) (*database, error) {
	db := &database{URL: cfg.DatabaseURL}
	switch {
	case db.URL != "":
		logger.Info("database from DATABASE_URL")
	case pgserver.Answers("127.0.0.1:5432"):
		db.URL = pgserver.DefaultLocalURL
		logger.Info("database on 127.0.0.1:5432", "url", db.URL)
	default:
		c, err := pgserver.Start(ctx, filepath.Join(cfg.DataDir, "postgres"), cfg.PrivatePGPort, logger)
		if err != nil {
			return nil, fmt.Errorf("no DATABASE_URL, nothing on 127.0.0.1:5432, and no private cluster: %w", err)
		}
		db.cluster = c
		db.URL = c.URL("smsinbox")
		logger.Info("database in a private cluster", "dir", c.Dir, "url", db.URL)
	}
	if err := pgserver.EnsureDatabase(ctx, db.URL); err != nil {
		db.Close(ctx, logger)
		return nil, err
	}
	pcfg, err := poolConfig(db.URL, cfg.DatabaseMaxConns)
	if err != nil {
		db.Close(ctx, logger)
		return nil, err
	}
	cfg.trace(pcfg, "primary", logger)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		db.Close(ctx, logger)
		return nil, fmt.Errorf("open database: %w", err)
	}
	db.Pool = pool
	logger.Info("database pool", "max_conns", pcfg.MaxConns)
	if err := pool.Ping(ctx); err != nil {
		db.Close(ctx, logger)
		return nil, fmt.Errorf("reach database: %w", err)
	}
	if migrate {
		if err := migrations.Apply(ctx, pool, logger); err != nil {
			db.Close(ctx, logger)
			return nil, err
		}
	}
	return db, nil
}

// openQueryPool opens the second pool on the primary's database that the
// HTTP surface reads through (app.Config.QueryPool), sized like the first
// (DATABASE_MAX_CONNS). The first keeps the projectors, the reactors, the
// sender and the commands; a reader never waits for a connection behind
// their transactions (docs/decisions/0030).
func openQueryPool(ctx context.Context, cfg config, db *database, logger *slog.Logger) (*pgxpool.Pool, error) {
	pcfg, err := poolConfig(db.URL, cfg.DatabaseMaxConns)
	if err != nil {
		return nil, err
	}
	cfg.trace(pcfg, "queries", logger)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open the query pool: %w", err)
	}
	logger.Info("query pool", "max_conns", pcfg.MaxConns)
	return pool, nil
}

// poolConfig is the pool's configuration for url: maxConns connections when
// it is set (DATABASE_MAX_CONNS), else defaultMaxConns.
func poolConfig(url string, maxConns int32) (*pgxpool.Config, error) {
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = defaultMaxConns()
	if maxConns > 0 {
		pcfg.MaxConns = maxConns
	}
	return pcfg, nil
}

// trace measures the pool's connection waits and statements for the
// requests that ask (SERVER_TIMING) and logs its slow statements
// (DATABASE_SLOW_STATEMENT), naming it name. Pools made from a copy of its
// configuration (the event store's) share the tracer and its name.
func (c config) trace(pcfg *pgxpool.Config, name string, logger *slog.Logger) {
	if !c.ServerTiming && c.SlowStatement <= 0 {
		return
	}
	pcfg.ConnConfig.Tracer = &dbtime.Tracer{Pool: name, Slow: c.SlowStatement, Logger: logger}
}

// Close closes the pool and stops a private cluster this process started.
func (db *database) Close(ctx context.Context, logger *slog.Logger) {
	if db.Pool != nil {
		db.Pool.Close()
	}
	if db.cluster != nil {
		if err := db.cluster.Stop(ctx); err != nil {
			logger.Warn("stopping the private cluster", "err", err)
		} else if db.cluster.Started {
			logger.Info("private PostgreSQL cluster stopped (its data stays)", "dir", db.cluster.Dir)
		}
	}
}
