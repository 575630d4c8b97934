// Package postgres is the PostgreSQL event store: the default store of
// smsinbox, and the one it embeds.
//
// Ordering. Every append takes one transaction-scoped advisory lock (the
// writers' lock) before it reads the head, and holds it until its
// transaction ends: the lean path as a statement of its own before its one
// plain statement, es_append_batch inside the function (see the event
// store's migration). A later position can therefore only be written after
// every earlier one has committed (PostgreSQL makes a transaction visible
// before it releases its locks) or rolled back (and given its positions
// back). Readers see the global log grow strictly in order, gap-free, across
// any number of processes, so a catch-up subscription that reads "position >
// checkpoint" never passes over an append still in flight and needs no gap
// timeout. The primary key on the position backs this up: no two appends can
// ever hold one position.
//
// Throughput. One lock means one commit at a time per database; each process
// therefore commits one group at a time, every append waiting in one
// transaction (one fsync for many appends, as EventStoreDB's single writer
// does), committed by one of the waiting callers (see Append). Each append
// in such a group keeps its own expected version check: one refused append
// does not refuse the others.
//
// The writer's connection. As one group commits at a time, commits need
// one connection, and they have one of their own (a pool of one beside the
// caller's pool, opened on the first append and again after it is lost):
// a commit never waits behind the readers, the projectors and the requests
// that share the caller's pool, while every append of the process waits
// behind the commit. Likewise the reads of one stream (ReadStream: what a
// command loads before it decides) have a few connections of their own
// (StreamReaders), so that a command does not queue behind the consumers
// of the log and their transactions for a read of a millisecond; the
// consumers' reads of the log stay on the caller's pool.
package postgres

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Config tunes a Store; zero values take the defaults.
type Config struct {
	// MaxBatch is how many waiting appends one transaction commits at most (128).
	MaxBatch int
	// GatherWait is how long the committer may wait for more appends once the
	// first of a group has come, when the group before held several (500 µs):
	// callers answered together come back some time apart, and without the
	// wait the first of them would commit alone (measured at concurrency 16
	// on 2 cores: 100 µs ≈ 93 % of the raw insert rate, 500 µs ≈ 110-118 %,
	// 1 ms ≈ 104-114 %). A lone caller never waits.
	GatherWait time.Duration
	// StreamReaders is how many connections of its own ReadStream uses
	// (4 per core the Go scheduler uses, at least 4): a webhook reads two
	// streams, and the callers answered by one group commit come back
	// together (traced at concurrency 16 with 4: 27 ms waiting for one).
	StreamReaders int
	// PageSize is how many events one read fetches (512).
	PageSize int
	// PollInterval is how often an idle subscription looks for events when
	// no notification woke it (1 s): a safety net, not the normal path.
	PollInterval time.Duration
	// AnnounceInterval is the least time between two announcements of new
	// events to other processes (10 ms): appends committed meanwhile share
	// one NOTIFY, so another process learns of an append at most this late
	// (the first after a quiet spell at once). Subscriptions in this process
	// are woken at once. (Measured at concurrency 1: 2 ms ≈ 72 % of the raw
	// insert rate, 50 ms ≈ 77 %: each announcement costs a round trip and
	// every listener's wake-up on the same cores.)
	AnnounceInterval time.Duration
	// Logger receives the store's logs (slog.Default()).
	Logger *slog.Logger
}

func (c *Config) setDefaults() {
	if c.MaxBatch <= 0 {
		c.MaxBatch = 128
	}
	if c.GatherWait <= 0 {
		c.GatherWait = 500 * time.Microsecond
	}
	if c.StreamReaders <= 0 {
		c.StreamReaders = max(4, 4*runtime.GOMAXPROCS(0))
	}
	if c.PageSize <= 0 {
		c.PageSize = 512
	}
	if c.PollInterval <= 0 {
		c.PollInterval = time.Second
	}
	if c.AnnounceInterval <= 0 {
		c.AnnounceInterval = 10 * time.Millisecond
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Store is an eventstore.Store on PostgreSQL.
type Store struct {
	// id names this store in its announcements (random, one per Store), so
	// that its own listener tells them from other processes'.
	id   string
	pool *pgxpool.Pool
	// writer is the commits' own connection, readers ReadStream's (see the
	// package's doc).
	writer, readers *pgxpool.Pool
	cfg             Config
	log             *slog.Logger
	// queue holds the appends waiting to be committed. Whoever holds
	// committing takes them in groups (see Append).
	queue      chan *appendRequest
	committing sync.Mutex
	freed      *signal // broadcast each time committing is released
	prev       int     // the size of the group committed last; under committing
	wake       *signal
	shared     sharedReads // the subscriptions' reads, once per wake-up
	// committed holds one token when appends committed since the last
	// announcement (see announce).
	committed chan struct{}
	runCtx    context.Context
	stop      context.CancelFunc
	done      sync.WaitGroup
	// idle, when set (by this package's tests), is told each time a
	// subscription has read everything up to its checkpoint and waits.
	idle func(checkpoint eventstore.Position)
}

var _ eventstore.Store = (*Store)(nil)

// New starts a Store on pool, whose schema `smsinbox migrate` has applied.
// The pool stays the caller's: Close stops the store, not the pool.
func New(ctx context.Context, pool *pgxpool.Pool, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := pool.Ping(ctx); err != nil {
		return nil, fmt.Errorf("event store: %w", err)
	}
	writer, err := poolBeside(ctx, pool, 1)
	if err != nil {
		return nil, fmt.Errorf("event store: the writer's connection: %w", err)
	}
	readers, err := poolBeside(ctx, pool, int32(cfg.StreamReaders))
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("event store: the stream readers' connections: %w", err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	s := &Store{
		id:        rand.Text(),
		pool:      pool,
		writer:    writer,
		readers:   readers,
		cfg:       cfg,
		log:       cfg.Logger.With("component", "eventstore.postgres"),
		queue:     make(chan *appendRequest, 4*cfg.MaxBatch),
		freed:     newSignal(),
		wake:      newSignal(),
		committed: make(chan struct{}, 1),
		runCtx:    runCtx,
		stop:      stop,
	}
	s.done.Add(2)
	go func() { defer s.done.Done(); s.listen(runCtx) }()
	go func() { defer s.done.Done(); s.announce(runCtx) }()
	return s, nil
}

// Close stops the listener and the announcer and closes the writer's
// connection once the commit under way, if any, is done. Appends after
// Close fail; appends under way finish.
func (s *Store) Close() error {
	s.stop()
	s.done.Wait()
	s.committing.Lock()
	defer s.committing.Unlock()
	s.writer.Close()
	s.readers.Close()
	return nil
}

// poolBeside opens a pool of at most n connections to pool's database, with
// its settings; it connects on first use.
func poolBeside(ctx context.Context, pool *pgxpool.Pool, n int32) (*pgxpool.Pool, error) {
	cfg := pool.Config() // a copy
	cfg.MaxConns, cfg.MinConns = n, 0
	return pgxpool.NewWithConfig(ctx, cfg)
}
