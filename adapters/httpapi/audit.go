package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/smsinbox/smsinbox/audit"
)

// ParseAuditTime reads the audit's "at": RFC 3339, fractional seconds
// allowed. A "+" that a client left unencoded in the query string arrives
// as a space, and is read as the "+" it was.
func ParseAuditTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && strings.Contains(s, " ") {
		t, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(s, " ", "+"))
	}
	return t, err
}

// auditConsent replays a customer's consent from the event store
// (audit.Consent), never from a read model. Roles admin and
// compliance.
func (a *api) auditConsent(w http.ResponseWriter, r *http.Request, c caller) {
	customer, err := phoneOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	at := a.cmd.Consent.now()
	if s := r.URL.Query().Get("at"); s != "" || r.URL.Query().Has("at") {
		if at, err = ParseAuditTime(s); err != nil {
			a.fail(w, r, newError(http.StatusBadRequest, "invalid_request",
				"at must be an RFC 3339 time, such as 2030-03-04T15:00:00Z or 2030-03-04T15:00:00.250-05:00."))
			return
		}
	}
	report, err := audit.Consent(r.Context(), a.store, c.Company.ID, customer, at)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, report)
}
