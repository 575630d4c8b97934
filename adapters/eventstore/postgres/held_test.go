package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/adapters/eventstore/contract"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// AppendHeldOpen appends in a transaction that it leaves open, for the
// contract suite's late-commit case: it shows that no subscriber passes over
// an append in flight. It bypasses the writer, as another process would.
func (s *Store) AppendHeldOpen(ctx context.Context, stream eventstore.StreamID, events ...eventstore.EventData) (contract.HeldAppend, error) {
	args, err := encodeEvents(events)
	if err != nil {
		return nil, err
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	r := &appendRequest{stream: stream, expected: eventstore.Any(), args: args}
	out, err := s.appendBatch(ctx, tx, []*appendRequest{r})
	if err == nil {
		err = out[0].err
	}
	if err != nil {
		_ = tx.Rollback(ctx)
		return nil, fmt.Errorf("held append to %s: %w", stream, err)
	}
	return heldAppend{tx}, nil
}

type heldAppend struct{ tx pgx.Tx }

func (h heldAppend) Commit(ctx context.Context) error   { return h.tx.Commit(ctx) }
func (h heldAppend) Rollback(ctx context.Context) error { return h.tx.Rollback(ctx) }
