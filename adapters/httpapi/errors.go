package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
	"github.com/smsinbox/smsinbox/domain/search"
	"github.com/smsinbox/smsinbox/domain/template"
	"github.com/smsinbox/smsinbox/projections"
)

// apiError is an answer decided by the HTTP layer itself.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func newError(status int, code, message string) *apiError {
	return &apiError{status: status, code: code, message: message}
}

// errorMappings is the one place where typed errors of the domain, the
// commands and the read models become HTTP answers. The first match wins.
var errorMappings = []struct {
	target  error
	status  int
	code    string
	message string // empty: the error's own text, which is written for people
}{
	{phone.ErrInvalid, http.StatusBadRequest, "invalid_phone", ""},
	{twilio.ErrInvalidWebhook, http.StatusBadRequest, "invalid_webhook", ""},
	{twilio.ErrOtherAccount, http.StatusForbidden, "wrong_account", "The webhook is not for this server's Twilio account."},
	{conversation.ErrInvalidCommand, http.StatusBadRequest, "invalid_request", ""},
	{conversation.ErrThreadNotFound, http.StatusNotFound, "not_found", "There is no such thread."},
	{consent.ErrConsentRequired, http.StatusConflict, "consent_required", "The customer has not consented to texts from this number; nothing was sent."},
	{eventstore.ErrConcurrency, http.StatusConflict, "conflict", "Someone changed this at the same time; try again."},
	{projections.ErrNotFound, http.StatusNotFound, "not_found", "There is nothing here, or it belongs to another company."},
	{projections.ErrBadCursor, http.StatusBadRequest, "invalid_cursor", "The cursor is not one this server gave out."},
	{projections.ErrBehind, http.StatusServiceUnavailable, "not_ready", "The read models did not reach the requested position in time; try again."},
	{context.DeadlineExceeded, http.StatusServiceUnavailable, "not_ready", "smsinbox took too long to answer; try again."},

	// companies, users and app keys
	{company.ErrInvalidCommand, http.StatusBadRequest, "invalid_request", ""},
	{company.ErrCompanyNotFound, http.StatusNotFound, "not_found", "There is no such company."},
	{company.ErrNumberTaken, http.StatusConflict, "number_taken", ""},
	{company.ErrCompanyExists, http.StatusConflict, "company_exists", ""},
	{company.ErrUserExists, http.StatusConflict, "user_exists", ""},
	{company.ErrAppKeyNotFound, http.StatusNotFound, "not_found", ""},
	{company.ErrUserNotFound, http.StatusNotFound, "user_not_found", ""},

	// consent and forms
	{consent.ErrInvalidCommand, http.StatusBadRequest, "invalid_request", ""},
	{lead.ErrInvalidEmail, http.StatusBadRequest, "invalid_email", ""},
	{lead.ErrInvalidForm, http.StatusBadRequest, "invalid_request", ""},

	// leads
	{lead.ErrLeadExists, http.StatusConflict, "lead_exists", "A lead is already linked to this thread."},
	{lead.ErrInvalid, http.StatusBadRequest, "invalid_request", ""},

	// messages
	{conversation.ErrMessageNotFound, http.StatusNotFound, "not_found", "There is no such message."},

	// quiet hours
	{conversation.ErrQuietHours, http.StatusConflict, "quiet_hours",
		"It is outside the hours in which this customer may be texted, by their local time; nothing was sent. next_allowed_at says when it may be."},
	{quiethours.ErrInvalidWindow, http.StatusBadRequest, "invalid_quiet_hours", ""},

	// scheduled messages
	{conversation.ErrInvalidSendAt, http.StatusBadRequest, "invalid_send_at", ""},
	{conversation.ErrNotScheduled, http.StatusConflict, "not_scheduled", "The message is not scheduled any more: it has been handed to the sender (or failed), so it cannot be canceled."},

	// search
	{search.ErrEmpty, http.StatusBadRequest, "invalid_query", "q: type words, a name, or 3 or more digits of a phone number."},
	{search.ErrInvalid, http.StatusBadRequest, "invalid_query", ""},

	// auto-reply and automated texts
	{autoreply.ErrInvalidBody, http.StatusBadRequest, "invalid_auto_reply", ""},
	{autoreply.ErrInvalidHours, http.StatusBadRequest, "invalid_business_hours", ""},
	{consent.ErrInvalidText, http.StatusBadRequest, "invalid_text", ""},

	// assignment: one answer for an unknown ID, a removed user, another
	// company's user and a role without Messages, so that it says nothing
	// about whether the ID exists elsewhere
	{conversation.ErrInvalidAssignee, http.StatusBadRequest, "invalid_assignee",
		"A thread can be assigned only to a current user of your company with access to Messages."},

	// templates
	{template.ErrUnknownPlaceholder, http.StatusBadRequest, "unknown_placeholder", ""},
	{template.ErrValueMissing, http.StatusBadRequest, "template_value_missing", ""},
	{template.ErrTemplateExists, http.StatusConflict, "template_exists", ""},
	{template.ErrTemplateNotFound, http.StatusNotFound, "not_found", "There is no such template, or it belongs to another company."},
	{template.ErrInvalid, http.StatusBadRequest, "invalid_request", ""},
}

// errorDetails add fields of a typed error to the error object, beside
// code and message (a quiet-hours refusal's next_allowed_at); each answers
// nil for an error it does not know.
var errorDetails = []func(error) map[string]any{quietHoursDetails, templateFieldDetails}

// mapError answers the HTTP status, code and message of err.
func mapError(err error) (status int, code, message string) {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.status, ae.code, ae.message
	}
	for _, m := range errorMappings {
		if errors.Is(err, m.target) {
			msg := m.message
			if msg == "" {
				msg = err.Error()
			}
			return m.status, m.code, msg
		}
	}
	return http.StatusInternalServerError, "internal", "Something went wrong inside smsinbox; it has been logged."
}

// statusClientClosed answers a request whose client went away before the
// answer (nginx's 499): nobody reads it, but metrics and logs tell it from a
// failure of smsinbox.
const statusClientClosed = 499

// fail answers err in the error shape of api/openapi.yaml and logs what the client cannot see.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client left (a closed tab, an aborted fetch): not an error.
		a.log.DebugContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, statusClientClosed, "client_closed_request", "The client closed the request before the answer.")
		return
	}
	status, code, message := mapError(err)
	var later *retryLater
	if errors.As(err, &later) {
		w.Header().Set("Retry-After", retryAfterSeconds(later.after))
	}
	switch {
	case status == http.StatusServiceUnavailable:
		// The client asked for more than smsinbox had in time: worth a
		// warning, not an error of smsinbox's.
		a.log.WarnContext(r.Context(), "request not served in time", "method", r.Method, "path", r.URL.Path, "err", err)
	case status >= 500:
		a.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var extra map[string]any
	for _, details := range errorDetails {
		for k, v := range details(err) {
			if extra == nil {
				extra = map[string]any{}
			}
			extra[k] = v
		}
	}
	writeErrorWith(w, status, code, message, extra)
}
