package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// Quiet hours on the HTTP surface: a staff text refused outside the
// recipient's window answers 409 quiet_hours, and its error object carries
// next_allowed_at (RFC 3339 UTC, or null when no moment within 35 days is
// allowed); a company's own window is set with PATCH
// /api/admin/companies/{id} {"quiet_hours":{"start","end"}} (null drops it)
// and read with GET /api/admin/companies/{id}.

// quietHoursDetails adds next_allowed_at to a quiet-hours refusal.
func quietHoursDetails(err error) map[string]any {
	var qh *conversation.QuietHoursError
	if !errors.As(err, &qh) {
		return nil
	}
	var next any // null: no allowed moment within the horizon
	if !qh.NextAllowed.IsZero() {
		next = qh.NextAllowed.UTC().Format(time.RFC3339)
	}
	return map[string]any{"next_allowed_at": next}
}

// quietHoursField is PATCH's quiet_hours: absent (set false), null (drop
// the company's window: the zero QuietHours), or {"start","end"}.
type quietHoursField struct {
	set   bool
	value company.QuietHours
}

func (f *quietHoursField) UnmarshalJSON(b []byte) error {
	f.set = true
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(&f.value)
}

// MarshalJSON writes the field back as it was read (absent is omitzero's).
func (f quietHoursField) MarshalJSON() ([]byte, error) {
	if f.value == (company.QuietHours{}) {
		return []byte("null"), nil
	}
	return json.Marshal(f.value)
}

// command is the field as the UpdateCompany command takes it.
func (f quietHoursField) command() *company.QuietHours {
	if !f.set {
		return nil
	}
	return &f.value
}

// getCompany answers a company as its stream holds it (the admin API's view,
// with its own sending window).
func (a *api) getCompany(w http.ResponseWriter, r *http.Request) {
	s, err := commands.LoadCompany(r.Context(), a.store, mux.Vars(r)["company_id"])
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, commands.ViewOf(s))
}
