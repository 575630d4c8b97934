package httpapi

import (
	"net/http"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/projections"
)

const (
	defaultPageSize = 50
	maxPageSize     = 200
)

func (a *api) listThreads(w http.ResponseWriter, r *http.Request, c caller) {
	q := r.URL.Query()
	archived := false
	switch q.Get("folder") {
	case "", "inbox":
	case "archived":
		archived = true
	default:
		a.fail(w, r, newError(http.StatusBadRequest, "invalid_folder", "folder must be inbox or archived."))
		return
	}
	limit, after, err := pageOf(q, defaultPageSize, maxPageSize)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	threads, next, err := a.reads.AssignedThreads(r.Context(), c.Company.ID, archived, assigneeFilter(q.Get("assignee"), c), limit, after)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"threads": threads, "next_cursor": nextCursor(next)})
}

// threadOf finds the caller's thread named in the path, for a command: on
// the primary, whose read models a command's X-Min-Position waited for.
// Another company's thread, or a malformed ID, is not found.
func (a *api) threadOf(r *http.Request, c caller) (projections.Thread, error) {
	return threadIn(a.threads, r, c)
}

func (a *api) getThread(w http.ResponseWriter, r *http.Request, c caller) {
	id, err := pathThreadID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	t, msgs, notes, err := a.reads.ThreadDetail(r.Context(), c.Company.ID, id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		projections.Thread
		Messages []projections.Message `json:"messages"`
		Notes    []projections.Note    `json:"notes"`
	}{t, msgs, notes})
}

// threadActionRequest is the body of the thread actions (read, unread,
// archive, unarchive): they take none; an empty body or {} is accepted.
type threadActionRequest struct{}

func (a *api) changeThread(action commands.ThreadAction) func(http.ResponseWriter, *http.Request, caller) {
	return func(w http.ResponseWriter, r *http.Request, c caller) {
		var body threadActionRequest
		if err := decodeJSON(w, r, &body, true); err != nil {
			a.fail(w, r, err)
			return
		}
		t, err := a.threadOf(r, c)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		pos, err := a.cmd.ChangeThread.Handle(r.Context(), commands.ChangeThread{CompanyID: c.Company.ID, Customer: phone.Number(t.CustomerPhone), Action: action, Actor: c.actor()})
		if err != nil {
			a.fail(w, r, err)
			return
		}
		writePosition(w, http.StatusOK, pos, nil)
	}
}
