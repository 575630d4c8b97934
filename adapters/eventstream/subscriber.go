// Package eventstream is a Watermill Subscriber over the event store's own
// global log: each topic is one reader (the projectors' shared one, a
// reactor, the sender) that resumes after its checkpoint and receives every
// event, in position order, in messages that each hold the consecutive
// events available at the time.
// There is no second publish beside the append: what a consumer receives is
// what the store committed, in the store's order.
//
// A subscription is supervised: when its claim is lost or the log cannot be
// read (the database restarted, a connection dropped), it releases what it
// holds, waits (with backoff) and claims the topic again, resuming from the
// checkpoint, for as long as the subscription lasts. Its channel closes only
// when the caller's context ends or the subscriber closes, so a Watermill
// router never sees its consumers vanish.
package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Metadata keys of the messages this subscriber emits.
const (
	KeyFirstPosition = "first_position"
	KeyLastPosition  = "last_position"
	KeyCount         = "events"
	// KeyAfter is the position this subscription had delivered up to, and
	// its consumer acked, when it delivered the message (the claim's
	// checkpoint, for its first): the consumer's checkpoint should stand
	// there. One that stands before it lost a commit (After). Events the
	// subscription read past it and did not deliver (none of them was of
	// interest: Config.Interest) lie between it and the message's first
	// event; the consumer's checkpoint, moved to the message's end, passes
	// them with the rest.
	KeyAfter = "after"
)

// Claim is called before a topic is streamed. It blocks until this process
// may consume the topic (holds its lock, or every lock of the projectors a
// shared topic feeds, so that one instance runs it when several servers
// share a database) and returns the checkpoint to resume after, a context
// that ends if the claim is lost, and a release function.
type Claim func(ctx context.Context, topic string) (after eventstore.Position, claimed context.Context, release func(), err error)

// Config configures a Subscriber.
type Config struct {
	Store eventstore.Store
	Claim Claim
	// Filter narrows what every topic receives (all events by default).
	Filter eventstore.Filter
	// RedeliveryDelay is the pause before a nacked message comes again
	// (100 ms); it doubles with each nack of the same message, up to
	// MaxDelay.
	RedeliveryDelay time.Duration
	// ClaimBackoff is the pause before a subscription that ended (its
	// claim lost, the log unreadable) claims its topic again (100 ms); it
	// doubles with each failure in a row, up to MaxDelay.
	ClaimBackoff time.Duration
	// MaxDelay bounds both backoffs (5 s).
	MaxDelay time.Duration
	// StallAfter is how many nacks in a row of one message make its
	// topic's Status stalled (3): the consumer is claimed but not moving.
	StallAfter int
	// AckWait bounds how long a subscription whose claim ended waits for the
	// handler of the message in its hands to ack or nack before it releases
	// the claim (2 min): another process must not start on what this one
	// may still be doing.
	AckWait time.Duration
	// MaxBatch is how many events one message holds at most (256).
	MaxBatch int
	// Interest, when set, says which events topic's consumer acts on (a nil
	// answer: every event). A batch with none of them is not delivered: the
	// consumer would open a transaction, or write its checkpoint, for
	// nothing. Its checkpoint is moved past such a span lazily: by the next
	// message with work in it, which starts after the span; else, once no
	// batch has come for SkipIdle (100 ms) or SkipAge (1 s) after the span's
	// first skipped batch, by a message of the span's last event alone, which
	// the consumer applies (it ignores it) and checkpoints as any other.
	// What a crash, or the subscription's end, leaves of a span unpassed is
	// read again from the checkpoint and skipped again: there was nothing in
	// it to do, so nothing is done twice or missed.
	Interest func(topic string) func(eventstore.RecordedEvent) bool
	// SkipIdle and SkipAge pace the checkpoint's move past skipped events
	// (Interest). SkipIdle lets a burst pass with no such move at all;
	// SkipAge keeps a checkpoint that other processes watch (readiness, lag
	// metrics) from standing still under a steady trickle of events of no
	// interest, and bounds what a restart reads again.
	SkipIdle, SkipAge time.Duration
	Logger            *slog.Logger
}

// Subscriber implements message.Subscriber.
type Subscriber struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	// mu orders Subscribe's wg.Add before Close's wg.Wait: a Subscribe that
	// races a Close either counts or is refused.
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	// topics holds each subscribed topic's status (under mu).
	topics map[string]*Status
}

// Status is what a subscription is doing now.
type Status struct {
	// Claimed: this process holds the topic and streams it.
	Claimed bool
	// Nacks counts the nacks in a row of the message in the handler's hands.
	Nacks int
	// Stalled: claimed, but the same message keeps failing (StallAfter
	// nacks in a row): the consumer is not moving.
	Stalled bool
}

var _ message.Subscriber = (*Subscriber)(nil)

// New makes a Subscriber.
func New(cfg Config) (*Subscriber, error) {
	if cfg.Store == nil || cfg.Claim == nil {
		return nil, errors.New("eventstream: Store and Claim are required")
	}
	if cfg.RedeliveryDelay <= 0 {
		cfg.RedeliveryDelay = 100 * time.Millisecond
	}
	if cfg.ClaimBackoff <= 0 {
		cfg.ClaimBackoff = 100 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 5 * time.Second
	}
	if cfg.StallAfter <= 0 {
		cfg.StallAfter = 3
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = 2 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.SkipIdle <= 0 {
		cfg.SkipIdle = 100 * time.Millisecond
	}
	if cfg.SkipAge <= 0 {
		cfg.SkipAge = time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Subscriber{cfg: cfg, ctx: ctx, cancel: cancel, topics: map[string]*Status{}}, nil
}

// Subscribe streams the log to topic's consumer from its checkpoint, in
// messages of consecutive events. The next message comes only once the
// previous one is acked; a nacked one comes again. A lost claim or a failed
// read of the log is retried, with backoff, for as long as the subscription
// lasts: the channel closes only when ctx ends or the subscriber closes.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	out := make(chan *message.Message)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errors.New("eventstream: subscriber closed")
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer close(out)
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		go func() {
			select {
			case <-s.ctx.Done():
				cancel()
			case <-ctx.Done():
			}
		}()
		s.supervise(ctx, topic, out)
	}()
	return out, nil
}

// Status reports what topic's subscription is doing now (the zero Status
// for a topic not subscribed).
func (s *Subscriber) Status(topic string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st, ok := s.topics[topic]; ok {
		return *st
	}
	return Status{}
}

func (s *Subscriber) setStatus(topic string, change func(*Status)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.topics[topic]
	if !ok {
		st = &Status{}
		s.topics[topic] = st
	}
	change(st)
	st.Stalled = st.Claimed && st.Nacks >= s.cfg.StallAfter
}

// errClaim marks a stream that ended because its topic could not be claimed.
var errClaim = errors.New("claim")

// supervise streams topic, claiming it again whenever a stream ends before
// ctx does. The first failure of a run is a warning; the ones that follow
// while it lasts (a database that stays down) are logged at debug, so that
// an outage is one line per consumer, not one per retry.
func (s *Subscriber) supervise(ctx context.Context, topic string, out chan<- *message.Message) {
	log := s.cfg.Logger.With("topic", topic)
	backoff := s.cfg.ClaimBackoff
	failures := 0
	for {
		consumed, err := s.stream(ctx, topic, out, log)
		s.setStatus(topic, func(st *Status) { st.Claimed, st.Nacks = false, 0 })
		if ctx.Err() != nil {
			return
		}
		if consumed {
			backoff, failures = s.cfg.ClaimBackoff, 0
		}
		failures++
		// A lost lock was warned of where it was lost; a claim that cannot
		// even be made is warned of here. Either way, once per outage.
		level := slog.LevelInfo
		switch {
		case failures > 1:
			level = slog.LevelDebug
		case errors.Is(err, errClaim):
			level = slog.LevelWarn
		}
		log.Log(ctx, level, "a consumer of the log stopped; claiming it again", "err", err, "retry_in", backoff.String())
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, s.cfg.MaxDelay)
	}
}

// stream claims topic and streams it until ctx ends, the claim is lost or
// the log cannot be read; it says why it stopped, and whether it had
// delivered anything (a stream that worked for a while resets the backoff).
func (s *Subscriber) stream(ctx context.Context, topic string, out chan<- *message.Message, log *slog.Logger) (consumed bool, err error) {
	after, claimed, release, err := s.cfg.Claim(ctx, topic)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errClaim, err)
	}
	defer release()
	s.setStatus(topic, func(st *Status) { st.Claimed, st.Nacks = true, 0 })
	log.Info("consuming the event log", "after", after)

	// A reader fills a buffer from the log; the delivery loop hands over
	// everything the buffer holds at once (up to MaxBatch) as one message.
	// Under load a consumer thus commits many events per transaction; at
	// rest a message holds one event and waits for nothing.
	ctx, cancel := context.WithCancel(claimed)
	defer cancel()
	buf := make(chan eventstore.RecordedEvent, 4*s.cfg.MaxBatch)
	readerDone := make(chan struct{})
	var readErr error // set by the reader before it closes buf
	go func() {
		defer close(readerDone)
		defer close(buf)
		for e, err := range s.cfg.Store.Subscribe(ctx, after, s.cfg.Filter) {
			if err != nil {
				readErr = fmt.Errorf("read the log: %w", err)
				return
			}
			select {
			case buf <- e:
			case <-ctx.Done():
				return
			}
		}
	}()
	defer func() { cancel(); <-readerDone }()
	// why says why the stream ended: the reader's error, or the claim's end
	// (which includes the subscription's own end: supervise looks at that).
	why := func() error {
		lost := claimed.Err() != nil
		cancel()
		<-readerDone // readErr is the reader's until it is done
		// A lost claim makes the reader fail too: say the cause.
		if lost {
			return errors.New("the claim ended")
		}
		if readErr != nil {
			return readErr
		}
		return errors.New("the log's subscription ended")
	}
	delivered := after // what the consumer has acked, as far as this stream knows
	var wants func(eventstore.RecordedEvent) bool
	if s.cfg.Interest != nil {
		wants = s.cfg.Interest(topic)
	}
	skip := newSkipped(s.cfg.SkipIdle, s.cfg.SkipAge)
	defer skip.stop()
	for {
		var batch []eventstore.RecordedEvent
		passing := false // batch is a skipped span's last event, handed over
		select {
		case e, ok := <-buf:
			if !ok {
				return consumed, why()
			}
			batch = append(batch, e)
		case <-skip.due():
			// The span read and not delivered is handed over by its last
			// event, so that the consumer's checkpoint passes it.
			batch, passing = append(batch, skip.last), true
		case <-ctx.Done():
			return consumed, why()
		}
	gather:
		for len(batch) < s.cfg.MaxBatch && !passing {
			select {
			case e, ok := <-buf:
				if !ok {
					break gather
				}
				batch = append(batch, e)
			default:
				break gather
			}
		}
		if wants != nil && !passing && !slices.ContainsFunc(batch, wants) {
			skip.add(batch[len(batch)-1])
			consumed = true
			continue
		}
		if !s.deliver(ctx, topic, delivered, batch, out, log) {
			return consumed, why()
		}
		delivered = batch[len(batch)-1].Position
		skip.clear()
		consumed = true
	}
}

// skipped is a span of the log a stream read and did not deliver, as it
// held nothing of interest to its consumer (Config.Interest), and when to
// hand its last event over.
type skipped struct {
	idle, age time.Duration
	pending   bool
	last      eventstore.RecordedEvent // the span's last event
	since     time.Time                // when its first batch was skipped
	timer     *time.Timer
}

func newSkipped(idle, age time.Duration) *skipped {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &skipped{idle: idle, age: age, timer: t}
}

// add extends the span to e, the last event of a batch just skipped.
func (s *skipped) add(e eventstore.RecordedEvent) {
	now := time.Now()
	if !s.pending {
		s.pending, s.since = true, now
	}
	s.last = e
	s.timer.Reset(min(s.idle, s.since.Add(s.age).Sub(now)))
}

// due fires when the span's last event is to be handed over (never while
// there is no span).
func (s *skipped) due() <-chan time.Time {
	if !s.pending {
		return nil
	}
	return s.timer.C
}

// clear forgets the span: a delivered message has passed it.
func (s *skipped) clear() {
	s.pending = false
	s.timer.Stop()
}

func (s *skipped) stop() { s.timer.Stop() }

// deliver hands one batch over until it is acked, backing off while it is
// nacked. It returns false when ctx ended first.
func (s *Subscriber) deliver(ctx context.Context, topic string, after eventstore.Position, batch []eventstore.RecordedEvent, out chan<- *message.Message, log *slog.Logger) bool {
	delay := s.cfg.RedeliveryDelay
	for {
		acked, ok := s.handOver(ctx, after, batch, out, log)
		if !ok {
			return false
		}
		if acked {
			s.setStatus(topic, func(st *Status) { st.Nacks = 0 })
			return true
		}
		s.setStatus(topic, func(st *Status) { st.Nacks++ })
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return false
		}
		delay = min(2*delay, s.cfg.MaxDelay)
	}
}

// handOver hands the batch over once, as a new message, and waits for the
// handler's answer: acked, or nacked (ok is false when ctx ended first).
// The message's context ends when handOver returns, once the handler has
// answered, as Watermill's Pub/Subs do: whatever the handler started with
// it stops with it. When ctx ends with the message in the handler's hands,
// handOver waits for the handler to finish (its context has ended too)
// before it returns: the claim is released only after that, so no other
// process starts on what this one may still be doing (the sender's call to
// Twilio, above all).
func (s *Subscriber) handOver(ctx context.Context, after eventstore.Position, batch []eventstore.RecordedEvent, out chan<- *message.Message, log *slog.Logger) (acked, ok bool) {
	msg := ToMessage(batch...)
	msg.Metadata.Set(KeyAfter, strconv.FormatUint(uint64(after), 10))
	msgCtx, finish := context.WithCancel(context.WithValue(ctx, claimKey{}, ctx))
	defer finish()
	msg.SetContext(msgCtx)
	select {
	case out <- msg:
	case <-ctx.Done():
		return false, false
	}
	select {
	case <-msg.Acked():
		return true, true
	case <-msg.Nacked():
		return false, true
	case <-ctx.Done():
		select {
		case <-msg.Acked():
		case <-msg.Nacked():
		case <-time.After(s.cfg.AckWait):
			log.Error("the handler did not finish its message in time after the claim ended; releasing the claim anyway",
				"first_position", msg.Metadata.Get(KeyFirstPosition), "waited", s.cfg.AckWait)
		}
		return false, false
	}
}

// claimKey keys the claim's context inside a message's context.
type claimKey struct{}

// ClaimContext is the context of the claim that delivered msg: unlike the
// message's own context, which ends once the handler answers, it lasts as
// long as this process holds the consumer. A handler that acks at once and
// goes on working on what the message asked (the sender, whose texts are
// sent by its lanes after the ack) works under it, so that the work stops
// when the claim ends and the claim is not released under it. A message
// that did not come from a Subscriber answers its own context.
func ClaimContext(msg *message.Message) context.Context {
	if ctx, ok := msg.Context().Value(claimKey{}).(context.Context); ok {
		return ctx
	}
	return msg.Context()
}

// Close ends every subscription and waits for them.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// envelope is one recorded event inside a message's payload.
type envelope struct {
	ID            uuid.UUID           `json:"id"`
	Stream        eventstore.StreamID `json:"stream"`
	Version       uint64              `json:"version"`
	Position      eventstore.Position `json:"position"`
	Type          string              `json:"type"`
	SchemaVersion int                 `json:"schema_version"`
	Data          json.RawMessage     `json:"data"`
	Metadata      eventstore.Metadata `json:"metadata"`
	OccurredAt    time.Time           `json:"occurred_at"`
}

// ToMessage turns consecutive recorded events into one Watermill message:
// the payload holds them, in order; the metadata says the positions they
// span. Its UUID is that of the first event, so a redelivery is the same
// message.
func ToMessage(events ...eventstore.RecordedEvent) *message.Message {
	envs := make([]envelope, len(events))
	for i, e := range events {
		envs[i] = envelope{ID: e.ID, Stream: e.Stream, Version: e.Version, Position: e.Position, Type: e.Type,
			SchemaVersion: e.SchemaVersion, Data: e.Data, Metadata: e.Metadata, OccurredAt: e.OccurredAt}
	}
	payload, _ := json.Marshal(envs)
	msg := message.NewMessage(events[0].ID.String(), payload)
	msg.Metadata.Set(KeyFirstPosition, strconv.FormatUint(uint64(events[0].Position), 10))
	msg.Metadata.Set(KeyLastPosition, strconv.FormatUint(uint64(events[len(events)-1].Position), 10))
	msg.Metadata.Set(KeyCount, strconv.Itoa(len(events)))
	return msg
}

// After is the message's KeyAfter: the position its consumer has applied
// everything up to, as far as the subscription knows; false when the
// message does not say (one built by ToMessage alone).
//
// A consumer whose checkpoint stands before it has lost the commit of
// something it acked: a database that crashed with commits not yet on disk
// (projectors commit without waiting for the disk). Applying the message
// would skip what was lost, so the consumer refuses it; the crash ended the
// subscription's claim too, and the claim taken again reads the log from
// the checkpoint.
func After(msg *message.Message) (eventstore.Position, bool) {
	v, err := strconv.ParseUint(msg.Metadata.Get(KeyAfter), 10, 64)
	if err != nil {
		return 0, false
	}
	return eventstore.Position(v), true
}

// Events reads the recorded events back from a message of this subscriber.
func Events(msg *message.Message) ([]eventstore.RecordedEvent, error) {
	var envs []envelope
	if err := json.Unmarshal(msg.Payload, &envs); err != nil {
		return nil, fmt.Errorf("message %s: %w", msg.UUID, err)
	}
	if len(envs) == 0 {
		return nil, fmt.Errorf("message %s holds no event", msg.UUID)
	}
	out := make([]eventstore.RecordedEvent, len(envs))
	for i, e := range envs {
		out[i] = eventstore.RecordedEvent{
			EventData: eventstore.EventData{ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, Data: []byte(e.Data),
				Metadata: e.Metadata, OccurredAt: e.OccurredAt},
			Stream: e.Stream, Version: e.Version, Position: e.Position,
		}
	}
	return out, nil
}
