// Package sender is the outbound sender: a Watermill consumer of the event
// log (adapters/eventstream, topic "sender", its checkpoint in
// projection_checkpoints, one instance at a time under its advisory lock)
// that sends each OutboundMessageQueued through Twilio and records what came
// of it, through the send steps of package commands.
//
// It is not a projector: `smsinbox rebuild` never runs it, so a rebuild sends
// nothing. And it sends each message at most once: the attempt is recorded
// before Twilio is called, and an attempt whose outcome was never recorded (a
// crash, a dropped connection) is never made again; the message is recorded
// failed, "outcome unknown". A message is attempted again only when Twilio
// surely did not take it: it answered 429 or 5xx, or the connection was
// refused.
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
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/adapters/postgres/checkpoint"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// Name is the sender's topic, checkpoint and lock.
const Name = "sender"

// Config configures a Sender.
type Config struct {
	Pool   *pgxpool.Pool
	Store  eventstore.Store
	Twilio twilio.Sender
	// StatusCallback is the URL Twilio calls with status changes
	// ({PUBLIC_URL}/webhooks/twilio/status); empty: none is asked for.
	StatusCallback string
	Now            func() time.Time
	Logger         *slog.Logger
	// MaxAttempts bounds the attempts of one message when Twilio keeps
	// answering 429 / 5xx (5). Backoff is the wait before the second attempt
	// (250 ms), doubled before each next one, at most MaxBackoff (5 s).
	MaxAttempts         int
	Backoff, MaxBackoff time.Duration
	// SendTimeout bounds one call to Twilio (30 s). A send in progress is not
	// cut short when the sender stops: cutting it would leave its outcome
	// unknown.
	SendTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 5
	}
	if c.Backoff <= 0 {
		c.Backoff = 250 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
}

// Sender sends outbound messages.
type Sender struct {
	cfg    Config
	log    *slog.Logger
	router *message.Router
	sub    *eventstream.Subscriber
}

// New wires the sender into a Watermill router.
func New(cfg Config) (*Sender, error) {
	if cfg.Pool == nil || cfg.Store == nil || cfg.Twilio == nil {
		return nil, errors.New("sender: Pool, Store and Twilio are required")
	}
	cfg.setDefaults()
	s := &Sender{cfg: cfg, log: cfg.Logger.With("component", Name)}
	sub, err := eventstream.New(eventstream.Config{Store: cfg.Store, Claim: checkpoint.Claimer(cfg.Pool, s.log), Logger: cfg.Logger})
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
func (s *Sender) Run(ctx context.Context) error {
	if err := checkpoint.Ensure(ctx, s.cfg.Pool, Name); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while starting
		}
		return err
	}
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			s.sub.Close()
		case <-stopped:
		}
	}()
	err := s.router.Run(ctx)
	close(stopped)
	s.sub.Close()
	if ctx.Err() == nil {
		return fmt.Errorf("the outbound sender stopped: %v", err)
	}
	return err
}

// Status reports what the sender's subscription is doing in this process
// (for /readyz).
func (s *Sender) Status() eventstream.Status { return s.sub.Status(Name) }

// handle sends the queued messages of one message of the log, in order, then
// moves the checkpoint. An error nacks the message: it comes again, and the
// messages it holds are looked at again, which is safe (each step decides on
// what the conversation records).
func (s *Sender) handle(msg *message.Message) error {
	events, err := eventstream.Events(msg)
	if err != nil {
		return err
	}
	ctx := msg.Context()
	for _, e := range events {
		if e.Type != conversation.TypeOutboundMessageQueued {
			continue
		}
		ev, err := conversation.Decode(e.Type, e.Data)
		if err != nil {
			// A document this code cannot read will not become readable by
			// waiting: say so loudly and go on.
			s.log.Error("an outbound message that cannot be read is not sent", "position", e.Position, "err", err)
			continue
		}
		q := ev.(conversation.OutboundMessageQueued)
		if err := s.process(ctx, q); err != nil {
			if ctx.Err() == nil {
				s.log.Error("sending failed; trying again", "message_id", q.MessageID, "err", err)
			}
			return err
		}
	}
	last := events[len(events)-1].Position
	_, err = s.cfg.Pool.Exec(ctx, `UPDATE projection_checkpoints SET position = greatest(position, $2), updated_at = now() WHERE projector = $1`, Name, int64(last))
	return err
}

// process takes one message as far as it can go, from what its conversation
// records now.
func (s *Sender) process(ctx context.Context, q conversation.OutboundMessageQueued) error {
	ref := commands.MessageRef{CompanyID: q.CompanyID, Customer: q.CustomerPhone, MessageID: q.MessageID}
	log := s.log.With("message_id", q.MessageID)
	waited := 0 // the attempts waited after (backoff)
	for {
		m, err := commands.LoadOutbound(ctx, s.cfg.Store, ref)
		if errors.Is(err, conversation.ErrMessageNotFound) {
			log.Error("a queued message is not in its conversation; not sent")
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case m.SID != "":
			// Sent: make sure the SID index and its kept callbacks are done
			// (a sender that stopped half-way left them).
			_, err := commands.RecordSendResult(ctx, s.cfg.Store, s.cfg.Now, ref, m.SID, "", 0)
			return err
		case m.Status.Final():
			if carrierOptedOut(m) {
				// Twilio's 21610 is on the message: make sure it reached the
				// consent too (a sender that stopped in between left it).
				return s.carrierOptOut(ctx, ref, m.From, m.ErrorCode)
			}
			return nil
		case m.InFlight:
			// The attempt was recorded but not its outcome: Twilio may have
			// the message. Sending again could text the customer twice.
			log.Warn("an attempt's outcome is unknown; the message is not sent again")
			return s.fail(ctx, ref, 0, "outcome unknown: the sender stopped while Twilio was being called; not sent again, so as never to send twice", false)
		}
		if reason, err := s.refusal(ctx, m, q); err != nil || reason != "" {
			if err != nil {
				return err
			}
			log.Info("queued message not sent", "reason", reason)
			return s.fail(ctx, ref, 0, reason, false)
		}
		if m.Attempts >= s.cfg.MaxAttempts {
			return s.fail(ctx, ref, 0, fmt.Sprintf("not sent: Twilio did not take the text in %d attempts", m.Attempts), false)
		}
		if m.Attempts > waited {
			select {
			case <-time.After(s.backoff(m.Attempts)):
			case <-ctx.Done():
				return ctx.Err()
			}
			waited = m.Attempts
			continue // look again: a STOP may have come meanwhile
		}
		attempted, err := commands.StartSend(ctx, s.cfg.Store, s.cfg.Now, ref)
		if err != nil {
			return err
		}
		if !attempted {
			continue // the message moved on meanwhile: look again
		}
		if again, err := s.send(ctx, ref, m, log); !again || err != nil {
			return err
		}
	}
}

// backoff is the wait before the attempt after attempt number attempts.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < attempts && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// refusal is why a message must not be sent now, "" when it may be. Staff
// texts need, at the time of sending: the company's messaging number still
// the one they were queued from, Messages on, and consent yes on that number
// (a STOP that came while the text waited stops it). Automated texts go out
// whatever the consent and sms_enabled: a STOP is always confirmed.
func (s *Sender) refusal(ctx context.Context, m conversation.OutboundMessage, q conversation.OutboundMessageQueued) (string, error) {
	co, err := commands.LoadCompany(ctx, s.cfg.Store, q.CompanyID)
	if errors.Is(err, company.ErrCompanyNotFound) {
		return "not sent: the company does not exist", nil
	}
	if err != nil {
		return "", err
	}
	if m.Automated {
		return "", nil
	}
	if co.MessagingNumber != m.From {
		return fmt.Sprintf("not sent: the company's messaging number changed from %s to %s after the text was queued", m.From, co.MessagingNumber), nil
	}
	if !co.SMSEnabled {
		return "not sent: Messages were turned off for the company after the text was queued", nil
	}
	cs, err := commands.LoadConsent(ctx, s.cfg.Store, consent.StreamID(q.CompanyID, q.CustomerPhone))
	if err != nil {
		return "", err
	}
	if !consent.CanSend(cs, m.From) {
		return fmt.Sprintf("not sent: the customer's consent is %s (it changed after the text was queued)", cs.Status), nil
	}
	return "", nil
}

// send makes the attempt just recorded and records its outcome. It reports
// whether another attempt may follow (Twilio surely did not take it); an
// error when the outcome could not be recorded before the sender stopped.
func (s *Sender) send(ctx context.Context, ref commands.MessageRef, m conversation.OutboundMessage, log *slog.Logger) (again bool, err error) {
	// The call runs to its end even when the sender stops: cut short, its
	// outcome would be unknown.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
	defer cancel()
	sent, err := s.cfg.Twilio.Send(sctx, twilio.Outbound{
		From: string(m.From), To: string(m.To), Body: m.Body, StatusCallback: s.cfg.StatusCallback,
	})
	var se *twilio.SendError
	errors.As(err, &se)
	switch {
	case err == nil:
		log.Info("text sent", "sid", sent.SID, "twilio_status", sent.Status)
		return false, s.record(ctx, log, func(ctx context.Context) error {
			_, err := commands.RecordSendResult(ctx, s.cfg.Store, s.cfg.Now, ref, sent.SID, sent.Status, sent.ErrorCode)
			return err
		})
	case twilio.IsOptedOut(err):
		// 21610: the customer replied STOP to Twilio, which blocks every text
		// from this number until START. Recorded on the message (error 21610,
		// carrier opt-out), then on the consent as a carrier-level opt-out
		// (no, actor twilio, no text); see ARCHITECTURE.md "Outbound texts".
		log.Warn("Twilio refused: the customer opted out at the carrier (21610)")
		return false, s.record(ctx, log, func(ctx context.Context) error {
			if _, err := commands.FailSend(ctx, s.cfg.Store, s.cfg.Now, ref, se.Code,
				"Twilio refused: the customer has opted out of texts from this number (replied STOP); error 21610", true); err != nil {
				return err
			}
			return s.carrierOptOut(ctx, ref, m.From, se.Code)
		})
	case surelyNotTaken(err):
		log.Warn("Twilio did not take the text; it will be attempted again", "err", err)
		return true, s.record(ctx, log, func(ctx context.Context) error {
			return commands.DeferSend(ctx, s.cfg.Store, s.cfg.Now, ref, se.Status, se.Code, err.Error())
		})
	case se != nil && se.Status >= 400:
		log.Warn("Twilio refused the text", "err", err)
		return false, s.record(ctx, log, func(ctx context.Context) error {
			_, err := commands.FailSend(ctx, s.cfg.Store, s.cfg.Now, ref, se.Code, "Twilio refused: "+se.Message, false)
			return err
		})
	default:
		// No answer (a timeout, a connection dropped once the request was
		// out), or an answer that names no message.
		log.Warn("the outcome of the send is unknown; the text is not sent again", "err", err)
		return false, s.record(ctx, log, func(ctx context.Context) error {
			_, err := commands.FailSend(ctx, s.cfg.Store, s.cfg.Now, ref, 0,
				"outcome unknown: "+err.Error()+"; not sent again, so as never to send twice", false)
			return err
		})
	}
}

// record records the outcome of a send (step), trying again while the sender
// runs. The first try happens even when the sender is stopping: what Twilio
// answered is worth keeping. Should it never succeed, the attempt stays in
// flight and is recorded failed, outcome unknown, when the sender looks at the
// message again.
func (s *Sender) record(ctx context.Context, log *slog.Logger, step func(context.Context) error) error {
	wait := s.cfg.Backoff
	for {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
		err := step(rctx)
		cancel()
		if err == nil {
			return nil
		}
		log.Error("recording the outcome of a send failed", "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return err
		}
		wait = min(2*wait, s.cfg.MaxBackoff)
	}
}

// carrierOptedOut reports whether Twilio refused message m with 21610 (no
// SID: Twilio never took it).
func carrierOptedOut(m conversation.OutboundMessage) bool {
	return m.Status == conversation.StatusFailed && m.ErrorCode == twilio.OptedOutCode && m.SID == ""
}

// carrierOptOut records Twilio's refusal (errorCode, 21610) of the message
// sent from number from on the customer's consent: a carrier-level opt-out.
// It records nothing when it is recorded already.
func (s *Sender) carrierOptOut(ctx context.Context, ref commands.MessageRef, from phone.Number, errorCode int) error {
	_, err := commands.RecordCarrierOptOut(ctx, s.cfg.Store, s.cfg.Now, ref, from, errorCode)
	return err
}

// fail records that the message will not be sent (reason).
func (s *Sender) fail(ctx context.Context, ref commands.MessageRef, code int, reason string, carrierOptOut bool) error {
	_, err := commands.FailSend(ctx, s.cfg.Store, s.cfg.Now, ref, code, reason, carrierOptOut)
	return err
}

// surelyNotTaken reports whether a failed send certainly did not create the
// message at Twilio: Twilio answered 429 or 5xx, or there was no connection
// to send it on (refused, or the host name did not resolve). Any other error
// without an answer (a timeout, a connection dropped after the request went
// out) leaves the outcome unknown.
func surelyNotTaken(err error) bool {
	var se *twilio.SendError
	if !errors.As(err, &se) {
		return false
	}
	if se.Status == 429 || se.Status >= 500 {
		return true
	}
	if se.Status != 0 {
		return false
	}
	var dnsErr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &dnsErr)
}
