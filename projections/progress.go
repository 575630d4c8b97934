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
// same whichever server runs the projectors. Pool may be a streaming replica
// of the projectors' database: its copy of the checkpoints moves in the same
// replayed transactions as its copy of the read models, so a position
// reached there is a position its read models show.
type Progress struct {
	Pool  *pgxpool.Pool
	Names []string
	// Notifier, when set (and running), wakes waiters as soon as a projector
	// commits. Leave it nil on a hot standby: it delivers no notifications.
	Notifier *Notifier
	// Poll, when set, is how often WaitFor looks again when nothing wakes
	// it. Unset: every 100 ms with a Notifier (a fallback only: every
	// commit notifies); without one, after 5 ms, then twice as long each
	// time up to 100 ms, so that a short lag is seen at once and a long one
	// costs few queries.
	Poll time.Duration

	// waiting, when set (by this package's tests), is called each time
	// WaitFor has read the checkpoints, found them short and is about to
	// wait: a test then commits knowing the commit must wake it.
	waiting func()
}

// ReadModelNames are the names of the projectors of All(): the read models
// that X-Min-Position waits for.
func ReadModelNames() []string {
	var names []string
	for _, p := range All() {
		names = append(names, p.Name())
	}
	return names
}

// Polling pace of WaitFor without a Notifier (Progress.Poll unset).
const (
	firstPoll = 5 * time.Millisecond
	maxPoll   = 100 * time.Millisecond
)

// Changed returns a channel closed by the next projector commit (nil, never
// closed, without a Notifier). Take it before reading Position, then wait on
// it: a commit during the read is not missed.
func (p Progress) Changed() <-chan struct{} { return p.Notifier.Changed() }

// Stopped returns a channel closed once the Notifier has stopped for good
// (nil, never closed, without one): waits can then no longer be woken.
func (p Progress) Stopped() <-chan struct{} { return p.Notifier.Stopped() }

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
	poll, backoff := p.Poll, false
	switch {
	case poll > 0:
	case p.Notifier != nil:
		poll = maxPoll
	default:
		poll, backoff = firstPoll, true
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
			if backoff {
				poll = min(2*poll, maxPoll)
			}
		}
	}
}
