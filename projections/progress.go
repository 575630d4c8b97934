package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Progress tells how far the read models are: the lowest checkpoint of the
// projectors it watches. Checkpoints live in the database, so it answers the
// same whichever server runs the projectors.
type Progress struct {
	Pool  *pgxpool.Pool
	Names []string
	// Notifier, when set (and running), wakes waiters as soon as a projector
	// commits.
	Notifier *Notifier
	// Poll is how often WaitFor looks again when nothing wakes it: 5 ms, or
	// 100 ms with a Notifier (a fallback only: every commit notifies).
	Poll time.Duration

	// waiting, when set (by this package's tests), is called each time
	// WaitFor has read the checkpoints, found them short and is about to
	// wait: a test then commits knowing the commit must wake it.
	waiting func()
}

// Changed returns a channel closed by the next projector commit (nil, never
// closed, without a Notifier). Take it before reading Position, then wait on
// it: a commit during the read is not missed.
func (p Progress) Changed() <-chan struct{} { return p.Notifier.Changed() }

// Position is the position every watched projector has reached.
func (p Progress) Position(ctx context.Context) (eventstore.Position, error) {
	var pos *int64
	var n int
	err := p.Pool.QueryRow(ctx, `SELECT min(position), count(*) FROM projection_checkpoints WHERE projector = ANY ($1)`, p.Names).Scan(&pos, &n)
	if err != nil {
		return 0, fmt.Errorf("read checkpoints: %w", err)
	}
	if pos == nil || n < len(p.Names) {
		return 0, nil
	}
	return eventstore.Position(*pos), nil
}

// WaitFor returns once every watched projector has applied position, or
// ErrBehind when ctx ends first.
func (p Progress) WaitFor(ctx context.Context, position eventstore.Position) error {
	poll := p.Poll
	switch {
	case poll > 0:
	case p.Notifier != nil:
		poll = 100 * time.Millisecond
	default:
		poll = 5 * time.Millisecond
	}
	for {
		changed := p.Changed()
		at, err := p.Position(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		if err == nil && at >= position {
			return nil
		}
		if p.waiting != nil {
			p.waiting()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: at %d, waited for %d", ErrBehind, at, position)
		case <-changed:
		case <-time.After(poll):
		}
	}
}
