package httpapi

import (
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// ConsentCommands are the consent use cases of the HTTP surface.
type ConsentCommands struct {
	SubmitForm commands.Handler[commands.SubmitForm, commands.FormResult]
	// Now is the clock of the audit's "now" (time.Now when nil).
	Now func() time.Time
}

func (c ConsentCommands) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// routeConsent adds the app forms, consent and consent audit endpoints.
//
// They are guarded by role only, not by sms_enabled: compliance must be able
// to read consent and replay its history whatever the company's settings,
// and a form from another app still records its lead (a company with
// Messages turned off texts nothing, so its opt-in leaves consent no).
func (a *api) routeConsent(api *mux.Router) {
	api.HandleFunc("/forms/submissions", a.submitter(manageLeads, a.submitForm)).Methods(http.MethodPost)
	api.HandleFunc("/consent/{phone}", a.waitForReads(a.signedIn(readMessages, a.getConsent))).Methods(http.MethodGet)
	api.HandleFunc("/audit/consent/{phone}", a.waitForPosition(a.signedIn(auditConsent, a.auditConsent))).Methods(http.MethodGet)
}

// phoneOf reads the customer's number in the path, in the company's country.
func phoneOf(r *http.Request, c caller) (phone.Number, error) {
	return phone.Parse(mux.Vars(r)["phone"], c.Company.Country)
}

// submitFormRequest is the body of POST /api/forms/submissions.
type submitFormRequest struct {
	Phone     string `json:"phone"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Email     string `json:"email"`
	OptIn     *bool  `json:"opt_in"`
	App       string `json:"app"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
	// ConsentText is the disclosure the customer saw; PageURL the form's page.
	ConsentText string `json:"consent_text"`
	PageURL     string `json:"page_url"`
}

func (a *api) submitForm(w http.ResponseWriter, r *http.Request, c caller) {
	var body submitFormRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	customer, err := phone.Parse(body.Phone, c.Company.Country)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if c.AppKey != nil {
		// A key speaks for its app only: the submission comes through it.
		switch body.App {
		case "":
			body.App = c.AppKey.App
		case c.AppKey.App:
		default:
			a.fail(w, r, newError(http.StatusBadRequest, "app_mismatch", "This app key belongs to the app "+c.AppKey.App+"; app must be that or left out."))
			return
		}
	}
	if body.OptIn == nil {
		a.fail(w, r, newError(http.StatusBadRequest, "invalid_request", "opt_in is required: true when the opt-in box was ticked, else false."))
		return
	}
	res, err := a.cmd.Consent.SubmitForm.Handle(r.Context(), commands.SubmitForm{
		CompanyID: c.Company.ID, Phone: customer, FirstName: body.FirstName, LastName: body.LastName,
		Email: body.Email, OptIn: *body.OptIn, App: body.App, IP: body.IP, UserAgent: body.UserAgent,
		ConsentText: body.ConsentText, PageURL: body.PageURL, Actor: c.actor(),
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusCreated, res.Position, map[string]any{"lead_id": res.LeadID, "consent": res.Consent})
}

func (a *api) getConsent(w http.ResponseWriter, r *http.Request, c caller) {
	customer, err := phoneOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.reads.Consent(r.Context(), c.Company.ID, string(customer), c.Company.MessagingNumber)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}
