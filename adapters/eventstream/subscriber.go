// Package eventstream is a Watermill Subscriber over the event store's own
// global log: each topic is one consumer (a projector, the sender) that
// resumes after its checkpoint and receives every event, one at a time, in
// position order. There is no second publish beside the append: what a
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
	KeyPosition      = "position"
	KeyStream        = "stream"
	KeyVersion       = "version"
	KeyType          = "type"
	KeySchemaVersion = "schema_version"
	KeyOccurredAt    = "occurred_at"
	KeyMetadata      = "event_metadata"
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
	Logger          *slog.Logger
}

// Subscriber implements message.Subscriber.
type Subscriber struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
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
	ctx, cancel := context.WithCancel(context.Background())
	return &Subscriber{cfg: cfg, ctx: ctx, cancel: cancel}, nil
}

// Subscribe streams the log to topic's consumer from its checkpoint. The
// next event comes only once the previous one is acked; a nacked one comes
// again. The channel closes when ctx ends, the claim is lost or the
// subscriber closes.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	out := make(chan *message.Message)
	s.wg.Add(1)
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
	for e, err := range s.cfg.Store.Subscribe(claimed, after, s.cfg.Filter) {
		if err != nil {
			if claimed.Err() == nil {
				log.Error("event log subscription failed", "err", err)
			}
			return
		}
		if !s.deliver(claimed, e, out) {
			return
		}
	}
}

// deliver hands one event over until it is acked.
func (s *Subscriber) deliver(ctx context.Context, e eventstore.RecordedEvent, out chan<- *message.Message) bool {
	for {
		msg := ToMessage(e)
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
	s.cancel()
	s.wg.Wait()
	return nil
}

// ToMessage turns a recorded event into a Watermill message: the event's
// data is the payload, everything else is metadata.
func ToMessage(e eventstore.RecordedEvent) *message.Message {
	msg := message.NewMessage(e.ID.String(), e.Data)
	meta, _ := json.Marshal(e.Metadata)
	msg.Metadata.Set(KeyPosition, strconv.FormatUint(uint64(e.Position), 10))
	msg.Metadata.Set(KeyStream, string(e.Stream))
	msg.Metadata.Set(KeyVersion, strconv.FormatUint(e.Version, 10))
	msg.Metadata.Set(KeyType, e.Type)
	msg.Metadata.Set(KeySchemaVersion, strconv.Itoa(e.SchemaVersion))
	msg.Metadata.Set(KeyOccurredAt, e.OccurredAt.UTC().Format(time.RFC3339Nano))
	msg.Metadata.Set(KeyMetadata, string(meta))
	return msg
}

// Event reads a recorded event back from a message of this subscriber.
func Event(msg *message.Message) (eventstore.RecordedEvent, error) {
	var e eventstore.RecordedEvent
	id, err := uuid.Parse(msg.UUID)
	if err != nil {
		return e, fmt.Errorf("message %s: event id: %w", msg.UUID, err)
	}
	pos, err := strconv.ParseUint(msg.Metadata.Get(KeyPosition), 10, 64)
	if err != nil {
		return e, fmt.Errorf("message %s: position: %w", msg.UUID, err)
	}
	version, err := strconv.ParseUint(msg.Metadata.Get(KeyVersion), 10, 64)
	if err != nil {
		return e, fmt.Errorf("message %s: version: %w", msg.UUID, err)
	}
	sv, err := strconv.Atoi(msg.Metadata.Get(KeySchemaVersion))
	if err != nil {
		return e, fmt.Errorf("message %s: schema version: %w", msg.UUID, err)
	}
	at, err := time.Parse(time.RFC3339Nano, msg.Metadata.Get(KeyOccurredAt))
	if err != nil {
		return e, fmt.Errorf("message %s: occurred at: %w", msg.UUID, err)
	}
	if m := msg.Metadata.Get(KeyMetadata); m != "" {
		if err := json.Unmarshal([]byte(m), &e.Metadata); err != nil {
			return e, fmt.Errorf("message %s: metadata: %w", msg.UUID, err)
		}
	}
	e.ID, e.Position, e.Version, e.SchemaVersion, e.OccurredAt = id, eventstore.Position(pos), version, sv, at
	e.Stream = eventstore.StreamID(msg.Metadata.Get(KeyStream))
	e.Type = msg.Metadata.Get(KeyType)
	e.Data = msg.Payload
	return e, nil
}
