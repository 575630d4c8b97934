package projections

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// What the reactors (ConsentNumberReactor, UnassignRemovedReactor) share:
// one company event fans out to a command per customer that a read model
// names.

// companyEvent decodes e when it is the company event of type eventType;
// ok is false for any other event.
func companyEvent[E company.Event](e eventstore.RecordedEvent, eventType string) (ev E, ok bool, err error) {
	if e.Type != eventType {
		return ev, false, nil
	}
	decoded, err := company.Decode(e.Type, e.Data)
	if err != nil {
		return ev, false, err
	}
	ev, ok = decoded.(E)
	if !ok {
		return ev, false, fmt.Errorf("%s decoded as %T", e.Type, decoded)
	}
	return ev, true, nil
}

// eachCustomer waits until projector's read model holds every event up to
// e (waitForCheckpoint), lists the customers e concerns there, and acts on
// each, in order; the first failure stops it (and the Runner retries the
// whole event, so act must be idempotent).
func eachCustomer(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent, projector string, maxWait time.Duration,
	list func() ([]string, error), act func(phone.Number) error) error {
	if err := waitForCheckpoint(ctx, tx, projector, e.Position, maxWait); err != nil {
		return err
	}
	customers, err := list()
	if err != nil {
		return fmt.Errorf("customers of %s at %d: %w", e.Type, e.Position, err)
	}
	for _, c := range customers {
		if err := act(phone.Number(c)); err != nil {
			return fmt.Errorf("%s at %d, customer %s: %w", e.Type, e.Position, c, err)
		}
	}
	return nil
}

// waitForCheckpoint waits, at most maxWait (30 s when 0), until projector's
// checkpoint has reached pos, so that its read model holds every event up
// to pos; past that it fails with ErrBehind (and the Runner retries).
func waitForCheckpoint(ctx context.Context, tx pgx.Tx, projector string, pos eventstore.Position, maxWait time.Duration) error {
	if maxWait <= 0 {
		maxWait = 30 * time.Second
	}
	deadline := time.Now().Add(maxWait)
	for {
		var at int64
		err := tx.QueryRow(ctx, `SELECT position FROM projection_checkpoints WHERE projector = $1`, projector).Scan(&at)
		if err != nil && err != pgx.ErrNoRows {
			return fmt.Errorf("%s checkpoint: %w", projector, err)
		}
		if err == nil && eventstore.Position(at) >= pos {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%w: the %s projector is at %d, the event at %d", ErrBehind, projector, at, pos)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
