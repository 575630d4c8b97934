package conversation_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// consentAfter is the customer's consent on ourNum after a form and the
// customer's texts (MessageSid, body), each decided by package consent.
func consentAfter(t *testing.T, texts ...[2]string) consent.State {
	t.Helper()
	cmds := []consent.Command{consent.RequestConsent{CompanyID: company, CustomerPhone: customer, MessagingNumber: ourNum, App: "form", At: at(0)}}
	for _, tx := range texts {
		cmds = append(cmds, consent.ReceiveInbound{CompanyID: company, CustomerPhone: customer, MessagingNumber: ourNum, To: ourNum,
			MessageSID: tx[0], Body: tx[1], At: at(0)})
	}
	var s consent.State
	for _, c := range cmds {
		evs, err := consent.Decide(s, c)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			s = consent.Evolve(s, e)
		}
	}
	return s
}

// text is an inbound text with SID sid and body at minute min.
func text(sid, body string, min int) conversation.MessageReceived {
	e := received(sid, min)
	e.Body = body
	return e
}

// One row per rule of SendChecks, decided with the attempt by StartSend.
func TestStartSendChecks(t *testing.T) {
	yes := consentAfter(t, [2]string{"SMyes", "YES"})
	stopped := consentAfter(t, [2]string{"SMyes", "YES"}, [2]string{"SMstop", "STOP"})
	restarted := consentAfter(t, [2]string{"SMyes", "YES"}, [2]string{"SMstop", "STOP"}, [2]string{"SMstart", "START"})
	pending := consentAfter(t)
	check := func(f func(*conversation.SendChecks)) conversation.SendChecks {
		c := conversation.SendChecks{CompanyFound: true, MessagingNumber: ourNum, SMSEnabled: true, Consent: yes}
		f(&c)
		return c
	}
	ok := check(func(*conversation.SendChecks) {})
	optOutType := text("SMcustom", "ARRÊTE", 2)
	optOutType.OptOutType = "STOP"
	automated := queued("M1", 1)
	automated.App, automated.Automated = "automated", true
	autoReply := automated
	autoReply.AutoReply = true

	tests := []struct {
		name   string
		thread []conversation.Event
		checks conversation.SendChecks
		// code is the reason code of the refusal, "" when it is attempted.
		code string
		// reason is a part of the refusal's reason.
		reason string
	}{
		{"consent yes on the number: attempted", events(queued("M1", 1)), ok, "", ""},
		{"the company is gone", events(queued("M1", 1)), check(func(c *conversation.SendChecks) { c.CompanyFound = false }), conversation.ReasonNotAllowed, "company does not exist"},
		{"the number changed since it was queued", events(queued("M1", 1)), check(func(c *conversation.SendChecks) { c.MessagingNumber = phone.Number("+12025550100") }),
			conversation.ReasonNotAllowed, "messaging number changed"},
		{"Messages turned off", events(queued("M1", 1)), check(func(c *conversation.SendChecks) { c.SMSEnabled = false }), conversation.ReasonNotAllowed, "Messages were turned off"},
		{"consent pending", events(queued("M1", 1)), check(func(c *conversation.SendChecks) { c.Consent = pending }), conversation.ReasonConsent, "consent is pending"},
		{"consent no after a STOP the consent has seen", events(queued("M1", 1), text("SMstop", "STOP", 2)), check(func(c *conversation.SendChecks) { c.Consent = stopped }),
			conversation.ReasonConsent, "consent is no"},
		{"consent yes, but on another number", events(queued("M1", 1)), check(func(c *conversation.SendChecks) {
			c.Consent.MessagingNumber = phone.Number("+12025550100")
		}), conversation.ReasonConsent, "consent is yes"},
		// The race: the STOP is in the thread, its consent event not yet read.
		{"a STOP in the thread that the consent read has not decided", events(queued("M1", 1), text("SMstop", "STOP", 2)), ok,
			conversation.ReasonConsent, "opt-out text SMstop"},
		{"a synonym (stop texting me) likewise", events(queued("M1", 1), text("SMstop", "stop texting me!", 2)), ok,
			conversation.ReasonConsent, "opt-out text SMstop"},
		{"Twilio's OptOutType STOP on a custom keyword likewise", events(queued("M1", 1), optOutType), ok, conversation.ReasonConsent, "opt-out text SMcustom"},
		{"a STOP the consent read has decided, then START: attempted", events(queued("M1", 1), text("SMstop", "STOP", 2), text("SMstart", "START", 3)),
			check(func(c *conversation.SendChecks) { c.Consent = restarted }), "", ""},
		{"an ordinary text the consent never decides: attempted", events(queued("M1", 1), text("SM2", "stop by at 5?", 2)), ok, "", ""},
		{"an old STOP (before consent was given again) that consent decided: attempted", events(text("SMstop", "STOP", 0), queued("M1", 1)),
			check(func(c *conversation.SendChecks) { c.Consent = restarted }), "", ""},
		// Automated texts go out whatever consent and Messages say.
		{"automated, consent no, Messages off", events(automated, text("SMstop", "STOP", 2)), check(func(c *conversation.SendChecks) {
			c.Consent, c.SMSEnabled = pending, false
		}), "", ""},
		{"automated, the company gone", events(automated), check(func(c *conversation.SendChecks) { c.CompanyFound = false }), conversation.ReasonNotAllowed, "company does not exist"},
		// The after-hours auto-reply is automated but bound by consent, as a staff text.
		{"auto-reply, consent yes: attempted", events(autoReply), ok, "", ""},
		{"auto-reply after a STOP the consent has seen", events(autoReply, text("SMstop", "STOP", 2)), check(func(c *conversation.SendChecks) { c.Consent = stopped }),
			conversation.ReasonConsent, "consent is no"},
		{"auto-reply, a STOP the consent read has not decided", events(autoReply, text("SMstop", "STOP", 2)), ok, conversation.ReasonConsent, "opt-out text SMstop"},
		{"auto-reply, Messages turned off", events(autoReply), check(func(c *conversation.SendChecks) { c.SMSEnabled = false }), conversation.ReasonNotAllowed, "Messages were turned off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.thread...), conversation.StartSend{MessageID: outID("M1"), Checks: tt.checks, At: at(5)})
			if err != nil || len(got) != 1 {
				t.Fatalf("%v %v", got, err)
			}
			if tt.code == "" {
				if want := attempted("M1", 1, 5); got[0] != want {
					t.Fatalf("%#v, want %#v", got[0], want)
				}
				return
			}
			f, isFail := got[0].(conversation.OutboundMessageFailed)
			if !isFail || f.ReasonCode != tt.code || !strings.Contains(f.Reason, tt.reason) || f.ErrorCode != 0 || !f.At.Equal(at(5)) {
				t.Fatalf("%#v, want failed %s (%q)", got[0], tt.code, tt.reason)
			}
		})
	}
}

// Twilio's OptOutType is kept on the inbound text.
func TestReceiveKeepsOptOutType(t *testing.T) {
	c := receive("SM1", 1)
	c.OptOutType = " STOP "
	got, err := conversation.Decide(conversation.State{}, c)
	if err != nil || len(got) != 1 || got[0].(conversation.MessageReceived).OptOutType != "STOP" {
		t.Fatalf("%#v %v", got, err)
	}
	s := given(got[0], text("SM2", "STOP", 2), text("SM3", "hello", 3))
	if !slices.Equal(s.OptOuts(), []string{"SM2", "SM1"}) {
		t.Fatalf("OptOuts = %v", s.OptOuts())
	}
}

// One row per rule of DeferSend with a RetryPolicy.
func TestDeferSendPolicy(t *testing.T) {
	policy := conversation.RetryPolicy{Backoff: time.Minute, MaxBackoff: 4 * time.Minute, GiveUpAfter: 10 * time.Minute}
	// attempts are the thread with n attempts of M1, the first at minute 1,
	// the last (in flight) at minute last.
	attempts := func(n, last int) []conversation.Event {
		evs := events(queued("M1", 0))
		for i := 1; i < n; i++ {
			evs = append(evs, attempted("M1", i, i), deferred("M1", i, i))
		}
		if n == 1 {
			last = 1
		}
		return append(evs, attempted("M1", n, last))
	}
	deferAt := func(min int, retryAfter time.Duration, p conversation.RetryPolicy) conversation.DeferSend {
		return conversation.DeferSend{MessageID: outID("M1"), HTTPStatus: 429, ErrorCode: 20429, Reason: "Too Many Requests",
			RetryAfter: retryAfter, Policy: p, At: at(min)}
	}
	deferredUntil := func(n, min int, until time.Time) conversation.Event {
		return conversation.OutboundSendDeferred{MessageID: outID("M1"), Thread: thread, Attempt: n, HTTPStatus: 429, ErrorCode: 20429,
			Reason: "Too Many Requests", RetryAt: until, At: at(min)}
	}
	tests := []struct {
		name   string
		given  []conversation.Event
		when   conversation.DeferSend
		then   conversation.Event // nil: failed, see reason
		reason string
	}{
		{"the first backoff", attempts(1, 1), deferAt(1, 0, policy), deferredUntil(1, 1, at(2)), ""},
		{"doubled", attempts(2, 2), deferAt(2, 0, policy), deferredUntil(2, 2, at(4)), ""},
		{"at most MaxBackoff", attempts(4, 4), deferAt(4, 0, policy), deferredUntil(4, 4, at(8)), ""},
		{"a longer Retry-After wins", attempts(1, 1), deferAt(1, 3*time.Minute, policy), deferredUntil(1, 1, at(4)), ""},
		{"a shorter Retry-After does not", attempts(2, 2), deferAt(2, time.Second, policy), deferredUntil(2, 2, at(4)), ""},
		{"just inside the budget", attempts(3, 7), deferAt(7, 4*time.Minute, policy), deferredUntil(3, 7, at(11)), ""},
		{"past the budget: failed with Twilio's code", attempts(3, 8), deferAt(8, 0, policy), nil, "in 3 attempts over 7m0s; last answer: Too Many Requests"},
		{"a Retry-After past the budget: failed", attempts(1, 1), deferAt(1, time.Hour, policy), nil, "it asked to wait 1h0m0s more"},
		{"MaxAttempts reached", attempts(3, 3), deferAt(3, 0, conversation.RetryPolicy{MaxAttempts: 3}), nil, "in 3 attempts"},
		{"no budget: deferred for ever", attempts(3, 500), deferAt(500, 0, conversation.RetryPolicy{Backoff: time.Minute}), deferredUntil(3, 500, at(501)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.given...), tt.when)
			if err != nil || len(got) != 1 {
				t.Fatalf("%v %v", got, err)
			}
			if tt.then != nil {
				if got[0] != tt.then {
					t.Fatalf("%#v\nwant %#v", got[0], tt.then)
				}
				return
			}
			f, ok := got[0].(conversation.OutboundMessageFailed)
			if !ok || f.ErrorCode != 20429 || f.ReasonCode != conversation.ReasonUnavailable || !strings.Contains(f.Reason, tt.reason) {
				t.Fatalf("%#v, want failed %q", got[0], tt.reason)
			}
		})
	}
}

// One row per rule of the unknown outcome: recorded once, settled by a
// callback, failed only once the wait is over.
func TestOutcomeUnknown(t *testing.T) {
	wait := 15 * time.Minute
	inFlight := events(queued("M1", 1), attempted("M1", 1, 2))
	unknown := conversation.OutboundSendOutcomeUnknown{MessageID: outID("M1"), Thread: thread, Attempt: 1, Reason: "no answer: timeout", At: at(3)}
	withUnknown := append(slices.Clone(inFlight), unknown)
	named := append(slices.Clone(withUnknown), changed("M1", "SMa", "sent", conversation.StatusSent, 0, 4))
	record := conversation.RecordOutcomeUnknown{MessageID: outID("M1"), Reason: "no answer: timeout", At: at(3)}
	expire := func(min int) conversation.ExpireOutcome {
		return conversation.ExpireOutcome{MessageID: outID("M1"), Wait: wait, At: at(min)}
	}
	tests := []struct {
		name  string
		given []conversation.Event
		when  conversation.Command
		then  string // the event type decided, "" for none
		err   error
	}{
		{"the call ended without an answer", inFlight, record, conversation.TypeOutboundSendOutcomeUnknown, nil},
		{"recorded once", withUnknown, record, "", nil},
		{"no attempt in flight", events(queued("M1", 1)), record, "", nil},
		{"without a reason", inFlight, conversation.RecordOutcomeUnknown{MessageID: outID("M1"), At: at(3)}, "", conversation.ErrInvalidCommand},
		{"expire before the wait is over", withUnknown, expire(16), "", nil},
		{"expire once the wait is over", withUnknown, expire(17), conversation.TypeOutboundMessageFailed, nil},
		{"expire an attempt found in flight (a crash mid-call)", inFlight, expire(17), conversation.TypeOutboundMessageFailed, nil},
		{"a callback named it: nothing to expire", named, expire(60), "", nil},
		{"expire without a wait", withUnknown, conversation.ExpireOutcome{MessageID: outID("M1"), At: at(60)}, "", conversation.ErrInvalidCommand},
		// Never attempted again while the outcome is unknown.
		{"no second attempt", withUnknown, start("M1", 60), "", nil},
		// A status callback that names the message settles it.
		{"a callback names it", withUnknown, callback("M1", "SMa", "sent", 0, 4), conversation.TypeOutboundMessageStatusChanged, nil},
		{"Twilio's SID recorded from a callback's message ID", withUnknown,
			conversation.RecordSent{MessageID: outID("M1"), TwilioSID: "SMa", TwilioStatus: "queued", At: at(4)}, conversation.TypeOutboundMessageSent, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.given...), tt.when)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			var types []string
			for _, e := range got {
				types = append(types, e.EventType())
			}
			if want := []string{tt.then}; (tt.then == "" && len(got) != 0) || (tt.then != "" && !slices.Equal(types, want)) {
				t.Fatalf("decided %v, want %q", types, tt.then)
			}
			if f, ok := firstFailed(got); ok && (f.ReasonCode != conversation.ReasonOutcomeUnknown || !strings.Contains(f.Reason, "outcome unknown")) {
				t.Fatalf("failed %#v", f)
			}
		})
	}
	// The state: sending, in flight, its call over; a callback settles it.
	s := given(withUnknown...)
	if m, _ := s.Outbound(outID("M1")); m.Status != conversation.StatusSending || !m.InFlight || !m.OutcomeUnknown || m.WaitsToBeSent() {
		t.Fatalf("unknown %+v", m)
	}
	s = given(named...)
	if m, _ := s.Outbound(outID("M1")); m.Status != conversation.StatusSent || m.InFlight || m.OutcomeUnknown || m.SID != "SMa" {
		t.Fatalf("named %+v", m)
	}
}

func firstFailed(evs []conversation.Event) (conversation.OutboundMessageFailed, bool) {
	for _, e := range evs {
		if f, ok := e.(conversation.OutboundMessageFailed); ok {
			return f, true
		}
	}
	return conversation.OutboundMessageFailed{}, false
}

// One row per case of NextStep.
func TestNextStep(t *testing.T) {
	wait := 15 * time.Minute
	deferredTo := func(until int) conversation.Event {
		d := deferred("M1", 1, 3)
		d.RetryAt = at(until)
		return d
	}
	unknown := conversation.OutboundSendOutcomeUnknown{MessageID: outID("M1"), Thread: thread, Attempt: 1, Reason: "timeout", At: at(3)}
	tests := []struct {
		name  string
		given []conversation.Event
		now   int
		want  conversation.Step
	}{
		{"queued", events(queued("M1", 1)), 2, conversation.Step{Kind: conversation.StepAttempt}},
		{"deferred, too early", events(queued("M1", 1), attempted("M1", 1, 2), deferredTo(6)), 5, conversation.Step{Kind: conversation.StepRetryLater, Until: at(6)}},
		{"deferred, time", events(queued("M1", 1), attempted("M1", 1, 2), deferredTo(6)), 6, conversation.Step{Kind: conversation.StepAttempt}},
		{"in flight, the call going on or lost", events(queued("M1", 1), attempted("M1", 1, 2)), 3, conversation.Step{Kind: conversation.StepAwaitOutcome, Until: at(17)}},
		{"outcome unknown, waiting", events(queued("M1", 1), attempted("M1", 1, 2), unknown), 16, conversation.Step{Kind: conversation.StepAwaitOutcome, Until: at(17)}},
		{"outcome unknown, the wait over", events(queued("M1", 1), attempted("M1", 1, 2), unknown), 17, conversation.Step{Kind: conversation.StepExpireOutcome}},
		{"named by Twilio", events(queued("M1", 1), attempted("M1", 1, 2), sent("M1", "SMa", "queued", conversation.StatusSending, 3)), 4, conversation.Step{Kind: conversation.StepNamed}},
		{"failed", events(queued("M1", 1), failed("M1", 0, "x", 2)), 4, conversation.Step{Kind: conversation.StepFinal}},
		{"scheduled, not released", events(scheduled("M1", noon, noon+60)), noon + 61, conversation.Step{Kind: conversation.StepNotReleased}},
		{"canceled", events(queued("M1", 1), canceledBy("M1", conversation.CancelConsent, 2)), 4, conversation.Step{Kind: conversation.StepFinal}},
	}
	for _, tt := range tests {
		m, _ := given(tt.given...).Outbound(outID("M1"))
		if got := conversation.NextStep(m, at(tt.now), wait); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestRetryPolicyWait(t *testing.T) {
	p := conversation.RetryPolicy{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, p.Wait(n))
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(got, want) {
		t.Fatalf("waits %v, want %v", got, want)
	}
}

// The staff texts whose call may be under way, which an opt-out waits for.
func TestCallsUnderWay(t *testing.T) {
	automated := queued("A1", 1)
	automated.App, automated.Automated = "automated", true
	unknown := conversation.OutboundSendOutcomeUnknown{MessageID: outID("M3"), Thread: thread, Attempt: 1, Reason: "timeout", At: at(6)}
	s := given(
		queued("M1", 1), attempted("M1", 1, 5), // under way
		queued("M2", 1), attempted("M2", 1, 2), // too old
		queued("M3", 1), attempted("M3", 1, 5), unknown, // its call ended
		queued("M4", 1), attempted("M4", 1, 5), sent("M4", "SMa", "queued", conversation.StatusSending, 6), // answered
		queued("M5", 1),                  // not attempted
		automated, attempted("A1", 1, 5), // automated
	)
	if got := s.CallsUnderWay(at(4)); !slices.Equal(got, []uuid.UUID{outID("M1")}) {
		t.Fatalf("CallsUnderWay = %v, want M1 %v", got, outID("M1"))
	}
}
