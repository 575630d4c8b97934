package checkpoint

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Execer runs a statement: a pool, a connection or a transaction.
type Execer interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Pass moves the consumer name's checkpoint to pos, unless it stands there
// or past it already (a checkpoint never moves back but by a rebuild).
func Pass(ctx context.Context, db Execer, name string, pos eventstore.Position) error {
	if _, err := db.Exec(ctx, `UPDATE projection_checkpoints SET position = greatest(position, $2), updated_at = now() WHERE projector = $1`,
		name, int64(pos)); err != nil {
		return fmt.Errorf("checkpoint of %s: %w", name, err)
	}
	return nil
}

// SetAside records in projection_poison that the consumer name gave up on
// the event e, and why: an operator fixes the cause and then rebuilds the
// projector (or, for the sender, queues the text again). Recording it
// twice keeps the first.
func SetAside(ctx context.Context, db Execer, name string, e eventstore.RecordedEvent, reason error) error {
	if _, err := db.Exec(ctx, `INSERT INTO projection_poison (projector, position, event_id, type, reason)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, name, int64(e.Position), e.ID, e.Type, reason.Error()); err != nil {
		return fmt.Errorf("set aside %d for %s: %w", e.Position, name, err)
	}
	return nil
}
