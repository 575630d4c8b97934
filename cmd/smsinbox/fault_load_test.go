package main

// The fault tests' webhook load and its accounting: which texts the
// servers acknowledged, whether each is recorded exactly once, and whether
// Twilio was handed any text twice.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/commands"
)

// ackedText is an inbound text a server acknowledged (200): smsinbox
// promised to keep it.
type ackedText struct {
	sid, from, body string
	at              time.Time
}

// loadConfig shapes a webhook load.
type loadConfig struct {
	max         int // texts posted at most
	concurrency int // callers posting at once
	customers   int // distinct customers, texting in turn (40)
	bodySize    int // the texts' length in characters (short when 0)
	// failFast ends the load at the first text not acknowledged.
	failFast bool
}

// webhookLoad posts signed inbound texts to the servers, in turn, from
// concurrency callers until it is stopped or has posted max, and records
// which were acknowledged. A caller whose text was not acknowledged (a
// server down, a database restarting) pauses 20 ms before its next text:
// the pace of a client, not a wait.
type webhookLoad struct {
	e       *faultEnv
	cfg     loadConfig
	targets []*serverProc

	mu      sync.Mutex
	posted  int
	acked   []ackedText
	failed  int
	lastErr error // of the last text not acknowledged
	acks    change
	stopped chan struct{}
	done    chan struct{}
}

// loadCustomer is the i-th customer of a load: +1 202 4XX XXXX.
func loadCustomer(i int) string { return fmt.Sprintf("+1202%03d%04d", 400+i/10000, i%10000) }

func (e *faultEnv) startLoad(cfg loadConfig, targets ...*serverProc) *webhookLoad {
	if cfg.customers == 0 {
		cfg.customers = 40
	}
	l := &webhookLoad{e: e, cfg: cfg, targets: targets, stopped: make(chan struct{}), done: make(chan struct{})}
	var wg sync.WaitGroup
	for range cfg.concurrency {
		wg.Go(l.caller)
	}
	go func() { wg.Wait(); close(l.done) }()
	e.t.Cleanup(func() { l.stop() })
	return l
}

func (l *webhookLoad) caller() {
	pause := time.NewTimer(0)
	defer pause.Stop()
	for {
		l.mu.Lock()
		n := l.posted
		if n >= l.cfg.max || l.halted() {
			l.mu.Unlock()
			return
		}
		l.posted++
		l.mu.Unlock()
		target := l.targets[n%len(l.targets)]
		if !target.running() { // a server killed on purpose: the next one
			target = l.targets[(n+1)%len(l.targets)]
		}
		from := loadCustomer(n % l.cfg.customers)
		body := fmt.Sprintf("Fault text %d: is Tuesday at 10 still ok?", n)
		if pad := l.cfg.bodySize - len(body); pad > 0 {
			body += " " + strings.Repeat("x", pad-1)
		}
		sid, status, err := l.e.postWebhook(context.Background(), target, from, body)
		acked := status == http.StatusOK
		l.mu.Lock()
		if acked {
			l.acked = append(l.acked, ackedText{sid: sid, from: from, body: body, at: time.Now()})
			l.acks.notify()
		} else {
			l.failed++
			l.lastErr = err
			if l.cfg.failFast {
				l.halt()
			}
		}
		l.mu.Unlock()
		if !acked {
			pause.Reset(20 * time.Millisecond)
			select {
			case <-pause.C:
			case <-l.stopped:
				return
			}
		}
	}
}

// ackedCount is how many texts have been acknowledged so far.
func (l *webhookLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// awaitAcked waits until n texts in all have been acknowledged.
func (l *webhookLoad) awaitAcked(n int) bool {
	l.e.t.Helper()
	if !l.acks.await(func() bool { return l.ackedCount() >= n }, l.done) {
		l.mu.Lock()
		failed, last := l.failed, l.lastErr
		l.mu.Unlock()
		l.e.t.Errorf("waited for %d texts acknowledged; the load has %d, and %d not acknowledged (the last: %v; it ended: %v)",
			n, l.ackedCount(), failed, last, closed(l.done))
		return false
	}
	return true
}

// awaitDone waits until every text has been posted.
func (l *webhookLoad) awaitDone() {
	<-l.done
}

// halted reports whether the load was told to end (l.mu held).
func (l *webhookLoad) halted() bool { return closed(l.stopped) }

// halt tells the callers to end (l.mu held).
func (l *webhookLoad) halt() {
	if !l.halted() {
		close(l.stopped)
	}
}

// stop ends the load (the texts in flight finish) and answers what it did.
func (l *webhookLoad) stop() (acked []ackedText, posted, failed int) {
	l.mu.Lock()
	l.halt()
	l.mu.Unlock()
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]ackedText(nil), l.acked...), l.posted, l.failed
}

// presence checks that every acknowledged text is recorded exactly once:
// one MessageReceived of its SID in the event store, and one message in its
// thread as GET /api/threads/{id} (on server s) shows it. It answers how
// many are present and how many are there more than once, and reports the
// others.
func (e *faultEnv) presence(s *serverProc, acked []ackedText) (present, dup int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), faultDeadline)
	defer cancel()
	sids := make([]string, len(acked))
	for i, a := range acked {
		sids[i] = a.sid
	}
	inStore := map[string]int{}
	rows, err := e.pool.Query(ctx, `SELECT data->>'message_sid', count(*) FROM es_events
		WHERE type = 'MessageReceived' AND data->>'message_sid' = ANY($1) GROUP BY 1`, sids)
	if err != nil {
		e.t.Fatal(err)
	}
	for rows.Next() {
		var sid string
		var n int
		if err := rows.Scan(&sid, &n); err != nil {
			e.t.Fatal(err)
		}
		inStore[sid] = n
	}
	rows.Close()

	inThread := map[string]int{} // by message ID
	byCustomer := map[string]bool{}
	for _, a := range acked {
		byCustomer[a.from] = true
	}
	for customer := range byCustomer {
		var th struct {
			Messages []struct {
				ID string `json:"id"`
			} `json:"messages"`
		}
		if code, err := e.call(ctx, s, "GET", "/api/threads/"+e.threadID(customer), e.token, "", &th); code != http.StatusOK {
			e.t.Errorf("GET the thread of %s: %v", customer, err)
			continue
		}
		for _, m := range th.Messages {
			inThread[m.ID]++
		}
	}
	var missing, twice []string
	for _, a := range acked {
		id := commands.InboundMessageID(a.sid).String()
		switch st, th := inStore[a.sid], inThread[id]; {
		case st == 0 || th == 0:
			missing = append(missing, fmt.Sprintf("%s (%d in the event store, %d in the thread)", a.sid, st, th))
		case st > 1 || th > 1:
			twice = append(twice, fmt.Sprintf("%s (%d in the event store, %d in the thread)", a.sid, st, th))
			present++
			dup++
		default:
			present++
		}
	}
	if len(missing) > 0 {
		e.t.Errorf("%d acknowledged texts are missing, e.g. %s", len(missing), strings.Join(missing[:min(5, len(missing))], ", "))
		for _, m := range missing[:min(3, len(missing))] {
			e.t.Logf("what the database holds of %s", e.explain(ctx, strings.Fields(m)[0]))
		}
	}
	if len(twice) > 0 {
		e.t.Errorf("%d acknowledged texts are recorded more than once, e.g. %s", len(twice), strings.Join(twice[:min(5, len(twice))], ", "))
	}
	return present, dup
}

// explain says what the database holds of the inbound text sid: its
// event, its message row, the consumers' checkpoints, and the events
// around it with whether each text among them has its row (a gap in what
// a projector applied shows there).
func (e *faultEnv) explain(ctx context.Context, sid string) string {
	var b strings.Builder
	var pos int64
	if err := e.pool.QueryRow(ctx, `SELECT position FROM es_events WHERE type = 'MessageReceived' AND data->>'message_sid' = $1`,
		sid).Scan(&pos); err != nil {
		return fmt.Sprintf("its event: %v", err)
	}
	var rows int
	_ = e.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE id = $1 OR twilio_sid = $2`, commands.InboundMessageID(sid), sid).Scan(&rows)
	fmt.Fprintf(&b, "its event is at %d, %d message rows; %s; around it:", pos, rows, e.lagReport())
	around, err := e.pool.Query(ctx, `SELECT ev.position, ev.type, ev.recorded_at, m.id IS NOT NULL
		FROM es_events ev LEFT JOIN messages m ON m.twilio_sid = ev.data->>'message_sid' AND ev.type = 'MessageReceived'
		WHERE ev.position BETWEEN $1 - 5 AND $1 + 5 ORDER BY ev.position`, pos)
	if err != nil {
		return b.String() + " " + err.Error()
	}
	defer around.Close()
	for around.Next() {
		var p int64
		var typ string
		var at time.Time
		var row bool
		if err := around.Scan(&p, &typ, &at, &row); err != nil {
			return b.String() + " " + err.Error()
		}
		fmt.Fprintf(&b, " [%d %s recorded %s row=%v]", p, typ, at.Format("15:04:05.000"), row)
	}
	return b.String()
}

// sentTwice checks that Twilio was handed no text twice: for each
// recipient and body, at most one request that Twilio may have taken (it
// accepted it, or gave no answer). Requests it refused (429, 5xx) may be
// tried again. It answers how many texts were handed over more than once.
func (e *faultEnv) sentTwice() int {
	e.t.Helper()
	counts := map[string]int{}
	for _, r := range e.fake.Requests() {
		if r.Status == http.StatusCreated || r.Status == 0 {
			counts[r.To+" "+r.Body]++
		}
	}
	var twice []string
	for k, n := range counts {
		if n > 1 {
			twice = append(twice, fmt.Sprintf("%dx %.60q", n, k))
		}
	}
	sort.Strings(twice)
	if len(twice) > 0 {
		e.t.Errorf("%d texts were handed to Twilio more than once: %s", len(twice), strings.Join(twice, "; "))
	}
	return len(twice)
}

// figures logs one line of a scenario's figures for the closing note:
// "fault: NAME: key=value ...". Durations are rounded to 10 ms; a negative
// one is "never".
func figures(t *testing.T, scenario string, kv ...any) {
	t.Helper()
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		v := kv[i+1]
		switch x := v.(type) {
		case time.Duration:
			v = x.Round(10 * time.Millisecond)
			if x < 0 {
				v = "never"
			}
		case string:
			if strings.ContainsAny(x, " \"") {
				v = fmt.Sprintf("%q", x)
			}
		case fmt.Stringer:
			if s := x.String(); strings.ContainsAny(s, " \"") {
				v = fmt.Sprintf("%q", s)
			}
		}
		fmt.Fprintf(&b, " %v=%v", kv[i], v)
	}
	line := fmt.Sprintf("fault: %s:%s", scenario, b.String())
	t.Log(line)
	// CI collects the figures of a run (go test prints t.Log only with -v
	// or on failure).
	if path := os.Getenv("SMSINBOX_FAULT_FIGURES"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Errorf("SMSINBOX_FAULT_FIGURES: %v", err)
			return
		}
		defer f.Close()
		status := ""
		if t.Failed() {
			status = " (FAILED)"
		}
		_, _ = fmt.Fprintf(f, "%s%s\n", line, status)
	}
}
