package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// openEventStore picks the store: EventStoreDB when EVENTSTORE_URL is an
// esdb:// or kurrentdb:// address, else the database's own tables.
func openEventStore(ctx context.Context, cfg config, db *database, logger *slog.Logger) (eventstore.Store, error) {
	if cfg.EventStoreURL != "" {
		if !strings.HasPrefix(cfg.EventStoreURL, "esdb://") && !strings.HasPrefix(cfg.EventStoreURL, "kurrentdb://") &&
			!strings.HasPrefix(cfg.EventStoreURL, "esdb+discover://") && !strings.HasPrefix(cfg.EventStoreURL, "kurrentdb+discover://") {
			return nil, fmt.Errorf("EVENTSTORE_URL must start with esdb:// or kurrentdb://")
		}
		return openESDB(ctx, cfg.EventStoreURL, logger)
	}
	s, err := pgstore.New(ctx, db.Pool, pgstore.Config{Logger: logger})
	if err != nil {
		return nil, err
	}
	logger.Info("events in PostgreSQL")
	return s, nil
}
