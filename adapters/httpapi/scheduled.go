package httpapi

import (
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// ScheduledCommands are the staff's use cases of scheduled messages.
type ScheduledCommands struct {
	Schedule commands.Handler[commands.ScheduleOutbound, eventstore.Position]
	Cancel   commands.Handler[commands.CancelScheduled, eventstore.Position]
}

// routeScheduled adds the cancel of a scheduled message (scheduling itself
// is POST /api/threads/{thread_id}/messages with send_at).
func (a *api) routeScheduled(api *mux.Router) {
	api.HandleFunc("/threads/{thread_id}/messages/{message_id}", a.waitForPosition(a.messages(writeMessages, a.cancelMessage))).Methods(http.MethodDelete)
}

// parseSendAt reads send_at: RFC 3339, fractional seconds allowed.
func parseSendAt(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, newError(http.StatusBadRequest, "invalid_send_at", "send_at: give a date and time in RFC 3339, such as 2030-03-04T15:00:00Z.")
	}
	return t, nil
}

// scheduleMessage records staff text req to go at sendAt: 202 with its ID
// (status scheduled). 400 invalid_send_at unless 1 minute to 35 days ahead;
// 409 quiet_hours with next_allowed_at outside the customer's hours then;
// 409 consent_required unless consent is yes.
func (a *api) scheduleMessage(w http.ResponseWriter, r *http.Request, req commands.QueueOutbound, sendAt string) {
	at, err := parseSendAt(sendAt)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	pos, err := a.cmd.Outbound.Scheduled.Schedule.Handle(r.Context(), commands.ScheduleOutbound{QueueOutbound: req, SendAt: at})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusAccepted, pos, map[string]any{"message_id": req.MessageID})
}

// cancelMessage cancels a scheduled message of the thread: 200 (again 200
// once canceled); 409 not_scheduled once it has left; 404 for a message the
// thread does not hold.
func (a *api) cancelMessage(w http.ResponseWriter, r *http.Request, c caller) {
	t, err := a.threadOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	id, err := uuid.Parse(mux.Vars(r)["message_id"])
	if err != nil {
		a.fail(w, r, conversation.ErrMessageNotFound)
		return
	}
	pos, err := a.cmd.Outbound.Scheduled.Cancel.Handle(r.Context(), commands.CancelScheduled{
		MessageRef: commands.MessageRef{CompanyID: c.Company.ID, Customer: phone.Number(t.CustomerPhone), MessageID: id}, Actor: c.actor()})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusOK, pos, nil)
}
