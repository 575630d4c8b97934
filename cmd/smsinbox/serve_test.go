package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// An open live stream (GET /api/events) does not hold serve's graceful
// shutdown: http.Server.Shutdown waits for every request, and a stream
// never ends by itself, so serve ends the streams when it stops.
func TestServeShutdownEndsLiveStreams(t *testing.T) {
	port, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	cfg := config{DatabaseURL: pgtest.NewDatabase(t), ListenAddr: fmt.Sprintf("127.0.0.1:%d", port), AdminToken: adminToken}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, discardLogger()) }()

	call := func(method, path, token, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve is not ready: %v", err)
		}
		// The pace of the poll: readiness (the server listening, its
		// consumers claimed) signals nothing outside the server.
		time.Sleep(20 * time.Millisecond)
	}
	decode := func(resp *http.Response, v any) {
		t.Helper()
		defer resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: %d", resp.Request.URL.Path, resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var co struct{ ID string }
	decode(call("POST", "/api/admin/companies", adminToken, `{"name":"Acme","messaging_number":"+12025550123"}`), &co)
	var user struct{ Token string }
	decode(call("POST", "/api/admin/companies/"+co.ID+"/users", adminToken, `{"name":"Ann","role":"agent"}`), &user)

	stream := call("GET", "/api/events", user.Token, "")
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/events: %d", stream.StatusCode)
	}
	lines := bufio.NewScanner(stream.Body)
	for lines.Scan() && lines.Text() != "event: ready" {
	}

	stopped := time.Now()
	cancel() // what SIGTERM does
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("serve did not stop within 5 s with a live stream open")
	}
	for lines.Scan() {
	}
	if err := lines.Err(); err != nil {
		t.Fatalf("the stream did not end cleanly: %v", err)
	}
	t.Logf("serve stopped in %s", time.Since(stopped))
}

// PPROF_ADDR serves Go's profiles on the operator's address, and only
// there: the API's address does not answer them.
func TestServeProfilesOnTheOperatorsAddress(t *testing.T) {
	apiPort, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	opsPort, err := pgserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config{DatabaseURL: pgtest.NewDatabase(t), ListenAddr: fmt.Sprintf("127.0.0.1:%d", apiPort),
		PprofAddr: fmt.Sprintf("127.0.0.1:%d", opsPort)}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- serve(ctx, cfg, discardLogger()) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	get := func(url string) int {
		resp, err := http.Get(url)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ops := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/cmdline", opsPort)
	// The pace of the poll: the operator's listener signals nothing when it
	// is up (serve logs before it binds).
	for deadline := time.Now().Add(20 * time.Second); get(ops) != http.StatusOK; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the operator's address never answered")
		}
	}
	if code := get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/cmdline", apiPort)); code == http.StatusOK {
		t.Fatal("the API's address serves the profiles too")
	}
}
