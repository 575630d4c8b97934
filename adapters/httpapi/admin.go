package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/unrouted"
)

// AdminCommands are the admin API's use cases.
type AdminCommands struct {
	CreateCompany         commands.Handler[commands.CreateCompany, commands.CompanyResult]
	UpdateCompany         commands.Handler[commands.UpdateCompany, commands.CompanyResult]
	ChangeMessagingNumber commands.Handler[commands.ChangeMessagingNumber, commands.CompanyResult]
	AddUser               commands.Handler[commands.AddUser, commands.AddUserResult]
	IssueAppKey           commands.Handler[commands.IssueAppKey, commands.IssueAppKeyResult]
	RevokeAppKey          commands.Handler[commands.RevokeAppKey, eventstore.Position]
	RemoveUser            commands.Handler[commands.RemoveUser, eventstore.Position]
	RotateUserToken       commands.Handler[commands.RotateUserToken, commands.RotatedToken]
}

func (a *api) routeAdmin(r *mux.Router) {
	r.HandleFunc("/companies", a.admin(a.createCompany)).Methods(http.MethodPost)
	r.HandleFunc("/companies/{company_id}", a.admin(a.updateCompany)).Methods(http.MethodPatch)
	r.HandleFunc("/companies/{company_id}", a.admin(a.getCompany)).Methods(http.MethodGet)
	r.HandleFunc("/companies/{company_id}/messaging-number", a.admin(a.changeNumber)).Methods(http.MethodPut)
	r.HandleFunc("/companies/{company_id}/users", a.admin(a.addUser)).Methods(http.MethodPost)
	r.HandleFunc("/companies/{company_id}/users/{user_id}", a.admin(a.removeUser)).Methods(http.MethodDelete)
	r.HandleFunc("/companies/{company_id}/users/{user_id}/token", a.admin(a.rotateToken)).Methods(http.MethodPost)
	r.HandleFunc("/companies/{company_id}/app-keys", a.admin(a.issueAppKey)).Methods(http.MethodPost)
	r.HandleFunc("/companies/{company_id}/app-keys/{key_id}", a.admin(a.revokeAppKey)).Methods(http.MethodDelete)
	r.HandleFunc("/unrouted", a.admin(a.listUnrouted)).Methods(http.MethodGet)
}

// createCompanyRequest is the body of POST /api/admin/companies.
type createCompanyRequest struct {
	Name            string `json:"name"`
	MessagingNumber string `json:"messaging_number"`
	TimeZone        string `json:"time_zone"`
	SMSEnabled      *bool  `json:"sms_enabled"`
	Country         string `json:"country"`
}

func (a *api) createCompany(w http.ResponseWriter, r *http.Request) {
	var body createCompanyRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	num, err := phone.Parse(body.MessagingNumber, body.Country)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.admins.CreateCompany.Handle(r.Context(), commands.CreateCompany{
		Name: body.Name, MessagingNumber: num, TimeZone: body.TimeZone, SMSEnabled: body.SMSEnabled, Country: body.Country,
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCompany(w, http.StatusCreated, res)
}

func writeCompany(w http.ResponseWriter, status int, res commands.CompanyResult) {
	writePosition(w, status, res.Position, map[string]any{
		"id": res.Company.ID, "name": res.Company.Name, "messaging_number": res.Company.MessagingNumber,
		"time_zone": res.Company.TimeZone, "sms_enabled": res.Company.SMSEnabled, "country": res.Company.Country,
		"quiet_hours": res.Company.QuietHours,
	})
}

// updateCompanyRequest is the body of PATCH /api/admin/companies/{company_id}:
// absent fields stay as they are.
type updateCompanyRequest struct {
	Name       *string         `json:"name"`
	TimeZone   *string         `json:"time_zone"`
	SMSEnabled *bool           `json:"sms_enabled"`
	QuietHours quietHoursField `json:"quiet_hours,omitzero"`
}

func (a *api) updateCompany(w http.ResponseWriter, r *http.Request) {
	var body updateCompanyRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.admins.UpdateCompany.Handle(r.Context(), commands.UpdateCompany{
		CompanyID: mux.Vars(r)["company_id"], Name: body.Name, TimeZone: body.TimeZone, SMSEnabled: body.SMSEnabled,
		QuietHours: body.QuietHours.command(),
	})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCompany(w, http.StatusOK, res)
}

// changeNumberRequest is the body of PUT
// /api/admin/companies/{company_id}/messaging-number.
type changeNumberRequest struct {
	MessagingNumber string `json:"messaging_number"`
}

func (a *api) changeNumber(w http.ResponseWriter, r *http.Request) {
	var body changeNumberRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	companyID := mux.Vars(r)["company_id"]
	c, err := commands.LoadCompany(r.Context(), a.store, companyID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	num, err := phone.Parse(body.MessagingNumber, c.Country)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.admins.ChangeMessagingNumber.Handle(r.Context(), commands.ChangeMessagingNumber{CompanyID: companyID, MessagingNumber: num})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeCompany(w, http.StatusOK, res)
}

// addUserRequest is the body of POST
// /api/admin/companies/{company_id}/users.
type addUserRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

func (a *api) addUser(w http.ResponseWriter, r *http.Request) {
	var body addUserRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.admins.AddUser.Handle(r.Context(), commands.AddUser{CompanyID: mux.Vars(r)["company_id"], Name: body.Name, Role: body.Role})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusCreated, res.Position, map[string]any{
		"id": res.ID, "name": res.Name, "role": res.Role, "token": res.Token,
	})
}

// removeUser removes a user: their token signs nothing in from the answer
// on, and their live streams on this server end now (on other servers, at
// their next frame or ping).
func (a *api) removeUser(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	pos, err := a.admins.RemoveUser.Handle(r.Context(), commands.RemoveUser{CompanyID: v["company_id"], UserID: v["user_id"]})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.streams.endStale(v["user_id"], "")
	writePosition(w, http.StatusOK, pos, nil)
}

// rotateToken gives a user a new token, answered once; the old one signs
// nothing in from the answer on, and the streams it opened end.
func (a *api) rotateToken(w http.ResponseWriter, r *http.Request) {
	var body rotateTokenRequest
	if err := decodeJSON(w, r, &body, true); err != nil {
		a.fail(w, r, err)
		return
	}
	v := mux.Vars(r)
	res, err := a.admins.RotateUserToken.Handle(r.Context(), commands.RotateUserToken{CompanyID: v["company_id"], UserID: v["user_id"]})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.streams.endStale(v["user_id"], hashToken(res.Token))
	writePosition(w, http.StatusOK, res.Position, map[string]any{"token": res.Token})
}

// rotateTokenRequest is the body of POST
// /api/admin/companies/{company_id}/users/{user_id}/token: none, or {}.
type rotateTokenRequest struct{}

// issueAppKeyRequest is the body of POST
// /api/admin/companies/{company_id}/app-keys.
type issueAppKeyRequest struct {
	App string `json:"app"`
}

// issueAppKey issues a key for one of the company's apps; the answer holds
// the key's only copy.
func (a *api) issueAppKey(w http.ResponseWriter, r *http.Request) {
	var body issueAppKeyRequest
	if err := decodeJSON(w, r, &body, false); err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.admins.IssueAppKey.Handle(r.Context(), commands.IssueAppKey{CompanyID: mux.Vars(r)["company_id"], App: body.App})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusCreated, res.Position, map[string]any{"id": res.ID, "app": res.App, "key": res.Key})
}

// revokeAppKey revokes a key at once (again: nothing changes).
func (a *api) revokeAppKey(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	pos, err := a.admins.RevokeAppKey.Handle(r.Context(), commands.RevokeAppKey{CompanyID: v["company_id"], KeyID: v["key_id"]})
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writePosition(w, http.StatusOK, pos, nil)
}

// listUnrouted lists the texts that no company could take, oldest first.
func (a *api) listUnrouted(w http.ResponseWriter, r *http.Request) {
	type item struct {
		unrouted.MessageReceived
		Position string `json:"position"`
	}
	out := []item{}
	for rec, err := range a.store.ReadStream(r.Context(), unrouted.StreamID, 0) {
		if err != nil {
			a.fail(w, r, err)
			return
		}
		m, err := unrouted.Decode(rec.Type, rec.Data)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		out = append(out, item{MessageReceived: m, Position: formatPosition(rec.Position)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}
