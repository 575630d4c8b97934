package projections

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/transient"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ReadModelsTopic names the Runner's one reader of the log, which feeds
// every projector (not the reactors): its subscription's topic, and the
// name its commits notify with.
const ReadModelsTopic = "read-models"

// reader is one subscription of the Runner to the log: its topic, and the
// members it feeds (every projector; or one reactor, under its own name).
type reader struct {
	topic   string
	members []Projector
}

// alone is a reader of p only.
func alone(p Projector) reader { return reader{topic: p.Name(), members: []Projector{p}} }

func (rd reader) names() []string {
	names := make([]string, len(rd.members))
	for i, p := range rd.members {
		names[i] = p.Name()
	}
	return names
}

// interest is what the reader delivers: the events of a type that one of
// its members handles, when every member is Selective; nil (every event)
// when one is not. The projectors of All() are not: nearly every page has
// something for one of them, and a list of types beside each Apply would be
// one more thing to keep in step for nothing.
func (rd reader) interest() func(eventstore.RecordedEvent) bool {
	sel := make([]Selective, len(rd.members))
	for i, p := range rd.members {
		s, ok := p.(Selective)
		if !ok {
			return nil
		}
		sel[i] = s
	}
	return func(e eventstore.RecordedEvent) bool {
		for _, s := range sel {
			if s.Handles(e.Type) {
				return true
			}
		}
		return false
	}
}

// applyPage applies a page of the log (consecutive events, the reader's
// message) to every member of rd in one transaction: each projector's
// checkpoint row is locked and read at the start, each applies the events
// past its own checkpoint (a projector behind the others, one added or
// rebuilt, catches up; the others skip what they hold), and every
// checkpoint that moved moves in the same transaction, with one
// notification. It returns, by projector, the events each applied.
//
// A projector that fails (not the database: transient) must not set back
// the others, nor leave a half-applied page behind: the transaction is
// rolled back whole, and the page is applied again with each projector in
// a transaction of its own (as before one reader), so
// that the others commit and the failing one keeps its checkpoint. The
// error then names the failing projectors (failures), so that the caller
// retries, and at last sets aside, only their events. Failures are rare:
// the common page pays for no savepoints.
func applyPage(ctx context.Context, pool *pgxpool.Pool, rd reader, after eventstore.Position, events []eventstore.RecordedEvent) (map[string][]eventstore.RecordedEvent, error) {
	applied, err := applyTogether(ctx, pool, rd, after, events)
	var failed *memberFailure
	if !errors.As(err, &failed) {
		return applied, err
	}
	if len(rd.members) == 1 {
		return nil, failures{failed.name: failed.err} // alone already
	}
	ps := rd.members
	applied = map[string][]eventstore.RecordedEvent{}
	fails := failures{}
	for _, p := range ps {
		done, err := applyTogether(ctx, pool, alone(p), after, events)
		var failed *memberFailure
		switch {
		case err == nil:
			applied[p.Name()] = done[p.Name()]
		case errors.As(err, &failed):
			fails[p.Name()] = failed.err
		default:
			return applied, err // the database, not the page: it comes again
		}
	}
	if len(fails) == 0 {
		// It failed together and not alone (the failure went with a
		// moment, not with the events): each projector has committed the
		// page on its own, and it is done.
		return applied, nil
	}
	return applied, fails
}

// applyTogether is applyPage's one transaction. A projector that fails in
// it comes back as a *memberFailure (the transaction rolled back).
//
// Read models can be rebuilt from the log, so their commits need not wait
// for the disk: a crash loses the last few pages and their checkpoints
// together, and the projectors apply them again. That holds only if the
// log is read again from the checkpoints the crash left, and not on from
// where the reader had got to: after is where the reader has delivered up
// to, every member's checkpoint stands there or past it (a member behind
// the others is caught up by the first pages from the lowest checkpoint),
// and a checkpoint behind it refuses the page (a transient failure:
// eventstream.After says how it mends).
func applyTogether(ctx context.Context, pool *pgxpool.Pool, rd reader, after eventstore.Position, events []eventstore.RecordedEvent) (map[string][]eventstore.RecordedEvent, error) {
	ps, names := rd.members, rd.names()
	tx, err := pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// The commit setting and the checkpoints, in one round trip.
	cps := make(map[string]eventstore.Position, len(ps))
	start := &pgx.Batch{}
	start.Queue(`SET LOCAL synchronous_commit = off`)
	start.Queue(`SELECT projector, position FROM projection_checkpoints WHERE projector = ANY ($1) ORDER BY projector FOR UPDATE`, names).Query(func(rows pgx.Rows) error {
		var name string
		var pos int64
		_, err := pgx.ForEachRow(rows, []any{&name, &pos}, func() error {
			cps[name] = eventstore.Position(pos)
			return nil
		})
		return err
	})
	if err := tx.SendBatch(ctx, start).Close(); err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	applied := map[string][]eventstore.RecordedEvent{}
	moved := &checkpointMoves{}
	// Together, the projectors' writes wait for the page's end and go in
	// its last round trip (deferredTx); alone, each runs at once, so that
	// a failure names its projector and event.
	w := tx
	if len(ps) > 1 {
		w = &deferredTx{Tx: tx}
	}
	for _, p := range ps {
		cp, ok := cps[p.Name()]
		if !ok {
			return nil, fmt.Errorf("%s has no checkpoint row", p.Name())
		}
		// Every projector stands at or past where the reader has
		// delivered: one behind it lost a commit (applyTogether's doc says more).
		if cp < after {
			return nil, transient.Mark(fmt.Errorf("%s: checkpoint at %d, behind the %d this page follows: a commit was lost; the log must be read again from the checkpoints", p.Name(), cp, after))
		}
		todo := pastCheckpoint(events, cp)
		if len(todo) == 0 {
			continue
		}
		if err := applyGuarded(ctx, w, p, todo); err != nil {
			if ctx.Err() != nil || transient.Is(err) {
				return nil, fmt.Errorf("%s: %w", p.Name(), err)
			}
			return nil, &memberFailure{name: p.Name(), err: err}
		}
		applied[p.Name()] = todo
		moved.add(p.Name(), todo[len(todo)-1].Position)
	}
	if len(moved.names) == 0 {
		return nil, nil
	}
	// The checkpoints and the notification, in one round trip. PostgreSQL
	// delivers the notification when (and only if) the transaction
	// commits, so a listener that wakes reads the changes (Notifier).
	batch := &pgx.Batch{}
	batch.Queue(`UPDATE projection_checkpoints c SET position = m.position, updated_at = now()
		FROM unnest($1::text[], $2::bigint[]) AS m(projector, position) WHERE c.projector = m.projector`, moved.names, moved.positions)
	batch.Queue(`SELECT pg_notify($1, $2)`, NotifyChannel, notifyPayload(rd.topic, moved.last))
	if err := w.SendBatch(ctx, batch).Close(); err != nil {
		if _, held := w.(*deferredTx); held && ctx.Err() == nil && !transient.Is(err) {
			// A held statement of some projector failed: applyPage
			// applies the page again with each alone, which names it.
			return nil, &memberFailure{name: rd.topic, err: err}
		}
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	return applied, tx.Commit(ctx)
}

// applyGuarded is apply, with a panic of the projector turned into its
// failure: the others must not go down with it (a panic was the Recoverer
// middleware's to catch when each projector had a handler of its own).
func applyGuarded(ctx context.Context, tx pgx.Tx, p Projector, events []eventstore.RecordedEvent) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
		}
	}()
	return apply(ctx, tx, p, events)
}

// pastCheckpoint is the tail of events after cp.
func pastCheckpoint(events []eventstore.RecordedEvent, cp eventstore.Position) []eventstore.RecordedEvent {
	i := sort.Search(len(events), func(i int) bool { return events[i].Position > cp })
	return events[i:]
}

// checkpointMoves are the checkpoints a page moves, as the arrays of one
// UPDATE.
type checkpointMoves struct {
	names     []string
	positions []int64
	last      eventstore.Position
}

func (m *checkpointMoves) add(name string, to eventstore.Position) {
	m.names = append(m.names, name)
	m.positions = append(m.positions, int64(to))
	m.last = max(m.last, to)
}

// memberFailure is a projector that failed inside the shared transaction.
type memberFailure struct {
	name string
	err  error
}

func (f *memberFailure) Error() string { return f.name + ": " + f.err.Error() }
func (f *memberFailure) Unwrap() error { return f.err }

// failures are the projectors that failed on a page, each in a
// transaction of its own, while the others committed it.
type failures map[string]error

func (f failures) Error() string {
	names := make([]string, 0, len(f))
	for n := range f {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + ": " + f[n].Error()
	}
	return strings.Join(parts, "; ")
}
