// Package dbtime measures where a unit of work's database time goes: how
// long it waited for pool connections and how long its statements took,
// round trips and row reading included. A request that starts a Timing
// (Start) and passes its context to pgx finds the sums there when it is
// done; the HTTP surface prints them in its Server-Timing header, so that a
// slow request says whether it queued for a connection, waited on the
// database, or neither (its time went to the Go side: scheduling, GC).
//
// The Tracer also logs, when given a threshold, every statement slower than
// it, with the pool's name: a stall inside a consumer's transaction (a
// commit that waits for the disk, a lock) shows in the log with its SQL.
package dbtime

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Timing is the database time of one unit of work, safe for concurrent use
// (a request may run statements from several goroutines).
type Timing struct {
	acquireNanos, queryNanos atomic.Int64
	acquires, queries        atomic.Int64
	mu                       sync.Mutex
	byPool                   map[string]time.Duration // acquisition time by pool name
}

type timingKey struct{}

// Start returns ctx carrying a new Timing, which every statement and
// connection acquisition run with the returned context (or one derived
// from it) adds to.
func Start(ctx context.Context) (context.Context, *Timing) {
	t := &Timing{}
	return context.WithValue(ctx, timingKey{}, t), t
}

func from(ctx context.Context) *Timing {
	t, _ := ctx.Value(timingKey{}).(*Timing)
	return t
}

// Acquire is the time spent acquiring connections, and how many.
func (t *Timing) Acquire() (time.Duration, int) {
	return time.Duration(t.acquireNanos.Load()), int(t.acquires.Load())
}

// Queries is the time spent in statements (and batches), and how many.
func (t *Timing) Queries() (time.Duration, int) {
	return time.Duration(t.queryNanos.Load()), int(t.queries.Load())
}

// ServerTiming is the timing as Server-Timing metrics: db-acquire (waits
// for a connection) and db (statements), each with its count, and the
// waits by pool (db-acquire-NAME) where there were any.
func (t *Timing) ServerTiming() string {
	a, na := t.Acquire()
	q, nq := t.Queries()
	out := fmt.Sprintf(`db-acquire;dur=%.3f;desc="%d", db;dur=%.3f;desc="%d"`, ms(a), na, ms(q), nq)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(t.byPool)) {
		out += fmt.Sprintf(", db-acquire-%s;dur=%.3f", name, ms(t.byPool[name]))
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Tracer is a pgx tracer (pgx.QueryTracer, pgx.BatchTracer and
// pgxpool.AcquireTracer) that adds to the context's Timing and logs slow
// statements. Set it as a pool's ConnConfig.Tracer; pools made from a
// copy of that configuration share it.
type Tracer struct {
	// Pool names the pool in the slow statements' log lines.
	Pool string
	// Slow, when positive, logs every statement or batch that took longer.
	Slow   time.Duration
	Logger *slog.Logger
}

var (
	_ pgx.QueryTracer       = (*Tracer)(nil)
	_ pgx.BatchTracer       = (*Tracer)(nil)
	_ pgxpool.AcquireTracer = (*Tracer)(nil)
)

// started is what a traced call's context carries from its start to its end.
type started struct {
	at  time.Time
	sql string
}

type startedKey struct{}

// begin marks the start of a call when anything will use it.
func (tr *Tracer) begin(ctx context.Context, sql string) context.Context {
	if tr.Slow <= 0 && from(ctx) == nil {
		return ctx
	}
	return context.WithValue(ctx, startedKey{}, started{at: time.Now(), sql: sql})
}

// end adds the call's time to the Timing and logs it when slow.
func (tr *Tracer) end(ctx context.Context, kind string) {
	s, ok := ctx.Value(startedKey{}).(started)
	if !ok {
		return
	}
	d := time.Since(s.at)
	if t := from(ctx); t != nil {
		t.add(kind, tr.Pool, d)
	}
	if tr.Slow > 0 && d >= tr.Slow {
		sql := head(s.sql)
		if kind == "acquire" {
			sql = "(waiting for a connection)"
		}
		tr.logger().Warn("slow database call", "pool", tr.Pool, "kind", kind, "duration", d.Round(time.Microsecond).String(), "sql", sql)
	}
}

// add counts a call of kind ("acquire", "query" or "batch") on pool.
func (t *Timing) add(kind, pool string, d time.Duration) {
	if kind != "acquire" {
		t.queryNanos.Add(int64(d))
		t.queries.Add(1)
		return
	}
	t.acquireNanos.Add(int64(d))
	t.acquires.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byPool == nil {
		t.byPool = map[string]time.Duration{}
	}
	t.byPool[pool] += d
}

func (tr *Tracer) logger() *slog.Logger {
	if tr.Logger != nil {
		return tr.Logger
	}
	return slog.Default()
}

// head is the start of a statement, on one line, for a log line.
func head(sql string) string {
	sql = strings.Join(strings.Fields(sql), " ")
	if len(sql) > 160 {
		sql = sql[:160] + "…"
	}
	return sql
}

// TraceQueryStart implements pgx.QueryTracer.
func (tr *Tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return tr.begin(ctx, data.SQL)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (tr *Tracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	tr.end(ctx, "query")
}

// TraceBatchStart implements pgx.BatchTracer.
func (tr *Tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	sql := "batch"
	if data.Batch != nil && len(data.Batch.QueuedQueries) > 0 {
		sql = fmt.Sprintf("batch of %d: %s", len(data.Batch.QueuedQueries), data.Batch.QueuedQueries[0].SQL)
	}
	return tr.begin(ctx, sql)
}

// TraceBatchQuery implements pgx.BatchTracer.
func (tr *Tracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (tr *Tracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) {
	tr.end(ctx, "batch")
}

// TraceAcquireStart implements pgxpool.AcquireTracer.
func (tr *Tracer) TraceAcquireStart(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireStartData) context.Context {
	return tr.begin(ctx, "")
}

// TraceAcquireEnd implements pgxpool.AcquireTracer.
func (tr *Tracer) TraceAcquireEnd(ctx context.Context, _ *pgxpool.Pool, _ pgxpool.TraceAcquireEndData) {
	tr.end(ctx, "acquire")
}
