package httpapi

import (
	"errors"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/consent"
)

// SettingsCommands are the use cases of the company's messaging settings.
type SettingsCommands struct {
	// Read reads them from the company's stream.
	Read         commands.Settings
	SetAutoReply commands.Handler[commands.SetAutoReply, commands.AutoReplySet]
	SetTexts     commands.Handler[commands.SetAutomatedTexts, commands.AutomatedTextsSet]
}

// routeSettings adds the company's messaging settings: the after-hours
// auto-reply and the wording of consent's automated texts. Every Messages
// role reads them; only an admin changes them. They are guarded by role
// only, not by sms_enabled: an admin sets a company up before turning
// Messages on.
func (a *api) routeSettings(api *mux.Router) {
	api.HandleFunc("/settings/auto-reply", a.waitForPosition(a.signedIn(readMessages, a.getAutoReply))).Methods(http.MethodGet)
	api.HandleFunc("/settings/auto-reply", a.signedIn(adminOnly, a.putAutoReply)).Methods(http.MethodPut)
	api.HandleFunc("/settings/texts", a.waitForPosition(a.signedIn(readMessages, a.getTexts))).Methods(http.MethodGet)
	api.HandleFunc("/settings/texts", a.signedIn(adminOnly, a.putTexts)).Methods(http.MethodPut)
}

// autoReplyRequest is the body of PUT /api/settings/auto-reply: the whole
// setting (a PUT replaces it).
type autoReplyRequest struct {
	Enabled       *bool                 `json:"enabled"`
	Body          string                `json:"body"`
	BusinessHours map[string][][]string `json:"business_hours"`
}

// viewAutoReply is the answer of the auto-reply endpoints: the settings,
// and the company's time zone, in which the hours are read.
func viewAutoReply(s autoreply.Settings, c caller) map[string]any {
	return map[string]any{"enabled": s.Enabled, "body": s.Body, "business_hours": s.Hours.Days(), "time_zone": c.Company.TimeZone}
}

func (a *api) getAutoReply(w http.ResponseWriter, r *http.Request, c caller) {
	s, err := a.cmd.Settings.Read.AutoReply(r.Context(), c.Company.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewAutoReply(s, c))
}

func (a *api) putAutoReply(w http.ResponseWriter, r *http.Request, c caller) {
	var body autoReplyRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	if body.Enabled == nil || body.BusinessHours == nil {
		a.fail(w, r, newError(http.StatusBadRequest, "invalid_request",
			"enabled and business_hours are required: a PUT sets the whole auto-reply."))
		return
	}
	settings, err := autoreply.New(*body.Enabled, body.Body, body.BusinessHours)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	set, err := a.cmd.Settings.SetAutoReply.Handle(r.Context(), commands.SetAutoReply{CompanyID: c.Company.ID, Settings: settings, Actor: c.actor()})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusOK, set.Position, viewAutoReply(set.Settings, c))
}

// textsRequest is the body of PUT /api/settings/texts: a text left out, or
// empty, takes smsinbox's own wording.
type textsRequest struct {
	ConfirmationRequest string `json:"confirmation_request"`
	OptOutConfirmation  string `json:"opt_out_confirmation"`
	HelpReply           string `json:"help_reply"`
	Resubscribed        string `json:"resubscribed"`
}

func viewTexts(t consent.Texts) map[string]any {
	return map[string]any{
		"confirmation_request": t.ConfirmationRequest, "opt_out_confirmation": t.OptOutConfirmation,
		"help_reply": t.HelpReply, "resubscribed": t.Resubscribed,
	}
}

func (a *api) getTexts(w http.ResponseWriter, r *http.Request, c caller) {
	t, err := a.cmd.Settings.Read.Texts(r.Context(), c.Company.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewTexts(t))
}

func (a *api) putTexts(w http.ResponseWriter, r *http.Request, c caller) {
	var body textsRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	set, err := a.cmd.Settings.SetTexts.Handle(r.Context(), commands.SetAutomatedTexts{CompanyID: c.Company.ID, Texts: consent.Texts(body), Actor: c.actor()})
	var problems consent.TextProblems
	if errors.As(err, &problems) {
		// The message names every text and what it misses; "missing" lists
		// them for a page to show beside each field.
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"code": "invalid_text", "message": problems.Error(), "missing": problems,
		}})
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusOK, set.Position, viewTexts(set.Texts))
}
