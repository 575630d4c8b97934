package httpapi

import (
	"net/http"

	"github.com/smsinbox/smsinbox/projections"
)

// meUser is the signed-in user as GET /api/me tells it.
type meUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
}

// me answers who the token belongs to and their company. Every valid token
// is answered, whatever its role and whatever sms_enabled says, so that the
// page can tell why Messages are closed to its user.
func (a *api) me(w http.ResponseWriter, r *http.Request) {
	c, err := a.authenticate(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		User    meUser              `json:"user"`
		Company projections.Company `json:"company"`
	}{meUser{ID: c.User.ID, Name: c.User.Name, Role: c.User.Role}, c.Company})
}
