package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// openStore opens a pool of its own on the database at url and a Store on
// it, as a process would; both close when the test ends.
func openStore(t *testing.T, url string, cfg Config) (*pgxpool.Pool, *Store) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(context.Background(), pool, cfg)
	if err != nil {
		pool.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(); pool.Close() })
	return pool, s
}

func groupEvent() eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "Noted", SchemaVersion: 1, Data: []byte(`{}`), OccurredAt: time.Now()}
}

// TestCommitGroup commits groups as the writer does, on the lean path and
// through es_append_batch, and checks every request's own outcome.
func TestCommitGroup(t *testing.T) {
	pool, s := openStore(t, pgtest.NewDatabase(t), Config{})
	ctx := context.Background()
	seed := groupEvent()
	if _, err := s.Append(ctx, "seed", eventstore.NoStream(), seed, groupEvent()); err != nil {
		t.Fatal(err)
	}
	// seed holds versions 0..1 at positions 1..2.

	type want struct {
		version  uint64
		position eventstore.Position
		err      error
	}
	tests := []struct {
		name   string
		stream []eventstore.StreamID
		expect []eventstore.ExpectedVersion
		events [][]eventstore.EventData
		want   []want
	}{
		{
			name:   "lean: distinct streams, every expectation holds",
			stream: []eventstore.StreamID{"a", "seed", "b"},
			expect: []eventstore.ExpectedVersion{eventstore.NoStream(), eventstore.Exact(1), eventstore.Any()},
			events: [][]eventstore.EventData{{groupEvent(), groupEvent()}, {groupEvent()}, {groupEvent()}},
			want:   []want{{version: 1, position: 4}, {version: 2, position: 5}, {version: 0, position: 6}},
		},
		{
			name:   "one conflict refuses only its own request",
			stream: []eventstore.StreamID{"c", "seed", "d"},
			expect: []eventstore.ExpectedVersion{eventstore.Any(), eventstore.Exact(0), eventstore.StreamExists()},
			events: [][]eventstore.EventData{{groupEvent()}, {groupEvent()}, {groupEvent()}},
			want:   []want{{version: 0, position: 7}, {err: eventstore.ErrConcurrency}, {err: eventstore.ErrConcurrency}},
		},
		{
			name:   "a recorded event id: a retry in its stream, a duplicate elsewhere",
			stream: []eventstore.StreamID{"seed", "e", "f"},
			expect: []eventstore.ExpectedVersion{eventstore.Any(), eventstore.Any(), eventstore.Any()},
			events: [][]eventstore.EventData{{seed}, {groupEvent()}, {seed}},
			want:   []want{{version: 0, position: 1}, {version: 0, position: 8}, {err: eventstore.ErrDuplicateEvent}},
		},
		{
			name:   "one stream twice in a group keeps the order",
			stream: []eventstore.StreamID{"g", "g"},
			expect: []eventstore.ExpectedVersion{eventstore.NoStream(), eventstore.Exact(0)},
			events: [][]eventstore.EventData{{groupEvent()}, {groupEvent()}},
			want:   []want{{version: 0, position: 9}, {version: 1, position: 10}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs := make([]*appendRequest, len(tt.stream))
			for i := range reqs {
				args, err := encodeEvents(tt.events[i])
				if err != nil {
					t.Fatal(err)
				}
				reqs[i] = &appendRequest{ctx: ctx, stream: tt.stream[i], expected: tt.expect[i], args: args, result: make(chan appendOutcome, 1)}
			}
			s.commit(ctx, reqs)
			for i, r := range reqs {
				out := <-r.result
				w := tt.want[i]
				if w.err != nil {
					if !errors.Is(out.err, w.err) {
						t.Errorf("request %d: err %v, want %v", i, out.err, w.err)
					}
					continue
				}
				if out.err != nil {
					t.Errorf("request %d: %v", i, out.err)
					continue
				}
				if out.res.Version != w.version || out.res.Position != w.position {
					t.Errorf("request %d: version %d position %d, want %d and %d", i, out.res.Version, out.res.Position, w.version, w.position)
				}
			}
		})
	}

	// The log holds each event once, gap-free.
	var n, maxPos int64
	if err := pool.QueryRow(ctx, `SELECT count(*), max(position) FROM es_events`).Scan(&n, &maxPos); err != nil {
		t.Fatal(err)
	}
	if n != 10 || maxPos != 10 {
		t.Errorf("log holds %d events up to position %d, want 10 and 10", n, maxPos)
	}
}

// TestLockedPathMeetsLeanInFlight: a lean append in flight (another
// process's, holding the writers' lock) makes a group on the locked path
// (es_append_batch) wait; once it commits, the group follows it, nothing
// refused, positions without a gap.
func TestLockedPathMeetsLeanInFlight(t *testing.T) {
	pool, s := openStore(t, pgtest.NewDatabase(t), Config{})
	ctx := context.Background()

	// Another process's lean append, in flight at position 1.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	held, err := encodeEvents([]eventstore.EventData{groupEvent()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, lockSQL); err != nil {
		t.Fatal(err)
	}
	var versions []int64
	var head, inserted int64
	if err := tx.QueryRow(ctx, leanOneSQL, "lean", int64(-1), held.ids[0], held.types[0], held.versions[0], held.data[0], held.metadata[0], held.occurredAt[0]).
		Scan(&versions, &head, &inserted); err != nil || inserted != 1 || head != 0 {
		t.Fatalf("held lean append: inserted %d after head %d, err %v", inserted, head, err)
	}

	// Two appends to one stream, on the locked path (the lean path cannot
	// take them together).
	reqs := make([]*appendRequest, 2)
	for i := range reqs {
		args, err := encodeEvents([]eventstore.EventData{groupEvent()})
		if err != nil {
			t.Fatal(err)
		}
		reqs[i] = &appendRequest{ctx: ctx, stream: "locked", expected: eventstore.Any(), args: args}
	}
	type answer struct {
		outs []appendOutcome
		err  error
	}
	// The batch runs on a connection of its own, so that the test knows
	// its session: the one that must come to wait for the lean append's.
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	batchPID, holderPID := conn.Conn().PgConn().PID(), tx.Conn().PgConn().PID()
	done := make(chan answer)
	go func() {
		outs, err := s.appendBatch(ctx, conn, reqs)
		done <- answer{outs, err}
	}()
	// The locked path waits on a lock the lean append holds: the batch's
	// session is blocked by the lean append's, and the batch has not
	// answered.
	for blocked := false; !blocked; {
		select {
		case <-done:
			t.Fatal("the locked path did not wait for the lean append in flight")
		default:
		}
		if err := pool.QueryRow(ctx, `SELECT $2::int = ANY (pg_blocking_pids($1))`, batchPID, holderPID).Scan(&blocked); err != nil {
			t.Fatal(err)
		}
		// PostgreSQL tells nobody that a session started to wait for a
		// lock, so pg_blocking_pids is asked again at once: each round trip
		// paces the poll, and the condition itself is the signal.
	}
	select {
	case <-done:
		t.Fatal("the locked path did not wait for the lean append in flight")
	default:
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	got := <-done
	if got.err != nil {
		t.Fatalf("locked path: %v", got.err)
	}
	for i, out := range got.outs {
		if out.err != nil {
			t.Fatalf("request %d: %v", i, out.err)
		}
		if want := eventstore.Position(i + 2); out.res.Position != want || out.res.Version != uint64(i) {
			t.Errorf("request %d: position %d version %d, want %d and %d", i, out.res.Position, out.res.Version, want, i)
		}
	}
}
