package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

const eventColumns = `position, event_id, stream_id, version, type, schema_version, data::text, metadata::text, occurred_at`

func scanEvent(rows pgx.Rows) (eventstore.RecordedEvent, error) {
	var e eventstore.RecordedEvent
	var stream, data, meta string
	var position, version int64
	if err := rows.Scan(&position, &e.ID, &stream, &version, &e.Type, &e.SchemaVersion, &data, &meta, &e.OccurredAt); err != nil {
		return e, err
	}
	if err := json.Unmarshal([]byte(meta), &e.Metadata); err != nil {
		return e, fmt.Errorf("metadata of event %d: %w", position, err)
	}
	e.Stream = eventstore.StreamID(stream)
	e.Version = uint64(version)
	e.Position = eventstore.Position(position)
	e.Data = []byte(data)
	e.OccurredAt = e.OccurredAt.UTC()
	return e, nil
}

// page runs one paged query and yields its events; it reports how many it
// yielded, the last position, and whether the consumer stopped.
func (s *Store) page(ctx context.Context, q querier, yield func(eventstore.RecordedEvent, error) bool, sql string, args ...any) (n int, last eventstore.Position, stopped bool) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		yield(eventstore.RecordedEvent{}, err)
		return 0, 0, true
	}
	// Events are gathered first so that no connection is held while the
	// consumer works. Most reads are short (a new conversation, a caught-up
	// subscription's wake-up): the slice grows with what comes, rather than
	// starting at a full page of 90 KiB that every read would pay for.
	var events []eventstore.RecordedEvent
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			rows.Close()
			yield(eventstore.RecordedEvent{}, err)
			return 0, 0, true
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		yield(eventstore.RecordedEvent{}, err)
		return 0, 0, true
	}
	for _, e := range events {
		if !yield(e, nil) {
			return len(events), e.Position, true
		}
		last = e.Position
	}
	return len(events), last, false
}

// ReadStream implements eventstore.Store. It reads on the stream readers'
// connections (see the package's doc).
func (s *Store) ReadStream(ctx context.Context, stream eventstore.StreamID, from uint64) iter.Seq2[eventstore.RecordedEvent, error] {
	return s.readStream(ctx, s.readers, stream, from)
}

// readStream is ReadStream on the connections of readers.
func (s *Store) readStream(ctx context.Context, readers querier, stream eventstore.StreamID, from uint64) iter.Seq2[eventstore.RecordedEvent, error] {
	const q = `SELECT ` + eventColumns + ` FROM es_events WHERE stream_id = $1 AND version >= $2 ORDER BY version LIMIT $3`
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		next := int64(from)
		for {
			n, _, stopped := s.page(ctx, readers, func(e eventstore.RecordedEvent, err error) bool {
				if err != nil {
					return yield(e, fmt.Errorf("read %s: %w", stream, err))
				}
				next = int64(e.Version) + 1
				return yield(e, nil)
			}, q, string(stream), next, s.cfg.PageSize)
			if stopped || n < s.cfg.PageSize {
				return
			}
		}
	}
}

// filterArgs turns a filter into the $2 and $3 of allSQL.
func filterArgs(f eventstore.Filter) (prefixes, types []string) {
	for _, p := range f.StreamPrefixes {
		r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
		prefixes = append(prefixes, r.Replace(p)+"%")
	}
	return prefixes, f.EventTypes
}

const allSQL = `SELECT ` + eventColumns + ` FROM es_events
 WHERE position > $1
   AND ($2::text[] IS NULL OR stream_id LIKE ANY ($2))
   AND ($3::text[] IS NULL OR type = ANY ($3))
 ORDER BY position LIMIT $4`

// readAfter yields one pass over the log after position cp, page by page,
// until a short page or until yield stops it; it returns the last position
// it yielded.
func (s *Store) readAfter(ctx context.Context, cp eventstore.Position, f eventstore.Filter, yield func(eventstore.RecordedEvent, error) bool) eventstore.Position {
	prefixes, types := filterArgs(f)
	for {
		n, last, stopped := s.page(ctx, s.pool, func(e eventstore.RecordedEvent, err error) bool {
			if err != nil {
				return yield(e, fmt.Errorf("read the global log after %d: %w", cp, err))
			}
			return yield(e, nil)
		}, allSQL, int64(cp), prefixes, types, s.cfg.PageSize)
		if n > 0 {
			cp = last
		}
		if stopped || n < s.cfg.PageSize {
			return cp
		}
	}
}

// ReadAll implements eventstore.Store.
func (s *Store) ReadAll(ctx context.Context, after eventstore.Position, f eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		s.readAfter(ctx, after, f, yield)
	}
}

// Head implements eventstore.Store.
func (s *Store) Head(ctx context.Context) (eventstore.Position, error) {
	var p int64
	if err := s.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM es_events`).Scan(&p); err != nil {
		return 0, fmt.Errorf("read the head: %w", err)
	}
	return eventstore.Position(p), nil
}
