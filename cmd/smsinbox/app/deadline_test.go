package app_test

// A database that stops answering must not hold a webhook (or any request
// that changes something) for as long as its client waits: the request's
// context is bounded, it answers 503, and Twilio delivers it again.

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

func TestWebhookAnswersWhileTheDatabaseHangs(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, envConfig{adminToken: adminTok, configure: func(c *app.Config) {
		// Short, so that the hang is answered soon; not so short that a
		// webhook on a busy machine misses it once the database answers.
		c.CommandTimeout = 2 * time.Second
	}})
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "before")

	// The database hangs: every read and write of the log waits on a lock
	// that this test holds.
	ctx := context.Background()
	conn, err := pgx.ConnectConfig(ctx, e.pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE es_events IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	p := e.inboundParams(numA, cust1, "while the database hangs")
	// Only a guard against the old behaviour (a webhook held for as long as
	// the database hangs) turning into a hung test; the server's bound is
	// the configured 2 s.
	post, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	hr, err := http.NewRequestWithContext(post, http.MethodPost, e.srv.URL+twilio.InboundPath, strings.NewReader(p.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set(twilio.SignatureHeader, twilio.Sign(app.SandboxToken, e.publicURL+twilio.InboundPath, p))
	resp, err := e.client.Do(hr)
	if err != nil {
		t.Fatalf("the webhook did not answer while the database hung: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: body}
	expect(t, r, http.StatusServiceUnavailable, "not_ready")

	// The database answers again; Twilio's next delivery is recorded, once.
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	e.deliver(p)
	e.deliver(p)
	th := e.mustThread(a.agent, cust1)
	n := 0
	for _, m := range e.get(a.agent, th.ID).Messages {
		if m.Body == "while the database hangs" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("the redelivered text is in the thread %d times, want once", n)
	}
}
