package sender

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// heartbeat is how often the checkpoint row is written while the sender is
// claimed here, even when its position has not moved (a text waiting for a
// callback holds it): its updated_at tells other servers' /readyz that the
// sender is alive (checkpoint.StaleAfter is a minute).
const heartbeat = 15 * time.Second

// progress keeps the sender's checkpoint: the highest position at or below
// which every queued text is done (a low-water mark). The log's handler acks
// a message as soon as its texts are in their lanes, so the checkpoint
// cannot follow the acks: it moves only past texts that are sent, failed or
// refused, or set aside; a restart delivers the others again, and each is
// looked at again from what its conversation records (which is harmless: every
// step decides on what is recorded).
//
// An epoch is one claim of the sender (the log's messages delivered under
// one lock): only the current epoch, while its claim lasts, writes the
// checkpoint. A new claim starts from the checkpoint and a new epoch; jobs of
// an ended one start nothing new.
type progress struct {
	pool   *pgxpool.Pool
	log    *slog.Logger
	signal chan struct{} // a move to write

	mu  sync.Mutex
	cur *epoch
	// written is closed, and replaced, by each write of the checkpoint.
	written chan struct{}
}

func newProgress(pool *pgxpool.Pool, log *slog.Logger) *progress {
	return &progress{pool: pool, log: log, signal: make(chan struct{}, 1), written: make(chan struct{})}
}

// checkpointed returns a channel closed by the next write of the checkpoint.
func (p *progress) checkpointed() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.written
}

// epoch is the progress of one claim.
type epoch struct {
	// ctx is a message's context of the claim: it ends when the claim does.
	ctx context.Context
	p   *progress

	mu      sync.Mutex
	pending map[eventstore.Position]struct{} // texts not done
	upTo    eventstore.Position              // every event up to it handed over
}

// epochFor is the epoch of a message delivered with context ctx: the
// current one while the claim lasts (the messages of one claim share its
// Done channel), else a new one.
func (p *progress) epochFor(ctx context.Context) *epoch {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cur == nil || p.cur.ctx.Done() != ctx.Done() {
		p.cur = &epoch{ctx: ctx, p: p, pending: map[eventstore.Position]struct{}{}}
	}
	return p.cur
}

func (e *epoch) has(pos eventstore.Position) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.pending[pos]
	return ok
}

// add counts the text queued at pos as not done.
func (e *epoch) add(pos eventstore.Position) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pending[pos] = struct{}{}
}

// finish counts the text queued at pos as done.
func (e *epoch) finish(pos eventstore.Position) {
	e.mu.Lock()
	delete(e.pending, pos)
	e.mu.Unlock()
	e.p.poke()
}

// seen records that every event up to pos was handed over.
func (e *epoch) seen(pos eventstore.Position) {
	e.mu.Lock()
	e.upTo = max(e.upTo, pos)
	e.mu.Unlock()
	e.p.poke()
}

// lowWater is the position the checkpoint may move to: just below the
// oldest text not done, else the last event handed over.
func (e *epoch) lowWater() eventstore.Position {
	e.mu.Lock()
	defer e.mu.Unlock()
	lw := e.upTo
	for pos := range e.pending {
		lw = min(lw, pos-1)
	}
	return lw
}

func (p *progress) poke() {
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

// run writes the checkpoint whenever it may move, and at every heartbeat,
// until stop is closed.
func (p *progress) run(stop <-chan struct{}) {
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-p.signal:
		case <-tick.C:
		case <-stop:
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		p.flush(ctx)
		cancel()
	}
}

// flush writes the current epoch's low-water mark, while its claim lasts.
// A failure is logged; the next move or heartbeat writes it again.
func (p *progress) flush(ctx context.Context) {
	p.mu.Lock()
	e := p.cur
	p.mu.Unlock()
	if e == nil || e.ctx.Err() != nil {
		return
	}
	lw := e.lowWater()
	if err := checkpoint.Pass(ctx, p.pool, Name, lw); err != nil {
		if ctx.Err() == nil {
			p.log.Warn("the sender's checkpoint could not be written; trying again at its next move", "position", lw, "err", err)
		}
		return
	}
	p.mu.Lock()
	close(p.written)
	p.written = make(chan struct{})
	p.mu.Unlock()
}
