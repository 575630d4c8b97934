package app_test

// Download All and Download Message under clients that stop reading: an
// export holds no database connection while it waits for its client, is cut
// off once its client has taken nothing for a while, and a company runs a
// bounded number at once; webhooks, reads and other companies go on.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// seededThread is a thread whose messages a test wrote straight into the
// inbox's tables, and the CSV its exports must be.
type seededThread struct {
	id  uuid.UUID
	csv []byte // header and rows, as Download All and Download Message write them
}

// seedExport writes n inbound messages of about 1,500 bytes from customer
// into the company's inbox read model (straight into its tables: thousands
// of texts through webhooks and the projector would take minutes under
// -race, and the exports read nothing else). Three messages share each
// created_at, and within each such group the position runs against the
// insertion order, so that page boundaries fall inside ties.
func seedExport(t *testing.T, e *env, companyID, number, customer string, n int) seededThread {
	t.Helper()
	ctx := context.Background()
	th := seededThread{id: uuid.New()}
	base := time.Date(2030, 3, 1, 9, 0, 0, 0, time.UTC)
	if _, err := e.pool.Exec(ctx, `INSERT INTO threads (id, company_id, customer_phone, last_activity_at)
		VALUES ($1, $2, $3, $4)`, th.id, companyID, customer, base); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	cw := csv.NewWriter(&want)
	cw.UseCRLF = true
	_ = cw.Write(strings.Split(strings.TrimSuffix(exportHeaderLine, "\r\n"), ",")) // into a bytes.Buffer: it cannot fail
	filler := strings.Repeat("Is my appointment still on? ", 54)
	ids := make([]uuid.UUID, n)
	created := make([]time.Time, n)
	positions := make([]int64, n)
	bodies := make([]string, n)
	for i := range n {
		group, j := i/3, i%3
		ids[i] = uuid.New()
		created[i] = base.Add(time.Duration(group) * time.Second)
		positions[i] = int64(1_000_000 + 3*group + (2 - j))
		bodies[i] = fmt.Sprintf("%d %s", i, filler)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
		SELECT id, $2, $3, 'inbound', $4, $5, body, 'received', 'sms', created_at, position
		FROM unnest($1::uuid[], $6::text[], $7::timestamptz[], $8::bigint[]) AS s(id, body, created_at, position)`,
		ids, th.id, companyID, customer, number, bodies, created, positions); err != nil {
		t.Fatal(err)
	}
	// Oldest first, then by position: each group of three backwards.
	for g := 0; g < n; g += 3 {
		for i := min(g+2, n-1); i >= g; i-- {
			at := created[i]
			_ = cw.Write([]string{ids[i].String(), th.id.String(), at.Format("2006-01-02"), at.Format("15:04:05"),
				customer, customer, number, "received", bodies[i]})
		}
	}
	cw.Flush()
	th.csv = want.Bytes()
	return th
}

// stalledExport is a download whose client read the answer's head and
// then stopped reading, with a receive buffer too small to take the rest.
type stalledExport struct {
	conn   net.Conn
	status int
}

// startStalledExport asks for path and reads no more than the status line
// and headers: the server has started the export when it returns.
func startStalledExport(t *testing.T, e *env, token, path, minPos string) stalledExport {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			// Before connect, so the window stays small: the kernel then
			// takes a few kilobytes for the client, not megabytes.
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	conn, err := d.Dial("tcp", strings.TrimPrefix(e.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: smsinbox\r\nAuthorization: Bearer %s\r\nX-Min-Position: %s\r\n\r\n", path, token, minPos); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReaderSize(conn, 4096), nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return stalledExport{conn: conn, status: resp.StatusCode}
}

// logTap passes the app's log records at Warn and above to a channel as
// well as to stderr (errors only), so a test can wait for what the server
// says it did.
type logTap struct {
	slog.Handler
	records chan slog.Record
}

func newLogTap() *logTap {
	return &logTap{
		Handler: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}),
		records: make(chan slog.Record, 256),
	}
}

func (l *logTap) Enabled(_ context.Context, level slog.Level) bool { return level >= slog.LevelWarn }

func (l *logTap) Handle(ctx context.Context, r slog.Record) error {
	select {
	case l.records <- r.Clone():
	default:
	}
	if r.Level >= slog.LevelError {
		return l.Handler.Handle(ctx, r)
	}
	return nil
}

func (l *logTap) WithAttrs(as []slog.Attr) slog.Handler {
	return &logTap{Handler: l.Handler.WithAttrs(as), records: l.records}
}
func (l *logTap) WithGroup(g string) slog.Handler {
	return &logTap{Handler: l.Handler.WithGroup(g), records: l.records}
}

// waitFor waits for n records whose message starts with prefix. The bound is
// only a guard that turns a server that never says it into a failure.
func (l *logTap) waitFor(t *testing.T, prefix string, n int) {
	t.Helper()
	guard := time.After(2 * time.Minute)
	for seen := 0; seen < n; {
		select {
		case r := <-l.records:
			if strings.HasPrefix(r.Message, prefix) {
				seen++
			}
		case <-guard:
			t.Fatalf("the server said %q %d times, want %d", prefix, seen, n)
		}
	}
}

// Six downloads whose clients stopped reading, two for each of three
// companies, take no database connection from webhooks, reads, or each
// other: texts are acknowledged and threads listed for every company while
// they hang. A third export of a company is refused (429 too_many_exports,
// Retry-After); once the stalled clients go, the slots free and a whole
// download reads back, byte for byte, what was seeded, across pages.
func TestExportsOfClientsThatStopReading(t *testing.T) {
	t.Parallel()
	logs := newLogTap()
	e := newEnvWith(t, envConfig{adminToken: adminTok, configure: func(c *app.Config) { c.Logger = slog.New(logs) }})
	a, b, c := e.newTenant("Acme", numA), e.newTenant("Bolt", numB), e.newTenant("Cove", numA2)
	// About 8 MB of CSV each: twice what the server's socket buffer and the
	// client's small receive buffer take together, so each export blocks.
	const n = 5000
	seeded := map[string]seededThread{}
	for _, tn := range []tenant{a, b, c} {
		seeded[tn.ID] = seedExport(t, e, tn.ID, tn.MessagingNumber, cust5, n)
	}
	head := e.head()
	threadCSV := func(tn tenant) string { return "/api/threads/" + seeded[tn.ID].id.String() + "/export.csv" }
	stalled := []stalledExport{
		startStalledExport(t, e, a.agent, "/api/messages/export.csv", head),
		startStalledExport(t, e, a.agent, "/api/messages/export.csv", head),
		startStalledExport(t, e, b.agent, "/api/messages/export.csv", head),
		startStalledExport(t, e, b.agent, threadCSV(b), head),
		startStalledExport(t, e, c.agent, threadCSV(c), head),
		startStalledExport(t, e, c.agent, threadCSV(c), head),
	}
	// Webhooks are acknowledged and recorded, and every company's threads
	// are listed once the read models have applied them.
	for _, tn := range []tenant{a, b, c} {
		pos := e.deliver(e.inboundParams(tn.MessagingNumber, cust1, "Still there, "+tn.Name+"?"))
		th, ok := threadByPhone(e.list(tn.agent, "", pos).Threads, cust1)
		if !ok || th.LastMessagePreview != "Still there, "+tn.Name+"?" {
			t.Fatalf("%s's Inbox does not show the text acknowledged while exports stalled: %+v", tn.Name, th)
		}
	}
	for i, s := range stalled {
		if s.status != http.StatusOK {
			t.Fatalf("stalled export %d: status %d", i, s.status)
		}
	}
	// A company runs two exports at once, whichever kind.
	for _, path := range []string{"/api/messages/export.csv", threadCSV(a)} {
		r := e.do(req{method: "GET", path: path, token: a.agent})
		expect(t, r, http.StatusTooManyRequests, "too_many_exports")
		if r.header.Get("Retry-After") == "" {
			t.Fatalf("429 without Retry-After: %v", r.header)
		}
	}
	expect(t, e.do(req{method: "GET", path: threadCSV(c), token: c.agent}), http.StatusTooManyRequests, "too_many_exports")

	// The clients go away: every stalled export ends, its slot is free, and
	// a whole download is exactly what was seeded.
	for _, s := range stalled {
		s.conn.Close()
	}
	logs.waitFor(t, "export cut short", len(stalled))
	for _, tn := range []tenant{a, b} {
		r := e.do(req{method: "GET", path: threadCSV(tn), token: tn.agent})
		expect(t, r, http.StatusOK, "")
		if !bytes.Equal(r.body, seeded[tn.ID].csv) {
			t.Fatalf("%s's Download Message (%d bytes) is not the seeded thread's CSV (%d bytes)", tn.Name, len(r.body), len(seeded[tn.ID].csv))
		}
	}
	r, rows := e.export(c.agent, "/api/messages/export.csv")
	if !bytes.HasPrefix(r.body, seeded[c.ID].csv) || len(rows) != n+1 || rows[n][8] != "Still there, Cove?" {
		t.Fatalf("Cove's Download All: %d rows, want the %d seeded and then the text", len(rows), n)
	}
}

// A client that stops reading is cut off once it has taken nothing for the
// idle timeout, and its export's slot is free again.
func TestExportCutsOffAClientThatStopsReading(t *testing.T) {
	t.Parallel()
	logs := newLogTap()
	e := newEnvWith(t, envConfig{adminToken: adminTok, configure: func(c *app.Config) {
		c.Logger = slog.New(logs)
		c.Exports.PerCompany = 1
		c.Exports.IdleTimeout = 2 * time.Second
	}})
	a := e.newTenant("Acme", numA)
	th := seedExport(t, e, a.ID, numA, cust5, 5000)
	path := "/api/threads/" + th.id.String() + "/export.csv"
	s := startStalledExport(t, e, a.agent, path, e.head())
	if s.status != http.StatusOK {
		t.Fatalf("status %d", s.status)
	}
	expect(t, e.do(req{method: "GET", path: path, token: a.agent}), http.StatusTooManyRequests, "too_many_exports")

	// The client is still connected; the server gives up on it by itself.
	logs.waitFor(t, "export cut short: the client did not take it", 1)
	r := e.do(req{method: "GET", path: path, token: a.agent})
	expect(t, r, http.StatusOK, "")
	if !bytes.Equal(r.body, th.csv) {
		t.Fatalf("the download after the cut (%d bytes) is not the seeded CSV (%d bytes)", len(r.body), len(th.csv))
	}
	// What the stalled client gets when it reads at last is a broken
	// download, never a short file that looks whole.
	resp, err := io.ReadAll(s.conn)
	if err == nil && bytes.HasSuffix(resp, []byte("0\r\n\r\n")) {
		t.Fatalf("the stalled client got a whole answer")
	}
}
