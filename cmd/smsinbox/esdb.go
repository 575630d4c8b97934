package main

import (
	"context"
	"log/slog"

	"github.com/smsinbox/smsinbox/adapters/eventstore/esdb"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// openESDB connects to EventStoreDB (or KurrentDB).
func openESDB(ctx context.Context, url string, logger *slog.Logger) (eventstore.Store, error) {
	s, err := esdb.New(ctx, url, logger)
	if err != nil {
		return nil, err
	}
	logger.Info("events in EventStoreDB")
	return s, nil
}
