package httpapi

import (
	"encoding/csv"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/projections"
)

// exportHeader is DOMAIN.md's header row, exactly.
var exportHeader = []string{"Message ID", "Thread ID", "Created", "Time", "Full Name", "From", "To", "Status", "Message"}

// exportFlushEvery is how many rows are written between flushes to the client.
const exportFlushEvery = 500

// routeExports adds the CSV exports (Download Message and Download All).
func (a *api) routeExports(api *mux.Router) {
	api.HandleFunc("/threads/{thread_id}/export.csv", longLived(a.waitForPosition(a.messages(readMessages, a.exportThread)))).Methods(http.MethodGet)
	api.HandleFunc("/messages/export.csv", longLived(a.waitForPosition(a.messages(readMessages, a.exportAll)))).Methods(http.MethodGet)
}

// exportThread is Download Message: the messages the thread shows.
func (a *api) exportThread(w http.ResponseWriter, r *http.Request, c caller) {
	t, err := a.threadOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.writeExport(w, r, c, projections.ExportScope{ThreadID: &t.ID}, "thread-"+t.ID.String())
}

// exportAll is Download All: every message of the company, hidden ones
// (the opt-out confirmation) included, since it is the company's record.
func (a *api) exportAll(w http.ResponseWriter, r *http.Request, c caller) {
	a.writeExport(w, r, c, projections.ExportScope{}, "messages")
}

// writeExport streams the CSV. Once the header is out a failure cannot
// become an error answer: the connection is cut, so the client sees a
// broken download rather than a short file it takes for whole.
func (a *api) writeExport(w http.ResponseWriter, r *http.Request, c caller, scope projections.ExportScope, name string) {
	loc, err := time.LoadLocation(c.Company.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	name += "-" + time.Now().In(loc).Format("2006-01-02") + ".csv"
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)

	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180 line breaks
	flusher, _ := w.(http.Flusher)
	rc := http.NewResponseController(w) // each chunk gets its own write deadline (longLived)
	_ = extendWrite(rc)
	_ = cw.Write(exportHeader)
	n := 0
	record := make([]string, len(exportHeader))
	err = a.queries.ExportMessages(r.Context(), c.Company.ID, scope, func(row projections.ExportRow) error {
		exportRecord(record, row, loc)
		if err := cw.Write(record); err != nil {
			return err
		}
		n++
		if n%exportFlushEvery == 0 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return err
			}
			if flusher != nil {
				flusher.Flush()
			}
			return extendWrite(rc)
		}
		return nil
	})
	if err == nil {
		cw.Flush()
		err = cw.Error()
	}
	if err != nil {
		a.log.ErrorContext(r.Context(), "export cut short", "path", r.URL.Path, "rows", n, "err", err)
		panic(http.ErrAbortHandler)
	}
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
	case "failed", "undelivered":
		return "not sent"
	default: // queued, sending
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
