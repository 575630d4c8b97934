package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

const appendSQL = `SELECT status, version, position FROM es_append_batch($1, $2, $3, $4::uuid[], $5, $6, $7, $8, $9)`

// batchArgs flattens appends into es_append_batch's arguments.
func batchArgs(reqs []*appendRequest) []any {
	streams, expected := requestArgs(reqs)
	counts := make([]int32, len(reqs))
	for i, r := range reqs {
		counts[i] = int32(len(r.args.ids))
	}
	all := joinEvents(reqs)
	return []any{streams, expected, counts, all.ids, all.types, all.versions, all.data, all.metadata, all.occurredAt}
}

// requestArgs are the requests' streams and expected versions.
func requestArgs(reqs []*appendRequest) (streams []string, expected []int64) {
	streams = make([]string, len(reqs))
	expected = make([]int64, len(reqs))
	for i, r := range reqs {
		streams[i] = string(r.stream)
		expected[i] = encodeExpected(r.expected)
	}
	return streams, expected
}

// joinEvents puts the requests' events one after the other.
func joinEvents(reqs []*appendRequest) appendArgs {
	var all appendArgs
	for _, r := range reqs {
		all.ids = append(all.ids, r.args.ids...)
		all.types = append(all.types, r.args.types...)
		all.versions = append(all.versions, r.args.versions...)
		all.data = append(all.data, r.args.data...)
		all.metadata = append(all.metadata, r.args.metadata...)
		all.occurredAt = append(all.occurredAt, r.args.occurredAt...)
	}
	return all
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// appendBatch runs es_append_batch for reqs in one statement (one
// transaction unless q is one already) and reads each request's outcome.
func (s *Store) appendBatch(ctx context.Context, q querier, reqs []*appendRequest) ([]appendOutcome, error) {
	rows, err := q.Query(ctx, appendSQL, batchArgs(reqs)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	outcomes := make([]appendOutcome, 0, len(reqs))
	for rows.Next() {
		if len(outcomes) == len(reqs) {
			return nil, errors.New("es_append_batch answered more rows than requests")
		}
		outcomes = append(outcomes, s.outcome(reqs[len(outcomes)], rows))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(outcomes) != len(reqs) {
		return nil, fmt.Errorf("es_append_batch answered %d rows for %d requests", len(outcomes), len(reqs))
	}
	return outcomes, nil
}

func (s *Store) outcome(r *appendRequest, row pgx.Row) appendOutcome {
	var status string
	var version, position int64
	if err := row.Scan(&status, &version, &position); err != nil {
		return appendOutcome{err: err}
	}
	switch status {
	case "ok", "idempotent":
		if version < 0 { // an empty append to a missing stream
			version = 0
		}
		return appendOutcome{res: eventstore.AppendResult{Version: uint64(version), Position: eventstore.Position(position)}}
	case "conflict":
		return appendOutcome{err: &eventstore.ConcurrencyError{Stream: r.stream, Expected: r.expected, Actual: version}}
	case "duplicate":
		return appendOutcome{err: fmt.Errorf("%w: an event id of this append is recorded elsewhere", eventstore.ErrDuplicateEvent)}
	default:
		return appendOutcome{err: fmt.Errorf("es_append answered %q", status)}
	}
}
