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

// ConsentVoider records, for one customer of a company that changed its
// messaging number, that the consent given on the previous number is void
// (consent.ChangeNumber at the change's time). It must be idempotent: the
// reactor may call it again for the same change after a crash.
type ConsentVoider func(ctx context.Context, change company.MessagingNumberChanged, cause eventstore.RecordedEvent, customer phone.Number) error

// ConsentNumberReactor voids every consent of a company when its messaging
// number changes: on MessagingNumberChanged it finds, in the consent read
// model, the customers whose consent is on the previous number and calls
// Void for each, so that each consent stream (and the audit) shows the
// change at its time. It runs in the projections Runner like a projector
// (its checkpoint, its lock, one instance, retries, set-aside), owns no
// table, and is not in All(): a rebuild replays read models, not reactions.
//
// Correctness does not hang on it: every consent command carries the
// company's current number and voids a stale consent itself (consent.Decide),
// and the read models compare a status's number with the company's.
type ConsentNumberReactor struct {
	Void ConsentVoider
	// MaxWait bounds the wait for the consent projector to reach the change
	// (30 s); past it Apply fails and the Runner retries.
	MaxWait time.Duration
}

// ConsentNumberReactorName is the reactor's name (checkpoint and lock).
const ConsentNumberReactorName = "consent-number-change"

func (ConsentNumberReactor) Name() string     { return ConsentNumberReactorName }
func (ConsentNumberReactor) Tables() []string { return nil }

func (r ConsentNumberReactor) Apply(ctx context.Context, tx pgx.Tx, e eventstore.RecordedEvent) error {
	if e.Type != company.TypeMessagingNumberChanged {
		return nil
	}
	ev, err := company.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	change := ev.(company.MessagingNumberChanged)
	if change.PreviousNumber == "" || change.PreviousNumber == change.MessagingNumber {
		return nil
	}
	// The consents table must hold every consent event before the change.
	if err := waitForCheckpoint(ctx, tx, Consent{}.Name(), e.Position, r.MaxWait); err != nil {
		return err
	}
	customers, err := Queries{}.ConsentCustomers(ctx, tx, change.CompanyID, string(change.PreviousNumber))
	if err != nil {
		return fmt.Errorf("customers of %s on %s: %w", change.CompanyID, change.PreviousNumber, err)
	}
	for _, c := range customers {
		if err := r.Void(ctx, change, e, phone.Number(c)); err != nil {
			return fmt.Errorf("void consent of %s with %s: %w", c, change.CompanyID, err)
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
