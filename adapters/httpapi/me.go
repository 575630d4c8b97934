package httpapi

import (
	"net/http"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/projections"
)

// meUser is the signed-in user as GET /api/me tells it.
type meUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// mePermissions is what the user's role allows, as the endpoints ask it
// (access.allows, so company.Role's rules): a client shows the controls the
// API would accept without keeping its own list of roles.
type mePermissions struct {
	ReadMessages  bool `json:"read_messages"`
	WriteMessages bool `json:"write_messages"`
	ManageLeads   bool `json:"manage_leads"`
	Audit         bool `json:"audit"`
	Admin         bool `json:"admin"`
	// ManageTemplates: create, change and delete the company's templates.
	ManageTemplates bool `json:"manage_templates"`
}

func permissionsOf(role company.Role) mePermissions {
	return mePermissions{
		ReadMessages:    readMessages.allows(role),
		WriteMessages:   writeMessages.allows(role),
		ManageLeads:     manageLeads.allows(role),
		Audit:           auditConsent.allows(role),
		Admin:           adminOnly.allows(role),
		ManageTemplates: manageTemplates.allows(role),
	}
}

// me answers who the token belongs to, their company and what their role
// allows. Every valid token is answered, whatever its role and whatever
// sms_enabled says, so that the page can tell why Messages are closed to
// its user.
func (a *api) me(w http.ResponseWriter, r *http.Request) {
	c, err := a.authenticate(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		User        meUser              `json:"user"`
		Company     projections.Company `json:"company"`
		Permissions mePermissions       `json:"permissions"`
	}{meUser{ID: c.User.ID, Name: c.User.Name, Role: c.User.Role}, c.Company, permissionsOf(company.Role(c.User.Role))})
}
