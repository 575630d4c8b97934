package main

// The fault suite: smsinbox run as operators run it (the real binary, one or
// two servers on one PostgreSQL, a Twilio that misbehaves), with faults
// made from outside: PostgreSQL restarted fast and immediately, the server
// that holds the consumers of the log killed, Twilio answering 500, 429
// with Retry-After, slowly or never, a graceful stop in the middle of a
// send, clients that download exports and never read them.
//
// Every scenario checks what must hold whatever happens: every text a
// server acknowledged is recorded exactly once; every consumer of the log
// comes back and catches up (lag zero); /readyz never says ready while a
// consumer is claimed by no one; no text is handed to Twilio twice; an
// opt-out is confirmed within 5 s of its webhook. Each logs its figures
// on lines starting "fault: " (recovery times, measured from outside by
// polling; counts). Waits are for conditions, bounded by faultDeadline; the
// only time bounds asserted are the product's own (5 s for a STOP
// confirmation, Twilio's 15 s for a webhook, Retry-After).

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// Customers of the scenarios (the load's are loadCustomer's).
const (
	stopperA = "+13035550101" // texts STOP after the first fault
	stopperB = "+13035550102" // texts STOP after the second
	replier  = "+13035550103" // consents; staff reply to them after a fault
)

// TestFaultPostgresRestart restarts PostgreSQL fast, then immediately,
// under webhook load, with one server: its consumers come back and catch
// up, the STOP texted right after each restart is confirmed in time, and a
// staff reply queued after it leaves.
func TestFaultPostgresRestart(t *testing.T) {
	pgRestartScenario(t, "pg-restart", 1)
}

// TestFaultPostgresRestartWithStandby is the same with two servers on the
// database: afterwards exactly one session holds each consumer, and
// nothing is recorded or sent twice.
func TestFaultPostgresRestartWithStandby(t *testing.T) {
	pgRestartScenario(t, "pg-restart-standby", 2)
}

func pgRestartScenario(t *testing.T, name string, servers int) {
	e := newFaultEnv(t)
	all := []*serverProc{e.startServer("a")}
	if servers == 2 {
		all = append(all, e.startServer("b"))
	}
	first, last := all[0], all[len(all)-1]
	e.pendingCustomer(first, stopperA)
	e.pendingCustomer(first, stopperB)
	e.consentingCustomer(first, replier)
	e.awaitLagZero()

	watch := e.watchReady(all...)
	load := e.startLoad(loadConfig{max: 20000, concurrency: 8}, all...)
	var lastUp time.Time
	for i, mode := range []string{"fast", "immediate"} {
		stopper := []string{stopperA, stopperB}[i]
		if !load.awaitAcked(load.ackedCount() + 150) {
			t.FailNow()
		}
		began := time.Now()
		if err := e.cluster.Restart(context.Background(), mode); err != nil {
			t.Fatal(err)
		}
		up := time.Now()
		lastUp = up
		var head int64
		e.poll("the event store answers after the restart", func(ctx context.Context) bool {
			var err error
			head, err = e.head(ctx)
			return err == nil
		})
		// Right away, while the consumers may still be coming back: a STOP
		// (through the last server, the standby when there are two) and a
		// staff reply.
		_, stopAcked := e.text(last, stopper, "STOP")
		replyText := "After the " + mode + " restart: Tuesday at 10 works."
		replyID, replyPos := e.replyAt(first, replier, replyText)

		_, ok := e.poll("every consumer past the event store's head of the restart", func(ctx context.Context) bool { return e.caughtUp(ctx, head) })
		consuming := time.Since(up)
		if !ok {
			t.Fatalf("the consumers did not come back after the %s restart: %s", mode, e.lagReport())
		}
		e.readsOwnWrite(last, "/api/threads/"+e.threadID(replier), replyPos)
		e.poll("every server ready", func(ctx context.Context) bool { return allReady(ctx, e, all) })
		var readyAfter []string
		for _, s := range all {
			saw, at := watch.recovery(s.name, began)
			if !saw {
				t.Errorf("server %s's /readyz never answered not ready after the %s restart", s.name, mode)
			}
			readyAfter = append(readyAfter, s.name+":"+since(up, at))
		}
		confirmed := e.stopConfirmation(stopper, stopAcked)
		sent, ok := e.awaitAccepted(replier, replyText)
		if ok {
			e.checkSentOnce(replyID, sent)
		}
		figures(t, name+"-"+mode, "pg_restart_took", up.Sub(began), "consuming_after", consuming,
			"ready_after", strings.Join(readyAfter, ","), "stop_confirmed_after", confirmed, "reply_sent_after", since(up, sent.Time))
	}
	if !load.awaitAcked(load.ackedCount() + 150) {
		t.FailNow()
	}
	acked, posted, _ := load.stop()
	lagZero := e.awaitLagZero()
	lagZeroAfter := time.Since(lastUp)
	if servers == 2 {
		e.poll("exactly one session holding each consumer", e.eachHeldOnce)
	}
	e.poll("every server ready", func(ctx context.Context) bool { return allReady(ctx, e, all) })
	watch.stop()
	lies := watch.checkTruthful()
	present, dup := e.presence(last, acked)
	figures(t, name, "posted", posted, "acked", len(acked), "present", present, "dup", dup, "sent_twice", e.sentTwice(),
		"set_aside", e.checkNothingSetAside(), "readyz_lies", lies, "lag_zero_after", lagZeroAfter, "lag_zero_after_load", lagZero)
}

// since is how long after from at came, rounded, or "never" for no time.
func since(from, at time.Time) string {
	if at.IsZero() {
		return "never"
	}
	return at.Sub(from).Round(10 * time.Millisecond).String()
}

// allReady reports whether every server answers ready.
func allReady(ctx context.Context, e *faultEnv, servers []*serverProc) bool {
	for _, s := range servers {
		if !e.ready(ctx, s) {
			return false
		}
	}
	return true
}

// TestFaultKillHolder kills (SIGKILL) the server that holds the consumers
// of the log, under webhook load, while a standby runs: the standby takes
// every consumer over and catches up, and nothing acknowledged is lost.
func TestFaultKillHolder(t *testing.T) {
	e := newFaultEnv(t)
	holder := e.startServer("a") // ready alone: it holds every consumer
	standby := e.startServer("b")
	e.pendingCustomer(standby, stopperA)
	e.consentingCustomer(standby, replier)
	e.awaitLagZero()

	watch := e.watchReady(standby)
	load := e.startLoad(loadConfig{max: 20000, concurrency: 8}, holder, standby)
	if !load.awaitAcked(300) {
		t.FailNow()
	}
	var head int64
	var before map[string][]int32 // the holder's sessions
	e.poll("the event store's head and the holder's sessions", func(ctx context.Context) bool {
		var err, err2 error
		head, err = e.head(ctx)
		before, err2 = e.holderPIDs(ctx)
		return err == nil && err2 == nil
	})
	killed := time.Now()
	_ = holder.stop(syscall.SIGKILL)
	_, stopAcked := e.text(standby, stopperA, "STOP")
	replyText := "After the kill: Tuesday at 10 works."
	replyID := e.reply(standby, replier, replyText)

	_, ok := e.poll("the standby holding every consumer", func(ctx context.Context) bool {
		now, err := e.holderPIDs(ctx)
		if err != nil {
			return false
		}
		for _, name := range e.consumers {
			if len(now[name]) != 1 || slices.Contains(before[name], now[name][0]) {
				return false
			}
		}
		return true
	})
	takeover := time.Since(killed)
	if !ok {
		t.Fatalf("the standby did not take over: %s", e.lagReport())
	}
	e.poll("every consumer past the head at the kill", func(ctx context.Context) bool { return e.caughtUp(ctx, head) })
	consuming := time.Since(killed)
	e.poll("the standby ready", func(ctx context.Context) bool { return e.ready(ctx, standby) })
	sawNotReady, readyAt := watch.recovery(standby.name, killed)
	readyAfter := since(killed, readyAt)
	if !sawNotReady {
		readyAfter = "not_seen_not_ready"
	}
	confirmed := e.stopConfirmation(stopperA, stopAcked)
	if sent, ok := e.awaitAccepted(replier, replyText); ok {
		e.checkSentOnce(replyID, sent)
	}
	if !load.awaitAcked(load.ackedCount() + 150) {
		t.FailNow()
	}
	acked, posted, _ := load.stop()
	e.awaitLagZero()
	lagZeroAfter := time.Since(killed)
	watch.stop()
	lies := watch.checkTruthful()
	present, dup := e.presence(standby, acked)
	figures(t, "kill-holder", "posted", posted, "acked", len(acked), "present", present, "dup", dup, "sent_twice", e.sentTwice(),
		"set_aside", e.checkNothingSetAside(),
		"takeover_after", takeover, "consuming_after", consuming, "ready_after", readyAfter, "lag_zero_after", lagZeroAfter,
		"stop_confirmed_after", confirmed, "readyz_lies", lies)
}

// TestFaultTwilio makes the fake Twilio misbehave for some customers while
// others are texted: 500s, 429 with Retry-After, slow answers, an answer
// that never comes. Each text is handed over at most once, and another
// customer's STOP confirmation is never held up past 5 s.
func TestFaultTwilio(t *testing.T) {
	e := newFaultEnv(t)
	s := e.startServer("a")

	t.Run("500-then-success", func(t *testing.T) {
		e := e.with(t)
		c := "+13125550201"
		e.consentingCustomer(s, c)
		e.fake.Script(c, twiliofake.Answer{Status: 500, Code: 20500, Message: "Internal Server Error"},
			twiliofake.Answer{Status: 500, Code: 20500, Message: "Internal Server Error"})
		text := "Twice 500, then sent."
		id := e.reply(s, c, text)
		sent, ok := e.awaitAccepted(c, text)
		if !ok {
			t.FailNow()
		}
		e.checkSentOnce(id, sent)
		figures(t, "twilio-500", "attempts", len(to(e.fake.Requests(), c, text)), "sent", len(to(e.fake.Sent(), c, text)))
	})

	t.Run("429-retry-after", func(t *testing.T) {
		e := e.with(t)
		c := "+13125550202"
		e.consentingCustomer(s, c)
		const retryAfter = time.Second
		limited := make([]twiliofake.Answer, 6)
		for i := range limited {
			limited[i] = twiliofake.Answer{Status: 429, Code: 20429, Message: "Too Many Requests", RetryAfter: "1"}
		}
		e.fake.Script(c, limited...)
		text := "Rate limited six times, then sent."
		id := e.reply(s, c, text)
		o := e.awaitOutcome(id)
		reqs := to(e.fake.Requests(), c, text)
		var gaps []string
		for i := 1; i < len(reqs); i++ {
			gap := reqs[i].Time.Sub(reqs[i-1].Time)
			gaps = append(gaps, gap.Round(10*time.Millisecond).String())
			if gap < retryAfter {
				t.Errorf("attempt %d came %s after a 429 with Retry-After: 1", i+1, gap.Round(time.Millisecond))
			}
		}
		if accepted := to(e.fake.Sent(), c, text); len(accepted) != 1 {
			t.Errorf("Twilio accepted the text %d times (%d attempts; recorded: %s); want once, after the 429s", len(accepted), len(reqs), o)
		} else {
			e.checkSentOnce(id, accepted[0])
		}
		figures(t, "twilio-429", "attempts", len(reqs), "gaps", strings.Join(gaps, ","), "outcome", o)
	})

	t.Run("slow", func(t *testing.T) {
		e := e.with(t)
		slow := []string{"+13125550211", "+13125550212", "+13125550213"}
		stopper := "+13125550214"
		for _, c := range slow {
			e.consentingCustomer(s, c)
		}
		e.pendingCustomer(s, stopper)
		ids := map[string]string{}
		for _, c := range slow {
			e.fake.Script(c, twiliofake.Answer{Delay: 3 * time.Second})
			ids[c] = e.reply(s, c, "A slow Twilio takes this one.")
		}
		if _, ok := e.awaitTwilio(slow[0], "A slow Twilio"); !ok { // the first slow call is in flight
			t.FailNow()
		}
		_, acked := e.text(s, stopper, "STOP")
		confirmed := e.stopConfirmation(stopper, acked)
		for _, c := range slow {
			if sent, ok := e.awaitAccepted(c, "A slow Twilio"); ok {
				e.checkSentOnce(ids[c], sent)
			}
		}
		figures(t, "twilio-slow", "slow_calls", len(slow), "call_delay", 3*time.Second, "stop_confirmed_after", confirmed)
	})

	t.Run("hang", func(t *testing.T) {
		e := e.with(t)
		hung, stopper := "+13125550221", "+13125550222"
		e.consentingCustomer(s, hung)
		e.pendingCustomer(s, stopper)
		release := e.fake.Hang(hung, 1)
		defer release()
		text := "Twilio never answers this one."
		id := e.reply(s, hung, text)
		if _, ok := e.awaitTwilio(hung, text); !ok { // the call hangs
			t.FailNow()
		}
		_, acked := e.text(s, stopper, "STOP")
		confirmed := e.stopConfirmation(stopper, acked)
		release()
		// Once released, Twilio answers: if smsinbox was still waiting for
		// that answer, it must record the text sent with its SID.
		ctx, cancel := context.WithTimeout(context.Background(), faultDeadline)
		defer cancel()
		if err := e.fake.Await(ctx, func() bool { return len(to(e.fake.Requests(), hung, text)) > 0 }); err != nil {
			t.Fatalf("the held request was never answered: %v", err)
		}
		answered := to(e.fake.Requests(), hung, text)[0]
		if answered.Status == http.StatusCreated {
			e.checkSentOnce(id, answered)
		}
		figures(t, "twilio-hang", "stop_confirmed_after", confirmed, "hung_text_requests", len(to(e.fake.Arrived(), hung, text)),
			"hung_call_status", answered.Status)
	})

	e.awaitLagZero()
	figures(t, "twilio", "sent_twice", e.sentTwice(), "requests", len(e.fake.Requests()), "accepted", len(e.fake.Sent()))
}

// to are the requests of reqs to customer with body.
func to(reqs []twiliofake.Request, customer, body string) []twiliofake.Request {
	var out []twiliofake.Request
	for _, r := range reqs {
		if r.To == customer && r.Body == body {
			out = append(out, r)
		}
	}
	return out
}

// TestFaultGracefulStopDuringSend stops (SIGTERM) the server that holds the
// sender while Twilio is slow to answer one of its calls, with a standby
// running: the text is recorded sent exactly once with Twilio's SID, never
// failed "outcome unknown" by the standby.
func TestFaultGracefulStopDuringSend(t *testing.T) {
	e := newFaultEnv(t)
	holder := e.startServer("a")
	standby := e.startServer("b")
	e.consentingCustomer(standby, replier)
	e.awaitLagZero()

	e.fake.Script(replier, twiliofake.Answer{Delay: 3 * time.Second})
	text := "Sent while the server stops."
	id := e.reply(standby, replier, text)
	if _, ok := e.awaitTwilio(replier, text); !ok { // the holder's call is in flight
		t.FailNow()
	}
	stopping := time.Now()
	if err := holder.stop(syscall.SIGTERM); err != nil {
		t.Errorf("the server stopped with %v, want a clean exit", err)
	}
	stopTook := time.Since(stopping)
	accepted, ok := e.awaitAccepted(replier, text)
	if !ok {
		t.FailNow()
	}
	o := e.checkSentOnce(id, accepted)
	var th struct {
		Messages []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"messages"`
	}
	e.awaitLagZero()
	e.mustCall(standby, "GET", "/api/threads/"+e.threadID(replier), e.token, "", &th)
	status := "missing"
	for _, m := range th.Messages {
		if m.ID == id {
			status = m.Status
		}
	}
	if status != "sending" {
		t.Errorf("the thread shows the text as %q, want sending (Twilio has it, no callback yet)", status)
	}
	e.poll("the standby ready", func(ctx context.Context) bool { return e.ready(ctx, standby) })
	figures(t, "graceful-stop", "stop_took", stopTook, "sent_events", len(o.sent), "failed_events", len(o.failed),
		"thread_status", status, "sent_twice", e.sentTwice())
}

// TestFaultSlowExportReaders downloads Download All from several clients
// that never read the body, on a company with enough messages to fill the
// sockets' buffers, beside webhook load: the webhooks are still
// acknowledged within Twilio's 15 s, and GET /api/threads still answers.
func TestFaultSlowExportReaders(t *testing.T) {
	e := newFaultEnv(t)
	s := e.startServer("a")
	seeding := time.Now()
	seeded := e.seedTexts(4000, 100, 1500)
	e.awaitLagZero()
	size := e.exportSize(s)
	seedTook := time.Since(seeding)

	const readers = 6
	stalled := e.stalledExports(s, readers)
	defer stalled.close()
	if !stalled.awaitStarted(1) { // the exports are streaming
		t.FailNow()
	}

	load := e.startLoad(loadConfig{max: 300, concurrency: 8, failFast: true}, s)
	probes := e.probeThreads(s, load)
	load.awaitDone()
	acked, posted, failed := load.stop()
	started := stalled.started()
	stalled.close()
	if failed > 0 || len(acked) != posted {
		t.Errorf("beside %d stalled exports, %d of %d webhooks were not acknowledged within %s", readers, posted-len(acked), posted, webhookBound)
	}
	if probes.failed > 0 {
		t.Errorf("beside %d stalled exports, GET /api/threads failed %d of %d times (within %s): %s",
			readers, probes.failed, probes.count, webhookBound, probes.lastErr)
	}
	e.awaitLagZero()
	present, dup := e.presence(s, acked)
	figures(t, "slow-exports", "seeded", seeded, "seed_took", seedTook, "export_bytes", size, "stalled_readers", readers, "exports_started", started,
		"posted", posted, "acked", len(acked), "present", present, "dup", dup,
		"threads_ok", probes.count-probes.failed, "threads_failed", probes.failed, "threads_slowest", probes.slowest)
}

// seedTexts records n inbound texts of bodySize characters from customers
// customers straight into the event store, each customer's in one append:
// the scenario needs the messages, not the webhooks' speed (the server's
// projectors take them in as any others). The events are decided by the
// conversation's own Decide, as the webhook's command decides them. It
// answers n.
func (e *faultEnv) seedTexts(n, customers, bodySize int) int {
	e.t.Helper()
	ctx := context.Background()
	store, err := postgres.New(ctx, e.pool, postgres.Config{})
	if err != nil {
		e.t.Fatal(err)
	}
	defer store.Close()
	for c := range customers {
		from := phone.Number(loadCustomer(c))
		var state conversation.State
		var batch []eventstore.EventData
		for i := c; i < n; i += customers {
			sid := twilio.NewSID("SM")
			body := fmt.Sprintf("Seeded text %d ", i)
			body += strings.Repeat("x", max(0, bodySize-len(body)))
			events, err := conversation.Decide(state, conversation.ReceiveMessage{MessageID: commands.InboundMessageID(sid),
				CompanyID: e.companyID, CustomerPhone: from, MessagingNumber: faultNumber, MessageSID: sid, Body: body,
				ReceivedAt: time.Now().UTC()})
			if err != nil {
				e.t.Fatal(err)
			}
			for _, ev := range events {
				state = conversation.Evolve(state, ev)
				data, err := json.Marshal(ev)
				if err != nil {
					e.t.Fatal(err)
				}
				batch = append(batch, eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: ev.EventType(),
					SchemaVersion: conversation.SchemaVersion, Data: data, OccurredAt: ev.OccurredAt(),
					Metadata: eventstore.Metadata{CorrelationID: sid, Actor: "customer:" + string(from)}})
			}
		}
		if _, err := store.Append(ctx, conversation.StreamID(e.companyID, from), eventstore.NoStream(), batch...); err != nil {
			e.t.Fatalf("seeding: %v", err)
		}
	}
	return n
}

// exportSize downloads Download All once, reading it all, and answers its
// size in bytes.
func (e *faultEnv) exportSize(s *serverProc) int64 {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), faultDeadline)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.base+"/api/messages/export.csv", nil)
	req.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("Download All: %d, %d bytes, %v", resp.StatusCode, n, err)
	}
	return n
}

// stalledExports are clients of Download All that send their request and
// read nothing of the answer but its status line, with a receive buffer
// of 4 KiB: the server's writes to them stall once the sockets' buffers
// are full.
type stalledExports struct {
	mu       sync.Mutex
	conns    []net.Conn
	statuses []string
	answers  change
	once     sync.Once
}

func (e *faultEnv) stalledExports(s *serverProc, n int) *stalledExports {
	e.t.Helper()
	x := &stalledExports{}
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) }); err != nil {
			return err
		}
		return serr
	}}
	host := strings.TrimPrefix(s.base, "http://")
	for range n {
		conn, err := dialer.Dial("tcp", host)
		if err != nil {
			e.t.Fatal(err)
		}
		x.conns = append(x.conns, conn)
		if _, err := fmt.Fprintf(conn, "GET /api/messages/export.csv HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", host, e.token); err != nil {
			e.t.Fatal(err)
		}
		go func() {
			line, _ := bufio.NewReaderSize(conn, 16).ReadString('\n') // the status line; then nothing
			x.mu.Lock()
			x.statuses = append(x.statuses, strings.TrimSpace(line))
			x.mu.Unlock()
			x.answers.notify()
		}()
	}
	e.t.Cleanup(x.close)
	return x
}

// awaitStarted waits until n of the exports have answered their status.
func (x *stalledExports) awaitStarted(n int) bool {
	return x.answers.await(func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		return len(x.statuses) >= n
	}, nil)
}

// started says how many exports answered, of how many, and with what.
func (x *stalledExports) started() string {
	x.mu.Lock()
	defer x.mu.Unlock()
	codes := map[string]int{}
	for _, st := range x.statuses {
		if f := strings.Fields(st); len(f) > 1 {
			codes[f[1]]++
		}
	}
	return fmt.Sprintf("%d/%d%v", len(x.statuses), len(x.conns), codes)
}

func (x *stalledExports) close() {
	x.once.Do(func() {
		for _, c := range x.conns {
			c.Close()
		}
	})
}

// threadProbes is what GET /api/threads answered while a load ran.
type threadProbes struct {
	count, failed int
	slowest       time.Duration
	lastErr       error
}

// probeThreads asks GET /api/threads (on s) every 100 ms, each within
// webhookBound, until the load is done or a probe fails, and answers what
// it saw.
func (e *faultEnv) probeThreads(s *serverProc, load *webhookLoad) *threadProbes {
	p := &threadProbes{}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), webhookBound)
		began := time.Now()
		code, err := e.call(ctx, s, "GET", "/api/threads?limit=50", e.token, "", nil)
		took := time.Since(began)
		cancel()
		p.count++
		p.slowest = max(p.slowest, took)
		if code != http.StatusOK {
			p.failed++
			p.lastErr = err
			return p
		}
		select {
		case <-load.done:
			return p
		case <-tick.C:
		}
	}
}
