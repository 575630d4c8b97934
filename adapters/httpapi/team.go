package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/projections"
)

// The team inbox: assignment, notes and the company's users.

func (a *api) routeTeamInbox(api *mux.Router) {
	api.HandleFunc("/threads/{thread_id}/assign", a.waitForPosition(a.messages(writeMessages, a.assignThread))).Methods(http.MethodPost)
	api.HandleFunc("/threads/{thread_id}/notes", a.waitForPosition(a.messages(writeMessages, a.addNote))).Methods(http.MethodPost)
	api.HandleFunc("/users", a.waitForReads(a.messages(readMessages, a.listUsers))).Methods(http.MethodGet)
}

// assignRequest is the body of POST /api/threads/{thread_id}/assign:
// {"user_id": "..."} assigns, {"user_id": null} unassigns. UserID is kept
// raw so that null (unassign) and a missing field (a mistake) differ.
type assignRequest struct {
	UserID json.RawMessage `json:"user_id,omitempty"`
}

var errAssignee = newError(http.StatusBadRequest, "invalid_request", `user_id: give a user's ID, or null to unassign.`)

// assignee reads user_id: nil for null.
func (b assignRequest) assignee() (*string, error) {
	raw := bytes.TrimSpace(b.UserID)
	switch {
	case len(raw) == 0:
		return nil, errAssignee
	case string(raw) == "null":
		return nil, nil
	}
	var id string
	if err := json.Unmarshal(raw, &id); err != nil {
		return nil, errAssignee
	}
	return &id, nil
}

// assignThread assigns the thread (or unassigns it): 200 with the position.
// Another company's thread is 404 before the assignee is looked at; an
// assignee who is not a current user of the caller's company with access
// to Messages (another company's user included) is 400 invalid_assignee.
func (a *api) assignThread(w http.ResponseWriter, r *http.Request, c caller) {
	var body assignRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	userID, err := body.assignee()
	if err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.threadOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	pos, err := a.cmd.Assign.Handle(r.Context(), commands.AssignThread{CompanyID: c.Company.ID, Customer: phone.Number(t.CustomerPhone), UserID: userID, By: c.User.ID})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusOK, pos, nil)
}

// addNoteRequest is the body of POST /api/threads/{thread_id}/notes.
type addNoteRequest struct {
	Body *string `json:"body"`
}

// addNote records a staff note: 201 with its ID and position. The domain
// checks the body (1 to 2,000 characters, not only white space).
func (a *api) addNote(w http.ResponseWriter, r *http.Request, c caller) {
	var body addNoteRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	t, err := a.threadOf(r, c)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	text := ""
	if body.Body != nil {
		text = *body.Body
	}
	added, err := a.cmd.Notes.Handle(r.Context(), commands.AddNote{CompanyID: c.Company.ID, Customer: phone.Number(t.CustomerPhone), AuthorID: c.User.ID, Body: text})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusCreated, added.Position, map[string]any{"note_id": added.NoteID})
}

// listedUser is one user of GET /api/users. Assignable says whether a
// thread may be assigned to them, by the rule the assignment is decided by
// (company.Role.CanUseMessages), so a client keeps no list of roles.
type listedUser struct {
	projections.CompanyUser
	Assignable bool `json:"assignable"`
}

// listUsers answers the company's current users (the assignee picker).
func (a *api) listUsers(w http.ResponseWriter, r *http.Request, c caller) {
	users, err := a.reads.CompanyUsers(r.Context(), c.Company.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := make([]listedUser, len(users))
	for i, u := range users {
		out[i] = listedUser{CompanyUser: u, Assignable: company.Role(u.Role).CanUseMessages()}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

// assigneeFilter reads the thread list's assignee parameter: "me", the
// caller; "unassigned"; empty or "all", every thread; anything else, a user
// ID (one the company does not have lists nothing).
func assigneeFilter(s string, c caller) projections.AssigneeFilter {
	switch s {
	case "", "all":
		return projections.AnyAssignee
	case "me":
		return projections.AssigneeFilter{UserID: c.User.ID}
	case "unassigned":
		return projections.AssigneeFilter{Unassigned: true}
	}
	return projections.AssigneeFilter{UserID: s}
}
