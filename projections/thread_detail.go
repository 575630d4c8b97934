package projections

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// ThreadDetail reads a thread of the company with its messages and notes,
// as Thread, Messages and Notes do, in one round trip on one connection (a
// batch of the three): opening a thread costs one wait for the database,
// not three, and takes one connection of the pool, not three in turn
// (docs/decisions/0037). A thread that is not the company's is
// ErrNotFound.
func (q Queries) ThreadDetail(ctx context.Context, companyID string, id uuid.UUID) (Thread, []Message, []Note, error) {
	var (
		t     Thread
		msgs  []Message
		notes []Note
		found error
	)
	b := &pgx.Batch{}
	b.Queue(threadSQL, companyID, id).QueryRow(func(row pgx.Row) error {
		t, found = oneThread(row, id)
		return nil // a missing thread is an answer, not a failed batch
	})
	b.Queue(messagesSQL, companyID, id).Query(func(rows pgx.Rows) error {
		var err error
		msgs, err = scanMessages(rows)
		return err
	})
	b.Queue(notesSQL, companyID, id).Query(func(rows pgx.Rows) error {
		var err error
		notes, err = scanNotes(rows)
		return err
	})
	if err := q.Pool.SendBatch(ctx, b).Close(); err != nil {
		return Thread{}, nil, nil, fmt.Errorf("read thread %s: %w", id, err)
	}
	if found != nil {
		return Thread{}, nil, nil, found
	}
	return t, msgs, notes, nil
}
