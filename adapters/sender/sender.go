// Package sender is the outbound sender: a Watermill consumer of the event
// log (adapters/eventstream, topic "sender", its checkpoint in
// projection_checkpoints, one instance at a time under its advisory lock)
// that sends each OutboundMessageQueued through Twilio and records what came
// of it, through the send steps of package commands and the rules of
// domain/conversation.
//
// Texts of different customers go out in parallel, each customer's in queue
// order (lanes.go): the log's handler hands each queued text to its
// conversation's lane and acks at once; the checkpoint moves only past texts
// that are done (progress.go), so a restart looks at the others again.
//
// It is not a projector: `smsinbox rebuild` never runs it, so a rebuild sends
// nothing. And it sends each message at most once: the attempt is recorded
// before Twilio is called, and an attempt whose outcome was never recorded (a
// time-out, a dropped connection, a crash) is never made again: a status
// callback that names the message settles it, else it fails, outcome
// unknown, once the wait for one is over. A message is attempted again only
// when Twilio surely did not take it: it answered 429 or 5xx, or the
// connection was refused.
package sender

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Name is the sender's topic, checkpoint and lock.
const Name = "sender"

// Config configures a Sender.
type Config struct {
	Pool   *pgxpool.Pool
	Store  eventstore.Store
	Twilio twilio.Sender
	// Steps record what the sender decides and what Twilio answered.
	Steps Steps
	// StatusCallback is the URL Twilio calls with status changes
	// ({PUBLIC_URL}/webhooks/twilio/status); empty: none is asked for. Each
	// text's URL carries the text's company and ID in its query
	// (twilio.StatusCallbackURL).
	StatusCallback string
	// Now and After are the clock and its timer (time.Now, time.After);
	// tests inject a clock they move by hand.
	Now    func() time.Time
	After  func(time.Duration) <-chan time.Time
	Logger *slog.Logger
	// While Twilio answers 429 / 5xx (or cannot be reached), a text is
	// attempted again after Backoff (500 ms), doubled before each next
	// attempt up to MaxBackoff (1 min), or after Twilio's Retry-After when
	// it asks for longer; it fails, with Twilio's last error code, once its
	// attempts would span more than RetryFor (10 min) or number more than
	// MaxAttempts (0: no bound). Backoff and MaxBackoff also pace the retries
	// of a step that failed on the database.
	MaxAttempts         int
	Backoff, MaxBackoff time.Duration
	RetryFor            time.Duration
	// OutcomeWait is how long after an attempt whose outcome is unknown a
	// status callback may still settle it (15 min); then it fails, reason
	// code outcome_unknown.
	OutcomeWait time.Duration
	// SendTimeout bounds one call to Twilio (30 s). A send in progress is not
	// cut short when the sender stops: cutting it would leave its outcome
	// unknown.
	SendTimeout time.Duration
	// PerNumber bounds the calls to Twilio under way from one messaging
	// number (4); Parallel bounds them all (16).
	PerNumber, Parallel int
	// Backlog bounds the queued texts held in memory, waiting in their
	// lanes (1,000): the log's handler waits while it is full.
	Backlog int
	// MaxRetries is how many times in a row a text may fail on something
	// other than the database being away before it is set aside in
	// projection_poison (5).
	MaxRetries int
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.After == nil {
		c.After = time.After
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = time.Minute
	}
	if c.RetryFor <= 0 {
		c.RetryFor = 10 * time.Minute
	}
	if c.OutcomeWait <= 0 {
		c.OutcomeWait = 15 * time.Minute
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.PerNumber <= 0 {
		c.PerNumber = 4
	}
	if c.Parallel <= 0 {
		c.Parallel = 16
	}
	if c.Backlog <= 0 {
		c.Backlog = 1000
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 5
	}
}

// Sender sends outbound messages.
type Sender struct {
	cfg    Config
	log    *slog.Logger
	router *message.Router
	sub    *eventstream.Subscriber
	work   *lanes
	prog   *progress
}

// New wires the sender into a Watermill router.
func New(cfg Config) (*Sender, error) {
	if cfg.Pool == nil || cfg.Store == nil || cfg.Twilio == nil || !cfg.Steps.complete() {
		return nil, errors.New("sender: Pool, Store, Twilio and every one of Steps are required")
	}
	cfg.setDefaults()
	s := &Sender{cfg: cfg, log: cfg.Logger.With("component", Name)}
	s.prog = newProgress(cfg.Pool, s.log)
	s.work = newLanes(cfg.Backlog, cfg.PerNumber, cfg.Parallel)
	// Pages with no outbound text in them (most of the log: inbound texts,
	// read models' events) are not delivered: the sender would write its
	// checkpoint for each. It passes them with its next page, or once idle.
	sub, err := eventstream.New(eventstream.Config{Store: cfg.Store, Claim: checkpoint.Claimer(cfg.Pool, s.log), Logger: cfg.Logger,
		Interest: func(string) func(eventstore.RecordedEvent) bool { return handles }})
	if err != nil {
		return nil, err
	}
	s.sub = sub
	wlog := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: cfg.SendTimeout}, wlog)
	if err != nil {
		return nil, err
	}
	router.AddMiddleware(middleware.Recoverer)
	router.AddConsumerHandler(Name, Name, sub, s.handle)
	s.router = router
	return s, nil
}

// Run sends until ctx ends. Should the sender stop before that, it returns
// an error: the process must not run on without it.
//
// When ctx ends, no new call to Twilio starts; the calls under way run to
// their end and their outcomes are recorded, the checkpoint moves past what
// is done, and only then does the subscription end and release the
// sender's lock: another server takes over only once this one is done.
func (s *Sender) Run(ctx context.Context) error {
	if err := checkpoint.Ensure(ctx, s.cfg.Pool, Name); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	routerCtx, stopRouter := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRouter()
	flushing := make(chan struct{})
	go func() { defer close(flushing); s.prog.run(s.work.stopped()) }()
	routerDone, drained := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(drained)
		select {
		case <-ctx.Done():
		case <-routerDone:
		}
		s.work.stop()
		s.work.wait()
		<-flushing
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
		s.prog.flush(fctx)
		cancel()
		stopRouter()
		s.sub.Close()
	}()
	err := s.router.Run(routerCtx)
	close(routerDone)
	<-drained
	if ctx.Err() == nil {
		return fmt.Errorf("the outbound sender stopped: %v", err)
	}
	return err
}

// Checkpointed returns a channel closed by the sender's next write of its
// checkpoint (each move, and each heartbeat). Whoever must know that the
// sender is done with a position (tests, above all) takes it, reads the
// checkpoint, and waits on it while the checkpoint is short.
func (s *Sender) Checkpointed() <-chan struct{} { return s.prog.checkpointed() }

// Status reports what the sender's subscription is doing in this process
// (for /readyz).
func (s *Sender) Status() eventstream.Status { return s.sub.Status(Name) }

// handle hands the queued texts of one message of the log to their lanes
// and acks it without waiting for them to be sent; it wakes the texts that
// wait for a status callback when the log shows one came, and those that
// wait to be attempted again when the log shows them canceled. It waits while the
// backlog is full. A text that cannot be read is set aside.
func (s *Sender) handle(msg *message.Message) error {
	events, err := eventstream.Events(msg)
	if err != nil {
		return err
	}
	// The texts are sent by the lanes after the ack: they work under the
	// claim's context, which the message's own outlives only until the ack.
	ctx := eventstream.ClaimContext(msg)
	ep := s.prog.epochFor(ctx)
	for _, e := range events {
		switch e.Type { // the types handles names: the others never come alone
		case conversation.TypeOutboundMessageQueued:
			ev, err := conversation.Decode(e.Type, e.Data)
			if err != nil {
				// A document this code cannot read (a newer server wrote it)
				// will not become readable by waiting: set it aside, loudly,
				// and go on with the other texts.
				if err := s.setAside(ctx, e, fmt.Errorf("an outbound message that cannot be read is not sent: %w", err)); err != nil {
					return err
				}
				continue
			}
			q := ev.(conversation.OutboundMessageQueued)
			if err := s.work.dispatch(ctx, job{q: q, pos: e.Position, eventID: e.ID, ep: ep}, s.runLaneJob); err != nil {
				return err
			}
		case conversation.TypeOutboundMessageSent, conversation.TypeOutboundMessageStatusChanged, conversation.TypeOutboundMessageFailed,
			conversation.TypeOutboundMessageCanceled:
			if id, ok := messageIDOf(e); ok {
				s.work.wake(id)
			}
		}
	}
	ep.seen(events[len(events)-1].Position)
	return nil
}

// handles reports whether handle acts on e: a text queued, or one whose
// outcome came or that was canceled (it wakes the text's lane). The log's
// subscription delivers no page without one of them (Interest): a type
// that handle comes to act on must be named here too.
func handles(e eventstore.RecordedEvent) bool {
	switch e.Type {
	case conversation.TypeOutboundMessageQueued, conversation.TypeOutboundMessageSent, conversation.TypeOutboundMessageStatusChanged,
		conversation.TypeOutboundMessageFailed, conversation.TypeOutboundMessageCanceled:
		return true
	}
	return false
}

// messageIDOf is the outbound message an event is about.
func messageIDOf(e eventstore.RecordedEvent) (uuid.UUID, bool) {
	ev, err := conversation.Decode(e.Type, e.Data)
	if err != nil {
		return uuid.Nil, false
	}
	switch ev := ev.(type) {
	case conversation.OutboundMessageSent:
		return ev.MessageID, true
	case conversation.OutboundMessageStatusChanged:
		return ev.MessageID, true
	case conversation.OutboundMessageFailed:
		return ev.MessageID, true
	case conversation.OutboundMessageCanceled:
		return ev.MessageID, true
	}
	return uuid.Nil, false
}

// policy is the retry policy of texts Twilio did not take.
func (s *Sender) policy() conversation.RetryPolicy {
	return conversation.RetryPolicy{Backoff: s.cfg.Backoff, MaxBackoff: s.cfg.MaxBackoff, GiveUpAfter: s.cfg.RetryFor, MaxAttempts: s.cfg.MaxAttempts}
}

// backoff is the wait before the attempt after attempt number attempts.
func (s *Sender) backoff(attempts int) time.Duration { return s.policy().Wait(attempts) }

// carrierAnswer reads the outcome of a call to Twilio (err, nil when Twilio
// took the text) as conversation.CarrierAnswer, whose Meaning says what to
// record. The request never left when there was no connection to send it
// on (refused, or the host name did not resolve); any other error without
// an answer (a timeout, a connection dropped after the request went out)
// leaves the outcome unknown.
func carrierAnswer(err error) conversation.CarrierAnswer {
	if err == nil {
		return conversation.CarrierAnswer{Taken: true}
	}
	var se *twilio.SendError
	if !errors.As(err, &se) {
		return conversation.CarrierAnswer{}
	}
	var dnsErr *net.DNSError
	return conversation.CarrierAnswer{HTTPStatus: se.Status, ErrorCode: se.Code,
		NeverLeft: errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr)}
}
