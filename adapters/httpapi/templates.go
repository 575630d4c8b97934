package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/template"
)

// templateFieldDetails adds "field" ("name" or "body") to a refused save
// that is about one field of the template, so that a form shows the message
// beside it.
func templateFieldDetails(err error) map[string]any {
	var te *template.Error
	if !errors.As(err, &te) || te.Field == "" {
		return nil
	}
	return map[string]any{"field": te.Field}
}

// TemplateCommands are the use cases of canned replies.
type TemplateCommands struct {
	Create commands.Handler[commands.CreateTemplate, commands.TemplateCreated]
	Update commands.Handler[commands.UpdateTemplate, eventstore.Position]
	Delete commands.Handler[commands.DeleteTemplate, eventstore.Position]
	// Fill makes a reply's text from a template (commands.FillTemplate).
	Fill func(ctx context.Context, companyID string, id uuid.UUID, customer phone.Number) (string, error)
}

// routeTemplates adds the company's canned replies: every Messages role
// lists them; the roles that may manage them (admin, agent) save them.
func (a *api) routeTemplates(api *mux.Router) {
	api.HandleFunc("/templates", a.waitForReads(a.messages(readMessages, a.listTemplates))).Methods(http.MethodGet)
	api.HandleFunc("/templates", a.waitForPosition(a.messages(manageTemplates, a.createTemplate))).Methods(http.MethodPost)
	api.HandleFunc("/templates/{template_id}", a.waitForPosition(a.messages(manageTemplates, a.updateTemplate))).Methods(http.MethodPut)
	api.HandleFunc("/templates/{template_id}", a.waitForPosition(a.messages(manageTemplates, a.deleteTemplate))).Methods(http.MethodDelete)
}

// templateRequest is the body of POST /api/templates and PUT
// /api/templates/{id}: the whole template (PUT replaces both fields).
type templateRequest struct {
	Name string `json:"name"`
	Body string `json:"body"`
}

func (a *api) listTemplates(w http.ResponseWriter, r *http.Request, c caller) {
	list, err := a.reads.Templates(r.Context(), c.Company.ID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": list})
}

// createTemplate saves a template: 201 {id, position}; 409 template_exists;
// 400 unknown_placeholder or invalid_request.
func (a *api) createTemplate(w http.ResponseWriter, r *http.Request, c caller) {
	var body templateRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	created, err := a.cmd.Templates.Create.Handle(r.Context(), commands.CreateTemplate{CompanyID: c.Company.ID, Name: body.Name, Body: body.Body, Actor: c.actor()})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusCreated, created.Position, map[string]any{"id": created.ID})
}

func (a *api) updateTemplate(w http.ResponseWriter, r *http.Request, c caller) {
	var body templateRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	a.onTemplate(w, r, func(id uuid.UUID) (eventstore.Position, error) {
		return a.cmd.Templates.Update.Handle(r.Context(), commands.UpdateTemplate{CompanyID: c.Company.ID, TemplateID: id, Name: body.Name, Body: body.Body, Actor: c.actor()})
	})
}

func (a *api) deleteTemplate(w http.ResponseWriter, r *http.Request, c caller) {
	a.onTemplate(w, r, func(id uuid.UUID) (eventstore.Position, error) {
		return a.cmd.Templates.Delete.Handle(r.Context(), commands.DeleteTemplate{CompanyID: c.Company.ID, TemplateID: id, Actor: c.actor()})
	})
}

// onTemplate runs a command on the path's template and answers 200
// {position}; an ID that is no UUID is no template (404).
func (a *api) onTemplate(w http.ResponseWriter, r *http.Request, run func(uuid.UUID) (eventstore.Position, error)) {
	id, err := templateID(mux.Vars(r)["template_id"])
	if err != nil {
		a.fail(w, r, err)
		return
	}
	pos, err := run(id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusOK, pos, nil)
}

// templateID reads a template's ID; anything but a UUID names no template.
func templateID(s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, &template.Error{Err: template.ErrTemplateNotFound, Message: "There is no such template."}
	}
	return id, nil
}
