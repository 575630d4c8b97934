// Package eventstream is a Watermill Subscriber over the event store's own
// global log: each topic is one consumer (a projector, the sender) that
// resumes after its checkpoint and receives every event, in position order,
// in messages that each hold the consecutive events available at the time. There is no second publish beside the append: what a
// consumer receives is what the store committed, in the store's order.
package eventstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
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
)

// Claim is called before a topic is streamed. It blocks until this process
// may consume the topic (for a projector: holds its lock, so that one
// instance runs it when several servers share a database) and returns the
// checkpoint to resume after, a context that ends if the claim is lost, and a
// release function.
type Claim func(ctx context.Context, topic string) (after eventstore.Position, claimed context.Context, release func(), err error)

// Config configures a Subscriber.
type Config struct {
	Store eventstore.Store
	Claim Claim
	// Filter narrows what every topic receives (all events by default).
	Filter eventstore.Filter
	// RedeliveryDelay is the pause before a nacked message comes again (100 ms).
	RedeliveryDelay time.Duration
	// MaxBatch is how many events one message holds at most (256).
	MaxBatch int
	Logger   *slog.Logger
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
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Subscriber{cfg: cfg, ctx: ctx, cancel: cancel}, nil
}

// Subscribe streams the log to topic's consumer from its checkpoint, in
// messages of consecutive events. The next message comes only once the
// previous one is acked; a nacked one comes again. The channel closes when ctx ends, the claim is lost or the
// subscriber closes.
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
		s.stream(ctx, topic, out)
	}()
	return out, nil
}

func (s *Subscriber) stream(ctx context.Context, topic string, out chan<- *message.Message) {
	log := s.cfg.Logger.With("topic", topic)
	after, claimed, release, err := s.cfg.Claim(ctx, topic)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("claiming the topic failed", "err", err)
		}
		return
	}
	defer release()
	log.Info("consuming the event log", "after", after)

	// A reader fills a buffer from the log; the delivery loop hands over
	// everything the buffer holds at once (up to MaxBatch) as one message.
	// Under load a consumer thus commits many events per transaction; at
	// rest a message holds one event and waits for nothing.
	ctx, cancel := context.WithCancel(claimed)
	defer cancel()
	buf := make(chan eventstore.RecordedEvent, 4*s.cfg.MaxBatch)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(buf)
		for e, err := range s.cfg.Store.Subscribe(ctx, after, s.cfg.Filter) {
			if err != nil {
				if ctx.Err() == nil {
					log.Error("event log subscription failed", "err", err)
				}
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
	for {
		var batch []eventstore.RecordedEvent
		select {
		case e, ok := <-buf:
			if !ok {
				return
			}
			batch = append(batch, e)
		case <-ctx.Done():
			return
		}
	gather:
		for len(batch) < s.cfg.MaxBatch {
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
		if !s.deliver(ctx, batch, out) {
			return
		}
	}
}

// deliver hands one batch over until it is acked.
func (s *Subscriber) deliver(ctx context.Context, batch []eventstore.RecordedEvent, out chan<- *message.Message) bool {
	for {
		msg := ToMessage(batch...)
		msg.SetContext(ctx)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false
		}
		select {
		case <-msg.Acked():
			return true
		case <-msg.Nacked():
			select {
			case <-time.After(s.cfg.RedeliveryDelay):
			case <-ctx.Done():
				return false
			}
		case <-ctx.Done():
			return false
		}
	}
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
