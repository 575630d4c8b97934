package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/audit"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// evidenceHeader is the consent evidence export's header row, exactly.
var evidenceHeader = []string{"Phone", "Occurred At", "Status Before", "Status After", "Method", "App", "Messaging Number",
	"Message SID", "IP", "User Agent", "Consent Text", "Page URL", "Actor"}

// evidencePageSize is how many consent changes one page holds.
const evidencePageSize = 1000

// routeEvidence adds the carrier's export of consent evidence. Like the
// audit, it is guarded by role only (admin, compliance), not by sms_enabled.
func (a *api) routeEvidence(api *mux.Router) {
	api.HandleFunc("/audit/consent/export.csv", longLived(a.waitForPosition(a.signedIn(auditConsent, a.exportEvidence)))).Methods(http.MethodGet)
}

// exportEvidence streams every consent change of the company in
// [from, to) (from: the beginning, to: no end, when left out), replayed from
// the event store a page at a time (audit.Evidence), under the
// exports' bounds: the company's share of running exports, the page
// queries' share of the pool, and the idle deadline per write.
func (a *api) exportEvidence(w http.ResponseWriter, r *http.Request, c caller) {
	// Left out, from is the beginning and to the end of time: everything
	// recorded so far, even a change at this very instant.
	from, to := time.Time{}, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		into *time.Time
	}{{"from", &from}, {"to", &to}} {
		if !q.Has(p.name) {
			continue
		}
		t, err := ParseAuditTime(q.Get(p.name))
		if err != nil {
			a.fail(w, r, newError(http.StatusBadRequest, "invalid_request",
				p.name+" must be an RFC 3339 time, such as 2030-03-04T15:00:00Z or 2030-03-04T15:00:00.250-05:00."))
			return
		}
		*p.into = t
	}
	if to.Before(from) {
		a.fail(w, r, newError(http.StatusBadRequest, "invalid_request", "from must not be after to."))
		return
	}
	leave, ok := a.exports.enter(c.Company.ID)
	if !ok {
		a.refuseExport(w, r)
		return
	}
	defer leave()

	cw, out, rc := a.startCSV(w, "consent-evidence-"+a.cmd.Consent.now().UTC().Format("2006-01-02")+".csv", evidenceHeader)
	record := make([]string, len(evidenceHeader))
	rows := 0
	var after eventstore.Position
	for {
		var page audit.EvidencePage
		err := a.exports.page(r.Context(), func(ctx context.Context) error {
			var err error
			page, err = audit.Evidence(ctx, a.store, c.Company.ID, from, to, after, evidencePageSize)
			return err
		})
		if err == nil {
			for _, p := range page.Proofs {
				evidenceRecord(record, p)
				if err = cw.Write(record); err != nil {
					break
				}
			}
		}
		if err == nil {
			err = flushCSV(cw, rc)
		}
		if err != nil {
			a.abortExport(r, out, rows, err)
		}
		rows += len(page.Proofs)
		if page.Done {
			return
		}
		after = page.Next
	}
}

// evidenceRecord fills record with one consent change's cells. Free-text
// cells (what the customer's browser, the app or the customer wrote) are
// neutralised against formula injection; numbers, times and fixed words
// stay as they are.
func evidenceRecord(record []string, p consent.Proof) {
	record[0] = string(p.Phone)
	record[1] = p.OccurredAt.UTC().Format(time.RFC3339Nano)
	record[2] = p.StatusBefore.String()
	record[3] = p.StatusAfter.String()
	record[4] = string(p.Method)
	record[5] = neutralise(p.App)
	record[6] = string(p.MessagingNumber)
	record[7] = neutralise(p.MessageSID)
	record[8] = neutralise(p.IP)
	record[9] = neutralise(p.UserAgent)
	record[10] = neutralise(p.ConsentText)
	record[11] = neutralise(p.PageURL)
	record[12] = neutralise(p.Actor)
}
