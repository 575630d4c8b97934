package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// openESDB is wired to the EventStoreDB adapter once it lands.
func openESDB(ctx context.Context, url string, logger *slog.Logger) (eventstore.Store, error) {
	return nil, errors.New("EventStoreDB adapter not wired yet")
}
