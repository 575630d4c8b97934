package httpapi

import (
	"context"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"golang.org/x/sync/errgroup"

	"github.com/smsinbox/smsinbox/projections"
)

// exportHeader is the header row of docs/rules.md, Exports, exactly.
var exportHeader = []string{"Message ID", "Thread ID", "Created", "Time", "Full Name", "From", "To", "Status", "Message"}

// exportPageSize is how many messages one page query reads (and how many
// rows are written between flushes to the client). Smaller pages cost a
// query each; larger ones memory.
const exportPageSize = 5000

// routeExports adds the CSV exports (Download Message and Download All).
func (a *api) routeExports(api *mux.Router) {
	api.HandleFunc("/threads/{thread_id}/export.csv", longLived(a.waitForReads(a.messages(readMessages, a.exportThread)))).Methods(http.MethodGet)
	api.HandleFunc("/messages/export.csv", longLived(a.waitForReads(a.messages(readMessages, a.exportAll)))).Methods(http.MethodGet)
}

// exportThread is Download Message: the messages the thread shows.
func (a *api) exportThread(w http.ResponseWriter, r *http.Request, c caller) {
	leave, ok := a.exports.enter(c.Company.ID)
	if !ok {
		a.refuseExport(w, r)
		return
	}
	defer leave()
	t, err := threadIn(a.reads, r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeExport(w, r, c, projections.ExportScope{ThreadID: &t.ID}, "thread-"+t.ID.String())
}

// exportAll is Download All: every message of the company, hidden ones
// (the opt-out confirmation) included, since it is the company's record.
func (a *api) exportAll(w http.ResponseWriter, r *http.Request, c caller) {
	leave, ok := a.exports.enter(c.Company.ID)
	if !ok {
		a.refuseExport(w, r)
		return
	}
	defer leave()
	a.writeExport(w, r, c, projections.ExportScope{}, "messages")
}

// writeExport streams the CSV a page at a time: each page is read by a
// short query (its connection back in the pool before a byte is written)
// and written under a deadline that every write moves on, so a client that
// stops reading holds no connection and is cut off once it has taken
// nothing for the idle timeout. Once the header is out a failure cannot
// become an error answer: the connection is cut, so the client sees a
// broken download rather than a short file it takes for whole.
func (a *api) writeExport(w http.ResponseWriter, r *http.Request, c caller, scope projections.ExportScope, name string) {
	loc, err := time.LoadLocation(c.Company.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	cw, out, rc := a.startCSV(w, name+"-"+time.Now().In(loc).Format("2006-01-02")+".csv", exportHeader)
	n := 0
	err = flushCSV(cw, rc) // the header; the pages are written as they are
	if err == nil {
		err = a.exportPages(r.Context(), c.Company.ID, scope, loc, func(page exportPage) error {
			if _, err := out.Write(page.csv); err != nil {
				return err
			}
			n += page.rows
			return rc.Flush()
		})
	}
	if err != nil {
		a.abortExport(r, out, n, err)
	}
}

// startCSV answers 200 with a CSV download named name and writes its header
// row; the writer it returns writes to the client under the export's idle
// deadline (idleWriter).
func (a *api) startCSV(w http.ResponseWriter, name string, header []string) (*csv.Writer, *idleWriter, *http.ResponseController) {
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)

	rc := http.NewResponseController(w)
	out := &idleWriter{w: w, rc: rc, idle: a.exportIdle}
	cw := csv.NewWriter(out)
	cw.UseCRLF = true // RFC 4180 line breaks
	_ = cw.Write(header)
	return cw, out, rc
}

// flushCSV sends what cw holds to the client.
func flushCSV(cw *csv.Writer, rc *http.ResponseController) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return rc.Flush()
}

// abortExport ends a download that failed after its header went out: a
// status can no longer say so, so the connection is cut and the client sees
// a broken download, not a short file it takes for whole.
func (a *api) abortExport(r *http.Request, out *idleWriter, rows int, err error) {
	if out.err != nil || r.Context().Err() != nil {
		// The client went away or stopped reading: not smsinbox's failure.
		a.log.WarnContext(r.Context(), "export cut short: the client did not take it", "path", r.URL.Path, "rows", rows, "err", err)
	} else {
		a.log.ErrorContext(r.Context(), "export cut short", "path", r.URL.Path, "rows", rows, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// exportPage is one page of an export, as the CSV rows to send.
type exportPage struct {
	csv  []byte
	rows int
	last projections.ExportCursor
}

// exportPages calls write with each page of the export, in order, its rows
// written as CSV. Three stages run at once, each in its own goroutine, so
// that the database, the CPU that writes the CSV and the client work at the
// same time: the fetcher reads the next pages (each a short query within the
// exports' share of the pool, its connection back in the pool before the
// page goes on), the formatter writes the page before them as CSV, and
// write sends the one before that to the client. The stages hand their
// buffers back and forth, so that whatever the export's size and however
// slowly its client reads, memory holds two fetched pages and two pages of
// CSV at most, and no stage waiting for the next holds a connection.
// exportPages returns once every stage has ended: at the first error (or
// when ctx ends) the others are stopped.
func (a *api) exportPages(ctx context.Context, companyID string, scope projections.ExportScope, loc *time.Location, write func(exportPage) error) error {
	g, ctx := errgroup.WithContext(ctx)
	const buffers = 2 // of each kind
	emptyRows := make(chan *projections.ExportRows, buffers)
	emptyCSV := make(chan []byte, buffers)
	for range buffers {
		emptyRows <- &projections.ExportRows{}
		emptyCSV <- nil
	}
	fetched := make(chan *projections.ExportRows)
	formatted := make(chan exportPage)

	g.Go(func() error { // the fetcher
		defer close(fetched)
		// What the export learnt of its threads' customers; only this stage
		// uses it. A page fetched holds its own rows' customers.
		customers := &projections.ExportCustomers{}
		var after projections.ExportCursor
		for {
			var rows *projections.ExportRows
			select {
			case rows = <-emptyRows:
			case <-ctx.Done():
				return ctx.Err()
			}
			err := a.exports.page(ctx, func(ctx context.Context) error {
				return a.reads.ExportFetch(ctx, companyID, scope, after, exportPageSize, customers, rows)
			})
			if err != nil {
				return err
			}
			select {
			case fetched <- rows:
			case <-ctx.Done():
				return ctx.Err()
			}
			if rows.Len() < exportPageSize {
				return nil
			}
			after = rows.Last()
		}
	})
	g.Go(func() error { // the formatter
		defer close(formatted)
		clock := newExportClock(loc)
		var scratch []byte
		for rows := range fetched {
			var buf []byte
			select {
			case buf = <-emptyCSV:
			case <-ctx.Done():
				return ctx.Err()
			}
			page := exportPage{csv: buf[:0], rows: rows.Len(), last: rows.Last()}
			_ = rows.Each(func(m *projections.ExportMessage) error { // the callback never fails
				page.csv, scratch = appendExportRow(page.csv, scratch, m, clock)
				return nil
			})
			emptyRows <- rows // never blocks: it holds every buffer but this one's
			select {
			case formatted <- page:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	g.Go(func() error { // the writer
		for page := range formatted {
			if err := write(page); err != nil {
				return err
			}
			emptyCSV <- page.csv // never blocks, as above
		}
		return nil
	})
	return g.Wait()
}

// idleWriter writes to the client under a deadline that each write moves
// idle ahead: an export that its client takes slowly goes on, one that its
// client stopped taking ends. The first error sticks.
type idleWriter struct {
	w    io.Writer
	rc   *http.ResponseController
	idle time.Duration
	err  error
}

func (iw *idleWriter) Write(p []byte) (int, error) {
	if iw.err != nil {
		return 0, iw.err
	}
	if err := iw.rc.SetWriteDeadline(time.Now().Add(iw.idle)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		iw.err = err
		return 0, err
	}
	n, err := iw.w.Write(p)
	iw.err = err
	return n, err
}

// appendExportRow appends one message's CSV row (exportHeader's cells,
// CRLF-ended, the date and time on clock's zone) to dst, as encoding/csv
// writes it; scratch is room for a
// neutralised cell, handed back for the next row.
func appendExportRow(dst, scratch []byte, m *projections.ExportMessage, clock *exportClock) (row, room []byte) {
	dst = appendUUID(dst, m.ID)
	dst = append(dst, ',')
	dst = appendUUID(dst, m.ThreadID)
	dst = append(dst, ',')
	dst = clock.appendDateTime(dst, m.CreatedAt)
	dst = append(dst, ',')
	// Full Name: "First Last (+phone)" with a linked lead, else the phone
	// alone (E.164, left as it is, like the phone columns).
	if len(m.CustomerName) == 0 {
		dst = appendCSVField(dst, m.CustomerPhone)
	} else {
		scratch = scratch[:0]
		if formulaLead(m.CustomerName[0]) {
			scratch = append(scratch, '\'') // neutralise
		}
		scratch = append(append(append(append(scratch, m.CustomerName...), " ("...), m.CustomerPhone...), ')')
		dst = appendCSVField(dst, scratch)
	}
	dst = append(dst, ',')
	dst = appendCSVField(dst, m.From)
	dst = append(dst, ',')
	dst = appendCSVField(dst, m.To)
	dst = append(dst, ',')
	dst = append(dst, statusWord(string(m.Direction), string(m.Status))...)
	dst = append(dst, ',')
	dst, scratch = appendNeutralised(dst, scratch, m.Body)
	return append(dst, '\r', '\n'), scratch
}

// appendNeutralised appends neutralise(cell) as a CSV field; scratch is
// room for the neutralised copy (it must not share cell's memory), handed
// back.
func appendNeutralised(dst, scratch, cell []byte) (row, room []byte) {
	if len(cell) == 0 || !formulaLead(cell[0]) {
		return appendCSVField(dst, cell), scratch
	}
	scratch = append(append(scratch[:0], '\''), cell...)
	return appendCSVField(dst, scratch), scratch
}

// appendDateTime appends the Created and Time cells of a message at t:
// t formatted "2006-01-02,15:04:05", without time.Format's walk of the
// layout for every row.
func appendDateTime(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, "2006-01-02,15:04:05")
	}
	h, mi, s := t.Clock()
	return append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10), ',',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
}

// appendUUID appends id as uuid.UUID's String writes it.
func appendUUID(dst []byte, id uuid.UUID) []byte {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:], id[10:])
	return append(dst, b[:]...)
}

// statusWord is the export's word for a message's status.
func statusWord(direction, status string) string {
	if direction == "inbound" {
		return "received"
	}
	switch status {
	case "sent", "delivered":
		return "sent"
	case "failed", "undelivered", "canceled":
		return "not sent"
	default: // queued, sending, scheduled
		return "pending"
	}
}

// neutralise defuses a free-text cell a spreadsheet would read as a
// formula (OWASP CSV injection): a leading =, +, -, @, tab or CR gets a
// single quote in front.
func neutralise(s string) string {
	if s != "" && formulaLead(s[0]) {
		return "'" + s
	}
	return s
}

// formulaLead reports whether a cell that begins with c is one a
// spreadsheet would read as a formula.
func formulaLead(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}
