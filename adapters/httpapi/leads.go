package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/projections"
)

// routeLeads adds the lead endpoints.
//
// Creating a lead is a Messages write on a thread (admin, agent; Messages
// on). Reading a lead takes the Messages read roles but not sms_enabled: a
// form records its lead whatever the company's settings.
func (a *api) routeLeads(api *mux.Router) {
	api.HandleFunc("/threads/{thread_id}/lead", a.waitForPosition(a.messages(manageLeads, a.createLead))).Methods(http.MethodPost)
	api.HandleFunc("/leads/{lead_id}", a.waitForReads(a.signedIn(readMessages, a.getLead))).Methods(http.MethodGet)
}

// createLeadRequest is the body of POST /api/threads/{thread_id}/lead.
type createLeadRequest struct {
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
}

// createLead links a lead to the thread's customer: 201 {lead_id,
// position}; 409 lead_exists; 400 with the wrong fields in error.fields.
func (a *api) createLead(w http.ResponseWriter, r *http.Request, c caller) {
	var body createLeadRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.threadOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.cmd.Leads.Handle(r.Context(), commands.CreateLead{
		CompanyID: c.Company.ID, Phone: phone.Number(t.CustomerPhone),
		FirstName: body.FirstName, LastName: body.LastName, Email: body.Email, Actor: c.actor(),
	})
	var fields lead.FieldErrors
	if errors.As(err, &fields) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code": "invalid_request", "message": fields.Error(), "fields": fields}})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusCreated, res.Position, map[string]any{"lead_id": res.LeadID})
}

// journeyEntry is one step of a lead's journey: an event of its lead,
// conversation or consent stream.
type journeyEntry struct {
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	Stream     string         `json:"stream"`
	Position   string         `json:"position"`
	Details    map[string]any `json:"details"`
	pos        eventstore.Position
}

// journeyFields are the fields of an event's document a journey shows.
var journeyFields = []string{
	"first_name", "last_name", "email", "source", "app", "opt_in",
	"message_id", "direction", "body", "status", "error_code", "automated",
	"status_before", "status_after", "messaging_number", "actor", "send_at",
}

// getLead answers the lead with its consent and its journey, replayed from
// the event store in time order.
func (a *api) getLead(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := uuid.Parse(mux.Vars(r)["lead_id"])
	if err != nil {
		a.fail(w, r, projections.ErrNotFound)
		return
	}
	ctx := r.Context()
	l, err := a.reads.Lead(ctx, c.Company.ID, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	cons, err := a.reads.Consent(ctx, c.Company.ID, l.Phone, c.Company.MessagingNumber)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	p := phone.Number(l.Phone)
	journey := []journeyEntry{}
	for _, s := range []struct {
		name string
		id   eventstore.StreamID
	}{
		{"lead", lead.StreamID(c.Company.ID, p)},
		{"conversation", conversation.StreamID(c.Company.ID, p)},
		{"consent", consent.StreamID(c.Company.ID, p)},
	} {
		for rec, err := range a.store.ReadStream(ctx, s.id, 0) {
			if err != nil {
				a.fail(w, r, err)
				return
			}
			var doc map[string]any
			_ = json.Unmarshal(rec.Data, &doc)
			details := map[string]any{}
			for _, f := range journeyFields {
				if v, ok := doc[f]; ok {
					details[f] = v
				}
			}
			journey = append(journey, journeyEntry{Type: rec.Type, OccurredAt: rec.OccurredAt.UTC(), Stream: s.name,
				Position: formatPosition(rec.Position), Details: details, pos: rec.Position})
		}
	}
	sort.SliceStable(journey, func(i, j int) bool {
		if !journey[i].OccurredAt.Equal(journey[j].OccurredAt) {
			return journey[i].OccurredAt.Before(journey[j].OccurredAt)
		}
		return journey[i].pos < journey[j].pos
	})
	writeJSON(w, http.StatusOK, struct {
		projections.LeadView
		Consent string         `json:"consent"`
		Journey []journeyEntry `json:"journey"`
	}{l, cons.Status, journey})
}
