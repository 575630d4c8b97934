package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/projections"
)

// TestReadReplica runs `smsinbox serve` with DATABASE_URL on a private
// primary and READ_DATABASE_URL on a streaming replica of it (pg_basebackup
// -R), and shows that the query endpoints read the replica while
// X-Min-Position still reads the caller's writes: the wait is on the
// replica's own copy of the checkpoints. Pausing the replica's replay
// (pg_wal_replay_pause) proves where the reads go: the primary's read models
// hold a text that the thread, read through smsinbox, does not; a read that
// asks for it waits and is answered 503 not_ready after the bound, while a
// command on the same thread (which reads the primary) goes through; once
// replay resumes, a waiting read answers with the text.
func TestReadReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL primary and replica and runs the binary")
	}
	ctx := context.Background()
	primary, replica := primaryAndReplica(t)
	e := newFaultEnvOn(t, primary)
	db := databaseOf(t, e.dbURL)
	s := e.startServerWith("replica-reader", "READ_DATABASE_URL="+replica.URL(db))
	onPrimary := projections.Progress{Pool: e.pool, Names: projections.ReadModelNames()}
	replicaPool := testPool(t, replica.URL(db))

	// Read your writes across the replica.
	const customer = "+12025550111"
	first := e.textAt(s, customer, "First text, through the replica")
	code, _, bodies := e.readThread(s, customer, first)
	if code != http.StatusOK || !slices.Contains(bodies, "First text, through the replica") {
		t.Fatalf("GET the thread with X-Min-Position %d: %d %q; want 200 with the text", first, code, bodies)
	}

	// The replica stops replaying; the primary takes a second text and
	// its read models apply it.
	if _, err := replicaPool.Exec(ctx, `SELECT pg_wal_replay_pause()`); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.poll("the replica's replay paused", func(ctx context.Context) bool {
		var state string
		err := replicaPool.QueryRow(ctx, `SELECT pg_get_wal_replay_pause_state()`).Scan(&state)
		return err == nil && state == "paused"
	}); !ok {
		t.FailNow()
	}
	second := e.textAt(s, customer, "Second text, not replayed yet")
	wctx, cancel := context.WithTimeout(ctx, faultDeadline)
	defer cancel()
	if err := onPrimary.WaitFor(wctx, eventstore.Position(second)); err != nil {
		t.Fatalf("the primary's read models never reached %d: %v", second, err)
	}
	var onPrimaryRows int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE body = 'Second text, not replayed yet'`).Scan(&onPrimaryRows); err != nil || onPrimaryRows != 1 {
		t.Fatalf("the primary's messages hold the second text %d times (%v); want once", onPrimaryRows, err)
	}

	// smsinbox reads the replica: without X-Min-Position the thread does
	// not show the second text yet; with it, the read waits and gives up
	// after the bound (503 not_ready, the contract of X-Min-Position).
	code, _, bodies = e.readThread(s, customer, 0)
	if code != http.StatusOK || slices.Contains(bodies, "Second text, not replayed yet") || !slices.Contains(bodies, "First text, through the replica") {
		t.Fatalf("GET the thread while the replica is paused: %d %q; want 200 with the first text only", code, bodies)
	}
	code, errCode, _ := e.readThread(s, customer, second)
	if code != http.StatusServiceUnavailable || errCode != "not_ready" {
		t.Fatalf("GET the thread with X-Min-Position %d while the replica is paused: %d %s; want 503 not_ready", second, code, errCode)
	}
	// A command waits on the primary and acts on the primary's threads.
	pctx, pcancel := context.WithTimeout(ctx, webhookBound)
	defer pcancel()
	if code, err := e.callWith(pctx, s, "POST", "/api/threads/"+e.threadID(customer)+"/read", e.token, "",
		http.Header{"X-Min-Position": {fmt.Sprint(second)}}, nil); code != http.StatusOK {
		t.Fatalf("mark the thread read with X-Min-Position %d while the replica is paused: %d %v", second, code, err)
	}

	// A read that waits is answered once the replica replays again.
	type answer struct {
		code   int
		bodies []string
	}
	answered := make(chan answer, 1)
	go func() {
		code, _, bodies := e.readThread(s, customer, second)
		answered <- answer{code, bodies}
	}()
	if _, ok := e.poll("the read waiting for the replica", func(ctx context.Context) bool { return e.positionWaits(ctx, s) > 0 }); !ok {
		t.FailNow()
	}
	if _, err := replicaPool.Exec(ctx, `SELECT pg_wal_replay_resume()`); err != nil {
		t.Fatal(err)
	}
	if a := <-answered; a.code != http.StatusOK || !slices.Contains(a.bodies, "Second text, not replayed yet") {
		t.Fatalf("GET the thread with X-Min-Position %d after replay resumed: %d %q; want 200 with the second text", second, a.code, a.bodies)
	}
}

// primaryAndReplica starts a private primary and a streaming replica of it,
// both of this test's own (a paused replica must hold up no other test).
func primaryAndReplica(t *testing.T) (primary, replica *pgserver.Cluster) {
	t.Helper()
	// Not t.TempDir: its parent is closed to the postgres user, who owns
	// the clusters when the tests run as root.
	dir, err := os.MkdirTemp("", "smsinbox-replica-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) }) // runs after the clusters stop
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := func(name string, run func(port int) (*pgserver.Cluster, error)) *pgserver.Cluster {
		port, err := pgserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		c, err := run(port)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		t.Cleanup(func() { _ = c.Stop(context.Background()) })
		return c
	}
	ctx := context.Background()
	primary = start("primary", func(port int) (*pgserver.Cluster, error) {
		return pgserver.Start(ctx, filepath.Join(dir, "primary"), port, discardLogger())
	})
	replica = start("replica", func(port int) (*pgserver.Cluster, error) {
		return pgserver.StartReplica(ctx, primary, filepath.Join(dir, "replica"), port, discardLogger())
	})
	return primary, replica
}

func databaseOf(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	return cfg.Database
}

func testPool(t *testing.T, url string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// textAt posts a signed inbound text from customer to s, as Twilio does,
// and answers the position it was appended at (the webhook's
// X-Event-Position).
func (e *faultEnv) textAt(s *serverProc, customer, body string) int64 {
	e.t.Helper()
	params, err := twilio.NewInboundParams(faultNumber, customer, body, faultAccountSID)
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), webhookBound)
	defer cancel()
	resp, err := twilio.PostInbound(ctx, e.client, s.base, faultAuthToken, params)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	pos, err := strconv.ParseInt(resp.Header.Get("X-Event-Position"), 10, 64)
	if resp.StatusCode != http.StatusOK || err != nil || pos <= 0 {
		e.t.Fatalf("the webhook of %q answered %d, X-Event-Position %q", body, resp.StatusCode, resp.Header.Get("X-Event-Position"))
	}
	return pos
}

// readThread gets customer's thread from s, with X-Min-Position when
// minPosition > 0, and answers the status, the error code of a refusal and
// the bodies of the thread's messages. It reports failures with Errorf
// only: a test may call it from a goroutine of its own.
func (e *faultEnv) readThread(s *serverProc, customer string, minPosition int64) (status int, code string, bodies []string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), webhookBound)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", s.base+"/api/threads/"+e.threadID(customer), nil)
	if err != nil {
		e.t.Error(err)
		return 0, "", nil
	}
	req.Header.Set("Authorization", "Bearer "+e.token)
	if minPosition > 0 {
		req.Header.Set("X-Min-Position", fmt.Sprint(minPosition))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Error(err)
		return 0, "", nil
	}
	defer resp.Body.Close()
	var body struct {
		Messages []struct {
			Body string `json:"body"`
		} `json:"messages"`
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil && err != io.EOF {
		e.t.Errorf("GET the thread: %d, %v", resp.StatusCode, err)
	}
	for _, m := range body.Messages {
		bodies = append(bodies, m.Body)
	}
	return resp.StatusCode, body.Error.Code, bodies
}

// positionWaits is s's gauge of requests waiting for X-Min-Position (-1
// when /metrics does not answer it).
func (e *faultEnv) positionWaits(ctx context.Context, s *serverProc) int {
	req, err := http.NewRequestWithContext(ctx, "GET", s.base+"/metrics", nil)
	if err != nil {
		return -1
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		var n float64
		if _, err := fmt.Sscanf(line, "smsinbox_http_position_waits %g", &n); err == nil {
			return int(n)
		}
	}
	return -1
}
