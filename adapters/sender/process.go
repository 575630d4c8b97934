package sender

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/smsinbox/smsinbox/adapters/transient"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// outcome is where a job ended.
type outcome struct {
	kind  outcomeKind
	until time.Time // awaiting: when the wait for a callback ends
}

type outcomeKind int

const (
	// done: sent, failed, refused or set aside; the checkpoint may pass it.
	done outcomeKind = iota + 1
	// awaiting: an attempt's outcome is unknown; a callback may settle it.
	awaiting
	// abandoned: the sender stopped, or its claim ended, first; the next
	// claim looks at the text again.
	abandoned
)

// runLaneJob runs a job in its lane. A text whose outcome is unknown waits
// for a callback beside the lanes, so that the customer's next text goes on.
func (s *Sender) runLaneJob(j job) {
	switch out := s.runJob(j); out.kind {
	case done:
		j.ep.finish(j.pos)
	case awaiting:
		s.work.goAwait(func() { s.await(j) })
	}
}

// await looks at a text whose outcome is unknown again whenever the log
// shows its outcome moved (a callback named it) and once its wait for a
// callback is over, until it is done.
func (s *Sender) await(j job) {
	ctx, cancel := s.jobContext(j)
	defer cancel()
	for {
		woken, unwatch := s.work.watch(j.q.MessageID)
		out := s.runJob(j)
		if out.kind != awaiting {
			unwatch()
			if out.kind == done {
				j.ep.finish(j.pos)
			}
			return
		}
		select {
		case <-woken:
		case <-s.cfg.After(out.until.Sub(s.cfg.Now())):
			unwatch()
		case <-ctx.Done():
			unwatch()
			return
		}
	}
}

// jobContext ends when the sender stops or the job's claim ends.
func (s *Sender) jobContext(j job) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(j.ep.ctx)
	unhook := context.AfterFunc(s.work.ctx, cancel)
	return ctx, func() { unhook(); cancel() }
}

// runJob takes a text as far as it can go now. A step that fails on the
// database is tried again, with backoff, for as long as the sender runs; one
// that keeps failing while the database answers (a conversation this code
// cannot read) sets the text aside after MaxRetries.
func (s *Sender) runJob(j job) outcome {
	ctx, cancel := s.jobContext(j)
	defer cancel()
	log := s.log.With("message_id", j.q.MessageID)
	wait, failures, warned := s.cfg.Backoff, 0, false
	for {
		out, err := s.process(ctx, j, log)
		if err == nil {
			return out
		}
		if ctx.Err() != nil {
			return outcome{kind: abandoned}
		}
		if transient.Is(err) {
			if !warned {
				log.Warn("sending waits for the database; trying again", "err", err)
				warned = true
			}
		} else {
			failures++
			if failures >= s.cfg.MaxRetries {
				if err := s.setAsideJob(ctx, j, err); err != nil {
					return outcome{kind: abandoned}
				}
				return outcome{kind: done}
			}
			log.Error("sending failed; trying again", "err", err, "failures", failures)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return outcome{kind: abandoned}
		}
		wait = min(2*wait, s.cfg.MaxBackoff)
	}
}

// process takes one message as far as it can go, from what its conversation
// records now (conversation.NextStep).
func (s *Sender) process(ctx context.Context, j job, log *slog.Logger) (outcome, error) {
	q := j.q
	ref := commands.MessageRef{CompanyID: q.CompanyID, Customer: q.CustomerPhone, MessageID: q.MessageID}
	// waited is the RetryAt whose timer has fired: the timer, not the clock,
	// says that the backoff is over (a clock that is late, or a test's that
	// stands still, would otherwise wait again).
	var waited time.Time
	for {
		if ctx.Err() != nil {
			return outcome{kind: abandoned}, nil
		}
		m, err := commands.LoadOutbound(ctx, s.cfg.Store, ref)
		if errors.Is(err, conversation.ErrMessageNotFound) {
			log.Error("a queued message is not in its conversation; not sent")
			return outcome{kind: done}, nil
		}
		if err != nil {
			return outcome{}, err
		}
		now := s.cfg.Now()
		step := conversation.NextStep(m, now, s.cfg.OutcomeWait)
		switch step.Kind {
		case conversation.StepNamed:
			// Sent: make sure the SID index and its kept callbacks are done
			// (a sender that stopped half-way left them).
			_, err := s.cfg.Steps.RecordResult.Handle(ctx, commands.RecordSendResult{MessageRef: ref, SID: m.SID})
			return outcome{kind: done}, err
		case conversation.StepFinal:
			if m.RefusedForCarrierOptOut() {
				// Twilio's 21610 is on the message: make sure it reached the
				// consent too (a sender that stopped in between left it).
				return outcome{kind: done}, s.carrierOptOut(ctx, ref, m.From, m.ErrorCode)
			}
			return outcome{kind: done}, nil
		case conversation.StepNotReleased:
			// Scheduled, not due: its release queues it again, and the
			// sender sees that.
			return outcome{kind: done}, nil
		case conversation.StepAwaitOutcome:
			// Twilio may have it: never sent again; a callback that names
			// it settles it.
			return outcome{kind: awaiting, until: step.Until}, nil
		case conversation.StepExpireOutcome:
			ev, err := s.cfg.Steps.Expire.Handle(ctx, commands.ExpireOutcome{MessageRef: ref, Wait: s.cfg.OutcomeWait})
			if err != nil {
				return outcome{}, err
			}
			if ev != nil {
				log.Warn("no status callback settled an attempt whose outcome is unknown; recorded failed, outcome unknown", "waited", s.cfg.OutcomeWait)
			}
		case conversation.StepRetryLater:
			if !step.Until.After(waited) {
				if err := s.attempt(ctx, ref, m, log); err != nil {
					return outcome{}, err
				}
				continue
			}
			// The wait ends early when the log shows the message moved on
			// (a STOP canceled it): the customer's next texts, the opt-out
			// confirmation among them, wait behind it in its lane.
			woken, unwatch := s.work.watch(q.MessageID)
			if moved, err := s.movedOn(ctx, ref, now); err != nil || moved {
				unwatch()
				if err != nil {
					return outcome{}, err
				}
				continue
			}
			select {
			case <-s.cfg.After(step.Until.Sub(now)):
				waited = step.Until
			case <-woken:
			case <-ctx.Done():
				unwatch()
				return outcome{kind: abandoned}, nil
			}
			unwatch()
		case conversation.StepAttempt:
			if err := s.attempt(ctx, ref, m, log); err != nil {
				return outcome{}, err
			}
		}
	}
}

// movedOn reports whether message ref is no longer waiting to be attempted
// again (read once a change of it wakes the wait: one that came before the
// watch began is seen here).
func (s *Sender) movedOn(ctx context.Context, ref commands.MessageRef, now time.Time) (bool, error) {
	m, err := commands.LoadOutbound(ctx, s.cfg.Store, ref)
	if err != nil {
		return false, err
	}
	return conversation.NextStep(m, now, s.cfg.OutcomeWait).Kind != conversation.StepRetryLater, nil
}

// attempt decides, with the company and the consent as they stand, whether
// the message goes now, and if so sends it and records the outcome. It
// starts nothing once ctx has ended; once the attempt is decided, the call
// and the recording of its outcome run to their end whatever ctx does.
func (s *Sender) attempt(ctx context.Context, ref commands.MessageRef, m conversation.OutboundMessage, log *slog.Logger) error {
	release, err := s.work.acquire(ctx, m.From)
	if err != nil {
		return err
	}
	defer release()
	checks, err := commands.SendChecksFor(ctx, s.cfg.Store, ref)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err // stopping: no new call
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
	ev, err := s.cfg.Steps.Start.Handle(dctx, commands.StartSend{MessageRef: ref, Checks: checks})
	cancel()
	if err != nil {
		return err
	}
	switch ev := ev.(type) {
	case conversation.OutboundSendAttempted:
		s.send(ctx, ref, m, log)
	case conversation.OutboundMessageFailed:
		log.Info("queued message not sent", "reason", ev.Reason, "reason_code", ev.ReasonCode)
	}
	return nil
}

// send makes the attempt just recorded and records its outcome.
func (s *Sender) send(ctx context.Context, ref commands.MessageRef, m conversation.OutboundMessage, log *slog.Logger) {
	// The call runs to its end even when the sender stops: cut short, its
	// outcome would be unknown.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
	defer cancel()
	sent, err := s.cfg.Twilio.Send(sctx, twilio.Outbound{
		From: string(m.From), To: string(m.To), Body: m.Body,
		StatusCallback: twilio.StatusCallbackURL(s.cfg.StatusCallback, ref.CompanyID, ref.MessageID),
	})
	var se *twilio.SendError
	errors.As(err, &se)
	switch carrierAnswer(err).Meaning() {
	case conversation.AnswerSent:
		log.Info("text sent", "sid", sent.SID, "twilio_status", sent.Status)
		s.record(ctx, log, func(ctx context.Context) error {
			_, err := s.cfg.Steps.RecordResult.Handle(ctx, commands.RecordSendResult{MessageRef: ref, SID: sent.SID, TwilioStatus: sent.Status, ErrorCode: sent.ErrorCode})
			return err
		})
	case conversation.AnswerCarrierOptOut:
		// 21610: the customer replied STOP to Twilio, which blocks every text
		// from this number until START. Recorded on the message (error 21610,
		// carrier opt-out), then on the consent as a carrier-level opt-out
		// (no, actor twilio, no text); see ARCHITECTURE.md "Outbound texts".
		log.Warn("Twilio refused: the customer opted out at the carrier (21610)")
		s.record(ctx, log, func(ctx context.Context) error {
			if _, err := s.cfg.Steps.Fail.Handle(ctx, commands.FailSend{MessageRef: ref, ErrorCode: se.Code,
				Reason:     "Twilio refused: the customer has opted out of texts from this number (replied STOP); error 21610",
				ReasonCode: conversation.ReasonRefused, CarrierOptOut: true}); err != nil {
				return err
			}
			return s.carrierOptOut(ctx, ref, m.From, se.Code)
		})
	case conversation.AnswerSurelyNotTaken:
		log.Warn("Twilio did not take the text; it will be attempted again", "err", err, "retry_after", se.RetryAfter)
		s.record(ctx, log, func(ctx context.Context) error {
			ev, err := s.cfg.Steps.Defer.Handle(ctx, commands.DeferSend{MessageRef: ref,
				HTTPStatus: se.Status, ErrorCode: se.Code, Reason: err.Error(), RetryAfter: se.RetryAfter, Policy: s.policy()})
			if f, ok := ev.(conversation.OutboundMessageFailed); ok {
				log.Error("Twilio did not take the text in time; recorded failed", "reason", f.Reason, "error_code", f.ErrorCode)
			}
			return err
		})
	case conversation.AnswerRefused:
		log.Warn("Twilio refused the text", "err", err)
		s.record(ctx, log, func(ctx context.Context) error {
			_, err := s.cfg.Steps.Fail.Handle(ctx, commands.FailSend{MessageRef: ref, ErrorCode: se.Code,
				Reason: "Twilio refused: " + se.Message, ReasonCode: conversation.ReasonRefused})
			return err
		})
	default: // conversation.AnswerOutcomeUnknown
		// No answer (a timeout, a connection dropped once the request was
		// out), or an answer that names no message: Twilio may have it.
		log.Warn("the outcome of the send is unknown; the text is not sent again, and waits for a status callback",
			"err", err, "wait", s.cfg.OutcomeWait)
		unknown := commands.RecordOutcomeUnknown{MessageRef: ref, Reason: "no answer that says whether Twilio took it: " + err.Error()}
		s.record(ctx, log, func(ctx context.Context) error {
			_, err := s.cfg.Steps.OutcomeUnknown.Handle(ctx, unknown)
			return err
		})
	}
}

// record records the outcome of a send (step), trying again while the sender
// runs. The first try happens even when the sender is stopping: what Twilio
// answered is worth keeping. Should it never succeed, the attempt stays in
// flight: the next look at the message waits for a status callback.
func (s *Sender) record(ctx context.Context, log *slog.Logger, step func(context.Context) error) {
	wait := s.cfg.Backoff
	for {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.SendTimeout)
		err := step(rctx)
		cancel()
		if err == nil {
			return
		}
		log.Error("recording the outcome of a send failed", "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		wait = min(2*wait, s.cfg.MaxBackoff)
	}
}

// carrierOptOut records Twilio's refusal (errorCode, 21610) of the message
// sent from number from on the customer's consent: a carrier-level opt-out.
// It records nothing when it is recorded already.
func (s *Sender) carrierOptOut(ctx context.Context, ref commands.MessageRef, from phone.Number, errorCode int) error {
	_, err := s.cfg.Steps.CarrierOptOut.Handle(ctx, commands.RecordCarrierOptOut{MessageRef: ref, From: from, ErrorCode: errorCode})
	return err
}
