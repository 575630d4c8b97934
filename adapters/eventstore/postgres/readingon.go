package postgres

import (
	"context"
	"iter"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ReadingOn is the store with its stream reads on pool's connections
// instead of its own stream readers', everything else unchanged. The
// stream readers serve the commands (a webhook reads two streams); a
// caller that must not queue behind them, such as sign-in, which reads a
// company's stream on every request, reads on a pool of its own. pool must
// be on the store's database.
func (s *Store) ReadingOn(pool *pgxpool.Pool) eventstore.Store {
	return &readingOn{Store: s, readers: pool}
}

type readingOn struct {
	*Store
	readers *pgxpool.Pool
}

func (r *readingOn) ReadStream(ctx context.Context, stream eventstore.StreamID, from uint64) iter.Seq2[eventstore.RecordedEvent, error] {
	return r.readStream(ctx, r.readers, stream, from)
}
