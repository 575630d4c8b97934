package app_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// With a query pool, the HTTP surface's reads never wait for a connection of
// the primary pool, which the projectors, the reactors and the sender hold
// for their transactions: with every connection of the primary pool taken,
// the thread list and a thread still answer, sign-in included (its look at
// the company's stream reads through the event store's own stream
// readers).
func TestQueryPoolServesReadsWhileThePrimaryPoolIsTaken(t *testing.T) {
	e := newEnvWith(t, envConfig{adminToken: adminTok, configure: func(c *app.Config) {
		q, err := pgxpool.New(context.Background(), c.Pool.Config().ConnString())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(q.Close)
		c.QueryPool = q
	}})
	ten := e.newTenant("Pool Dental", "+12025550150")
	const customer = "+12025550151"
	e.text(ten.MessagingNumber, customer, "Is Tuesday ok?")
	e.settled()
	id := conversation.ThreadID(ten.ID, phone.Number(customer)).String()

	// Take every connection of the primary pool, as consumers in the
	// middle of their transactions would.
	ctx := context.Background()
	for range e.pool.Config().MaxConns {
		conn, err := e.pool.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Release()
	}

	for _, path := range []string{"/api/threads", "/api/threads/" + id} {
		// The deadline only ends a request that waits for the primary
		// pool (which never frees a connection here); an answer is what
		// the test waits for.
		rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		r := e.request(req{method: "GET", path: path, token: ten.agent}).WithContext(rctx)
		resp, err := e.client.Do(r)
		if err != nil {
			cancel()
			t.Fatalf("GET %s while the primary pool is taken: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), id) {
			t.Fatalf("GET %s: %d %s, want 200 with thread %s", path, resp.StatusCode, body, id)
		}
	}
}
