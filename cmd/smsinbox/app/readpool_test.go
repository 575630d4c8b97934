package app_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// With a read pool, every query endpoint reads it and waits on its
// checkpoints, and everything else stays on the primary. Here the read pool
// is an empty database whose projectors never run, so its checkpoints never
// move: each query endpoint asked to wait answers 503 not_ready (it waits
// on the read pool), and reads without a wait find nothing there. Sign-in
// (the read pool has no users) and commands (their thread, their wait) go
// through on the primary. TestReadReplica (cmd/smsinbox) shows the same
// with a real streaming replica.
func TestReadPoolServesTheQueryEndpoints(t *testing.T) {
	e := newEnvWith(t, envConfig{adminToken: adminTok, configure: func(c *app.Config) {
		c.ReadPool = pgtest.NewPool(t)
		// The bound of each wait that can never end; those that can end
		// have nothing left to wait for when they are asked.
		c.PositionWait = 500 * time.Millisecond
	}})
	ten := e.newTenant("Replica Dental", "+12025550140")
	const customer = "+12025550141"
	e.text(ten.MessagingNumber, customer, "Is Tuesday ok?")
	id := conversation.ThreadID(ten.ID, phone.Number(customer)).String()
	head := e.head()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pos, err := strconv.ParseUint(head, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.Progress.WaitFor(ctx, eventstore.Position(pos)); err != nil {
		t.Fatalf("the primary's read models never reached %s: %v", head, err)
	}

	for _, path := range []string{
		"/api/threads",
		"/api/threads/" + id,
		"/api/search?q=tuesday",
		"/api/leads/" + uuid.NewString(),
		"/api/consent/" + customer,
		"/api/users",
		"/api/templates",
		"/api/threads/" + id + "/export.csv",
		"/api/messages/export.csv",
	} {
		t.Run("GET "+path, func(t *testing.T) {
			r := e.do(req{method: "GET", path: path, token: ten.agent, header: minPosHeader(head)})
			expect(t, r, http.StatusServiceUnavailable, "not_ready")
		})
	}

	t.Run("reads without a wait read the read pool", func(t *testing.T) {
		if got := e.list(ten.agent, "", "").Threads; len(got) != 0 {
			t.Fatalf("GET /api/threads lists %d threads; the read pool holds none", len(got))
		}
		expect(t, e.do(req{method: "GET", path: "/api/threads/" + id, token: ten.agent}), http.StatusNotFound, "not_found")
	})
	t.Run("commands and their waits use the primary", func(t *testing.T) {
		for _, path := range []string{"/api/threads/" + id + "/read", "/api/threads/" + id + "/archive"} {
			r := e.do(req{method: "POST", path: path, token: ten.agent, header: minPosHeader(head)})
			expect(t, r, http.StatusOK, "")
		}
	})
	t.Run("readiness checks the read pool", func(t *testing.T) {
		r := e.do(req{method: "GET", path: "/readyz"})
		var body struct{ Checks map[string]string }
		r.json(t, &body)
		if body.Checks["read_database"] != "ok" {
			t.Fatalf("/readyz checks %v; want read_database ok", body.Checks)
		}
	})
}
