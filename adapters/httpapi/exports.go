package httpapi

import (
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/projections"
)

// exportHeader is the header row of docs/rules.md, Exports, exactly.
var exportHeader = []string{"Message ID", "Thread ID", "Created", "Time", "Full Name", "From", "To", "Status", "Message"}

// exportPageSize is how many messages one page query reads (and how many
// rows are written between flushes to the client). Smaller pages cost a
// query each; larger ones memory.
const exportPageSize = 1000

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
	record := make([]string, len(exportHeader))
	n := 0
	err = a.exportPages(r.Context(), c.Company.ID, scope, func(page []projections.ExportRow) error {
		for _, row := range page {
			exportRecord(record, row, loc)
			if err := cw.Write(record); err != nil {
				return err
			}
		}
		n += len(page)
		return flushCSV(cw, rc)
	})
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

// exportPages calls write with each page of the export, in order. It reads
// the next page (within the exports' share of the pool) while write sends
// this one to the client, so that the database and the client work at once,
// as they did when one query streamed the whole export; two pages at most
// are in memory. A read still under way when exportPages returns early ends
// with ctx, which ends with the request.
func (a *api) exportPages(ctx context.Context, companyID string, scope projections.ExportScope, write func([]projections.ExportRow) error) error {
	type result struct {
		rows []projections.ExportRow
		err  error
	}
	read := func(after projections.ExportCursor, buf []projections.ExportRow) <-chan result {
		done := make(chan result, 1)
		go func() {
			var res result
			res.err = a.exports.page(ctx, func(ctx context.Context) error {
				var err error
				res.rows, err = a.reads.ExportPage(ctx, companyID, scope, after, exportPageSize, buf)
				return err
			})
			done <- res
		}()
		return done
	}
	spare := make([]projections.ExportRow, 0, exportPageSize)
	next := read(projections.ExportCursor{}, make([]projections.ExportRow, 0, exportPageSize))
	for {
		page := <-next
		if page.err != nil {
			return page.err
		}
		last := len(page.rows) < exportPageSize
		if !last {
			next = read(page.rows[len(page.rows)-1].Cursor(), spare)
		}
		if err := write(page.rows); err != nil || last {
			return err
		}
		spare = page.rows
	}
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

// exportRecord fills record with one message's cells.
func exportRecord(record []string, row projections.ExportRow, loc *time.Location) {
	at := row.CreatedAt.In(loc)
	record[0] = row.ID.String()
	record[1] = row.ThreadID.String()
	record[2] = at.Format("2006-01-02")
	record[3] = at.Format("15:04:05")
	record[4] = fullName(row)
	record[5] = row.From
	record[6] = row.To
	record[7] = statusWord(row.Direction, row.Status)
	record[8] = neutralise(row.Body)
}

// fullName is "First Last (+phone)" with a linked lead, else the phone
// alone (E.164, left as it is, like the phone columns).
func fullName(row projections.ExportRow) string {
	if row.CustomerName == nil || *row.CustomerName == "" {
		return row.CustomerPhone
	}
	return neutralise(*row.CustomerName + " (" + row.CustomerPhone + ")")
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
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}
