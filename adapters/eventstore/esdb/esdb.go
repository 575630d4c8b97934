// Package esdb is the EventStoreDB (KurrentDB) adapter of eventstore.Store,
// built on the official gRPC client, EventStore-Client-Go v4.
//
// # Mapping
//
// An eventstore stream is an EventStoreDB stream of the same name, and a
// stream version is the event's stream revision (both count from 0).
//
// A Position is the event's commit position in $all plus one:
//
//	eventstore.Position = commit position + 1
//
// so that eventstore.Start (0) lies before every event, even one at commit
// position 0. Reading "after" Position p resumes after the event whose commit
// position is p-1 (EventStoreDB gives each event of an append its own commit
// position, equal to its prepare position; positions are strictly increasing
// but not contiguous, being byte offsets in the transaction log).
//
// An event's ID is the EventStoreDB event ID, its Type the event type, its
// Data the event's data (content type JSON), returned byte for byte. The
// Metadata, SchemaVersion and OccurredAt (RFC 3339, truncated to the
// microsecond, UTC) travel as the event's JSON metadata:
//
//	{"correlation_id":…, "causation_id":…, "actor":…, "schema_version":…, "occurred_at":…}
//
// Events whose type begins with "$" are EventStoreDB's system events:
// ReadAll, Subscribe and Head skip them.
//
// # Behaviour against EventStoreDB
//
// Expected versions map to esdb.Any, esdb.NoStream, esdb.StreamExists and
// esdb.Revision. A WrongExpectedVersion answer becomes an
// *eventstore.ConcurrencyError whose Actual is read from the stream (the
// client does not expose the server's figure), or, when the refused append
// repeats part of a recorded one, an error wrapping
// eventstore.ErrDuplicateEvent. A retried append is recognised by the server
// from its event IDs; the server then answers without a position, and the
// adapter reads the original position back from the stream.
//
// Subscribe is a catch-up subscription to $all with a server-side filter (on
// stream prefixes when the Filter has any, else on event types, else one that
// excludes system events) and always Filter.Match on the client. When the
// subscription drops it subscribes again after the last event it received.
// ReadAll pages through $all and filters on the client (the v4 client offers
// no filtered read), stopping at the head it saw when it began.
//
// The v4 client stops for good when it cannot rediscover its node after a
// connection failure; the Store then replaces it with a fresh one, so that
// it outlives server restarts.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// pageSize is how many events one read request asks for.
const pageSize = 256

// drainTimeout bounds how long Close waits for calls in flight.
const drainTimeout = 5 * time.Second

// ErrClosed is returned by every call on a closed Store.
var ErrClosed = errors.New("esdb: store is closed")

// Store is an eventstore.Store backed by EventStoreDB. It is safe for
// concurrent use.
type Store struct {
	logger *slog.Logger
	config esdb.Configuration // to make a fresh client after a failed one

	// life ends when the store closes; every call's context ends with it.
	life context.Context
	stop context.CancelFunc

	mu       sync.Mutex
	closed   bool
	current  *generation
	disposal sync.WaitGroup
}

var _ eventstore.Store = (*Store)(nil)

// New connects to the EventStoreDB node at url ("esdb://host:2113?tls=false",
// "esdb+discover://…", or the same with kurrentdb:// or kurrentdb+discover://)
// and checks that it answers a read of $all within ctx.
func New(ctx context.Context, url string, logger *slog.Logger) (*Store, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	config, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	config.Logger = clientLogger(logger.With("component", "esdb-client"))
	life, stop := context.WithCancel(context.Background())
	s := &Store{logger: logger, config: *config, life: life, stop: stop}
	if s.current, err = s.newGeneration(); err != nil {
		stop()
		return nil, err
	}
	if _, _, err := s.lastPosition(ctx, false); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("esdb: connect to %s: %w", nodes(config), err)
	}
	return s, nil
}

// parseURL accepts EventStoreDB's and KurrentDB's connection strings; the v4
// client knows only the esdb schemes.
func parseURL(raw string) (*esdb.Configuration, error) {
	lower := strings.ToLower(raw)
	for _, m := range []struct{ from, to string }{
		{"kurrentdb+discover://", "esdb+discover://"},
		{"kurrentdb://", "esdb://"},
		{"kurrent+discover://", "esdb+discover://"},
		{"kurrent://", "esdb://"},
	} {
		if strings.HasPrefix(lower, m.from) {
			raw = m.to + raw[len(m.from):]
			break
		}
	}
	config, err := esdb.ParseConnectionString(raw)
	if err != nil {
		// url.Error repeats the connection string, and with it any password.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("esdb: invalid connection string: %w", err)
	}
	return config, nil
}

// nodes names the node or the gossip seeds a configuration connects to.
func nodes(c *esdb.Configuration) string {
	if c.Address != "" {
		return c.Address
	}
	seeds := make([]string, len(c.GossipSeeds))
	for i, e := range c.GossipSeeds {
		seeds[i] = e.String()
	}
	return strings.Join(seeds, ",")
}

// clientLogger sends the client's own log lines to slog. The client logs
// every cancelled call and dropped subscription as an error; the adapter
// reports real failures itself, so the client's errors and warnings are
// logged at Info and the rest at Debug.
func clientLogger(logger *slog.Logger) esdb.LoggingFunc {
	return func(level esdb.LogLevel, format string, args ...any) {
		lvl := slog.LevelDebug
		if level == esdb.LogWarn || level == esdb.LogError {
			lvl = slog.LevelInfo
		}
		if !logger.Enabled(context.Background(), lvl) {
			return
		}
		logger.Log(context.Background(), lvl, fmt.Sprintf(format, args...), "client_level", level)
	}
}

// Close ends every call and subscription of the store and releases its
// connections.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	g := s.current
	s.mu.Unlock()
	s.stop()
	s.dispose(g)
	done := make(chan struct{})
	go func() { s.disposal.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		s.logger.Warn("esdb: calls still in flight after close; their client is released when they end")
	}
	return nil
}

// A generation is one esdb.Client and the calls running on it. The client
// may only be closed when no call runs on it: it panics on a call that
// overlaps its Close.
type generation struct {
	client  *esdb.Client
	mu      sync.Mutex
	calls   int
	retired bool
	idle    chan struct{} // closed when retired with no call left
}

func (s *Store) newGeneration() (*generation, error) {
	config := s.config
	client, err := esdb.NewClient(&config)
	if err != nil {
		return nil, fmt.Errorf("esdb: new client: %w", err)
	}
	return &generation{client: client, idle: make(chan struct{})}, nil
}

// acquire returns the current client, counted as in use until release.
func (s *Store) acquire() (*generation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	g := s.current
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	return g, nil
}

func (g *generation) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls--
	if g.retired && g.calls == 0 {
		close(g.idle)
	}
}

// dispose closes a generation's client once its calls have ended.
func (s *Store) dispose(g *generation) {
	g.mu.Lock()
	g.retired = true
	if g.calls == 0 {
		close(g.idle)
	}
	g.mu.Unlock()
	s.disposal.Add(1)
	go func() {
		defer s.disposal.Done()
		<-g.idle
		_ = g.client.Close()
	}()
}

// replace puts a fresh client in place of one that has stopped for good.
func (s *Store) replace(failed *generation) {
	s.mu.Lock()
	if s.closed || s.current != failed {
		s.mu.Unlock()
		return
	}
	g, err := s.newGeneration()
	if err != nil {
		s.mu.Unlock()
		s.logger.Error("esdb: cannot replace the failed client", "err", err)
		return
	}
	s.current = g
	s.mu.Unlock()
	s.logger.Warn("esdb: the client lost its node for good; a new client will reconnect")
	s.dispose(failed)
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// withLife returns a context that ends with ctx or when the store closes.
func (s *Store) withLife(ctx context.Context) (context.Context, context.CancelFunc) {
	c, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.life, cancel)
	return c, func() { stop(); cancel() }
}

// call runs fn with the current client. It runs fn in a goroutine of its own
// so that ctx is honoured even when the client blocks (it can, when it loses
// its node), and retries once on a fresh client when the current one has
// stopped for good (nothing was sent then).
func call[T any](ctx context.Context, s *Store, fn func(context.Context, *esdb.Client) (T, error)) (T, error) {
	var zero T
	for attempt := 0; ; attempt++ {
		g, err := s.acquire()
		if err != nil {
			return zero, err
		}
		cctx, cancel := s.withLife(ctx)
		type result struct {
			v   T
			err error
		}
		done := make(chan result, 1)
		go func() {
			defer g.release()
			v, err := fn(cctx, g.client)
			done <- result{v, err}
		}()
		select {
		case r := <-done:
			cancel()
			if hasCode(r.err, esdb.ErrorCodeConnectionClosed) && !s.isClosed() {
				s.replace(g)
				if attempt == 0 {
					continue
				}
			}
			return r.v, r.err
		case <-cctx.Done():
			cancel()
			if err := ctx.Err(); err != nil {
				return zero, err
			}
			return zero, ErrClosed
		}
	}
}

func hasCode(err error, code esdb.ErrorCode) bool {
	var e *esdb.Error
	return errors.As(err, &e) && e.Code() == code
}
