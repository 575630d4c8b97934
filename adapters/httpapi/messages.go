package httpapi

import (
	"bytes"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// OutboundCommands are the use cases of outbound texts.
type OutboundCommands struct {
	Queue commands.Handler[commands.QueueOutbound, eventstore.Position]
	// Status records Twilio's status callbacks.
	Status commands.Handler[commands.StatusCallback, eventstore.Position]
	// Scheduled are the use cases of scheduled messages (scheduled.go).
	Scheduled ScheduledCommands
}

// routeMessages adds the outbound texts: staff replies under /api (api) and
// Twilio's status callbacks at the root (root).
func (a *api) routeMessages(root, api *mux.Router) {
	api.HandleFunc("/threads/{thread_id}/messages", a.waitForPosition(a.messages(writeMessages, a.sendMessage))).Methods(http.MethodPost)
	root.HandleFunc(twilio.StatusPath, a.statusWebhook).Methods(http.MethodPost)
}

// sendMessageRequest is the body of POST /api/threads/{thread_id}/messages:
// the text to send, or the company's template to fill for this thread.
type sendMessageRequest struct {
	Body       *string `json:"body"`
	TemplateID *string `json:"template_id"`
	// SendAt schedules the text (scheduled.go); absent or null: at once.
	SendAt *string `json:"send_at"`
}

// sendMessage queues a staff reply to the thread's customer: 202 with its ID
// once it is recorded (status queued); the sender sends it. 409
// consent_required, and nothing recorded, unless consent is yes. A reply
// from a template is filled here, from the thread's lead and the company:
// 400 template_value_missing when a placeholder has no value. With send_at
// it is scheduled instead (scheduleMessage).
func (a *api) sendMessage(w http.ResponseWriter, r *http.Request, c caller) {
	var body sendMessageRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	var tmpl *uuid.UUID
	if body.TemplateID != nil {
		if body.Body != nil {
			a.fail(w, r, newError(http.StatusBadRequest, "invalid_request", "Give either body or template_id, not both."))
			return
		}
		id, err := templateID(*body.TemplateID)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		tmpl = &id
	} else if err := checkText(body.Body); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.threadOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if tmpl != nil {
		text, err := a.cmd.Templates.Fill(r.Context(), c.Company.ID, *tmpl, phone.Number(t.CustomerPhone))
		if err != nil {
			a.fail(w, r, err)
			return
		}
		body.Body = &text
	}
	id := uuid.Must(uuid.NewV7())
	req := commands.QueueOutbound{
		CompanyID: c.Company.ID, Customer: phone.Number(t.CustomerPhone), Body: *body.Body,
		App: commands.AppDashboard, MessageID: id, TemplateID: tmpl, Actor: c.actor(), SentBy: c.User.ID,
	}
	if body.SendAt != nil {
		a.scheduleMessage(w, r, req, *body.SendAt)
		return
	}
	pos, err := a.cmd.Outbound.Queue.Handle(r.Context(), req)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusAccepted, pos, map[string]any{"message_id": id})
}

// checkText checks the text of a staff message (also the one the segment
// counter counts): 1 to conversation.MaxBodyLength characters, not only
// white space.
func checkText(body *string) error {
	switch {
	case body == nil || strings.TrimSpace(*body) == "":
		return newError(http.StatusBadRequest, "invalid_request", "body: write the text to send.")
	case utf8.RuneCountInString(*body) > conversation.MaxBodyLength:
		return newError(http.StatusBadRequest, "invalid_request", "body: a text is at most 1600 characters.")
	}
	return nil
}

// statusWebhook records a status callback (signed like the inbound webhook,
// over the full URL with its query) and answers 200 with empty TwiML once it
// is durably recorded, applied or kept for a SID not known yet. The query
// names smsinbox's message when the sender asked for it
// (twilio.StatusCallbackURL), so the callback finds its message even when
// Twilio's answer to the send was never seen. Any failure answers 5xx, so
// Twilio calls again.
func (a *api) statusWebhook(w http.ResponseWriter, r *http.Request) {
	sc, ok := parseWebhook(a, w, r, twilio.ParseStatus)
	if !ok {
		return
	}
	pos, err := a.cmd.Outbound.Status.Handle(r.Context(), statusCallback(sc, r.URL.Query()))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set(headerEventPosition, formatPosition(pos))
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = bytes.NewBufferString(emptyTwiML).WriteTo(w)
}
