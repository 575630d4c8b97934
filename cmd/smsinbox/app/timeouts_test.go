package app_test

// The server's timeouts (app.NewServer): a slow body and an idle keep-alive
// are cut; the live stream and the exports, which last as long as their
// client reads, are not.

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// shortTimeouts are small enough to pass within a test, large enough for
// any ordinary request here.
var shortTimeouts = app.Timeouts{Read: 300 * time.Millisecond, Write: 300 * time.Millisecond, Idle: 300 * time.Millisecond}

// failsafe bounds how long a test waits for the server to close a
// connection. It is no threshold: the timeouts under test are a fraction of
// it, and a server without them never closes the connection at all.
const failsafe = 30 * time.Second

// timedServer serves the env's app through app.NewServer with timeouts t.
func (e *env) timedServer(t app.Timeouts) *httptest.Server {
	e.t.Helper()
	srv := httptest.NewUnstartedServer(e.app.Handler)
	srv.Config = app.NewServer("", e.app.Handler, t)
	srv.Start()
	e.t.Cleanup(srv.Close)
	return srv
}

// dial opens a raw connection to srv.
func dial(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// closedByServer reads conn until the server closes it and returns what
// came. It fails when the connection is still open at the failsafe.
func closedByServer(t *testing.T, conn net.Conn, what string) string {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(failsafe)); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server kept the connection open (read %q)", what, got)
	}
	return string(got)
}

// startSlowBody sends a request whose body never comes whole.
func startSlowBody(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	conn := dial(t, srv)
	_, err := io.WriteString(conn, "POST /api/admin/companies HTTP/1.1\r\nHost: smsinbox\r\nAuthorization: Bearer "+adminTok+
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":")
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestServerCutsASlowBody(t *testing.T) {
	e := newEnv(t)
	srv := e.timedServer(shortTimeouts)
	got := closedByServer(t, startSlowBody(t, srv), "a body that never ends")
	// What was read of it decided nothing.
	if strings.Contains(got, "201 Created") {
		t.Fatalf("a cut body created a company: %q", got)
	}
}

func TestServerClosesAnIdleKeepAlive(t *testing.T) {
	e := newEnv(t)
	srv := e.timedServer(shortTimeouts)
	conn := dial(t, srv)
	if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: smsinbox\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Close {
		t.Fatalf("GET /healthz: %d, close %v: the connection should stay for the next request", resp.StatusCode, resp.Close)
	}
	// Nothing more is sent: the connection idles until the server closes it.
	if err := conn.SetReadDeadline(time.Now().Add(failsafe)); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("an idle keep-alive is still open (read %q)", rest)
	}
}

// The live stream and a CSV export go on past the server's read and write
// timeouts. Proof that the timeouts have passed, without a clock: a slow
// body sent after the stream and the export began is cut, so their own
// deadlines (which started earlier) have passed too.
func TestLongLivedResponsesOutlastTheTimeouts(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	e.text(numA, cust1, "First")
	e.mustThread(a.agent, cust1)
	srv := e.timedServer(shortTimeouts)
	timed := *e
	timed.srv, timed.client = srv, srv.Client()

	stream := timed.events(a.agent, "", nil)
	stream.start()
	head, err := strconv.ParseUint(e.head(), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// The export waits for a position that comes only after the proof.
	export := make(chan response, 1)
	go func() {
		hr := timed.request(req{method: "GET", path: "/api/messages/export.csv", token: a.agent,
			header: map[string]string{"X-Min-Position": strconv.FormatUint(head+1, 10)}})
		resp, err := timed.client.Do(hr)
		if err != nil {
			export <- response{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			b = append(b, "\nread: "+err.Error()...)
		}
		export <- response{status: resp.StatusCode, header: resp.Header, body: b}
	}()
	e.waitForGauge("smsinbox_http_position_waits", 1)

	closedByServer(t, startSlowBody(t, srv), "the proof's slow body")

	e.text(numA, cust1, "Second") // moves past head: the export goes on
	stream.threadFrame(cust1, func(th thread) bool { return th.LastMessagePreview == "Second" })
	select {
	case r := <-export:
		expect(t, r, http.StatusOK, "")
		if !strings.Contains(string(r.body), "Second") || !strings.HasSuffix(string(r.body), "\r\n") {
			t.Fatalf("export: %q", r.body)
		}
	case <-time.After(failsafe):
		t.Fatal("the export never answered")
	}
}
