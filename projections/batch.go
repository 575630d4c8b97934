package projections

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// BatchProjector is a Projector that can apply a run of consecutive events
// at once, set-based: it reads the rows the run touches in one round trip,
// works out their new state in memory, and writes each table with one
// statement. The read models it leaves are the ones Apply leaves when
// called for each event in order, however a log is cut into runs (the
// equivalence test holds every projector to that), so the live path and a
// rebuild may cut the log as suits them.
type BatchProjector interface {
	Projector
	// ApplyBatch applies events, which are consecutive in the log and in
	// position order, inside tx.
	ApplyBatch(ctx context.Context, tx pgx.Tx, events []eventstore.RecordedEvent) error
}

// batchFrom is the shortest run worth applying set-based. A set-based run
// reads before it writes: two round trips, where one event's own
// statements take one or two (measured: a quiet server's one-event
// messages were slower set-based).
const batchFrom = 4

// apply applies events in tx: at once when p can and the run is long
// enough to gain by it, else one at a time.
func apply(ctx context.Context, tx pgx.Tx, p Projector, events []eventstore.RecordedEvent) error {
	if bp, ok := p.(BatchProjector); ok && len(events) >= batchFrom {
		return bp.ApplyBatch(ctx, tx, events)
	}
	for _, e := range events {
		if err := p.Apply(ctx, tx, e); err != nil {
			return atEvent(e, err)
		}
	}
	return nil
}

// dbTime is t as PostgreSQL stores it (pgx sends whole microseconds), so
// that comparisons in memory answer as the database's would.
func dbTime(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// maybeTime is a nullable timestamptz column in memory.
type maybeTime struct {
	t     time.Time
	valid bool
}

// greatest is SQL's greatest() of a nullable time and a time: NULLs are
// ignored.
func (n maybeTime) greatest(t time.Time) maybeTime {
	if !n.valid || t.After(n.t) {
		return maybeTime{t: t, valid: true}
	}
	return n
}

func (n maybeTime) value() *time.Time {
	if !n.valid {
		return nil
	}
	return &n.t
}
