package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// TestReadingOnReadsWhileTheStreamReadersAreTaken: a store ReadingOn a pool
// of the caller's reads streams there, so sign-in does not queue behind
// the commands that hold every stream reader's connection.
func TestReadingOnReadsWhileTheStreamReadersAreTaken(t *testing.T) {
	s, release := storeOnTakenPool(t)
	release()
	ctx := context.Background()
	within(t, "the append", func() error {
		_, err := s.Append(ctx, "company-x", eventstore.NoStream(), groupEvent(), groupEvent())
		return err
	})
	for range s.readers.Config().MaxConns {
		c, err := s.readers.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Release()
	}
	own, err := pgxpool.NewWithConfig(ctx, s.pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer own.Close()
	within(t, "the read on the caller's pool", func() error {
		got := 0
		for _, err := range s.ReadingOn(own).ReadStream(ctx, "company-x", 1) {
			if err != nil {
				return err
			}
			got++
		}
		if got != 1 {
			t.Errorf("read %d events from version 1, want 1", got)
		}
		return nil
	})
}
