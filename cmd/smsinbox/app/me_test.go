package app_test

import (
	"net/http"
	"testing"
)

// GET /api/me answers what the caller's role allows, one flag per rule of
// company.Role, so that the page needs no list of roles of its own.
func TestMeAnswersThePermissions(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	type perms struct {
		ReadMessages  bool `json:"read_messages"`
		WriteMessages bool `json:"write_messages"`
		ManageLeads   bool `json:"manage_leads"`
		Audit         bool `json:"audit"`
		Admin         bool `json:"admin"`
		// ManageTemplates: the template manager shows.
		ManageTemplates bool `json:"manage_templates"`
	}
	for _, tt := range []struct {
		role string
		want perms
	}{
		{"admin", perms{ReadMessages: true, WriteMessages: true, ManageLeads: true, Audit: true, Admin: true, ManageTemplates: true}},
		{"agent", perms{ReadMessages: true, WriteMessages: true, ManageLeads: true, ManageTemplates: true}},
		{"compliance", perms{ReadMessages: true, Audit: true}},
		{"light", perms{}},
		{"live_chat", perms{}},
	} {
		u := e.newUser(a.ID, tt.role)
		r := e.do(req{method: "GET", path: "/api/me", token: u.Token})
		expect(t, r, http.StatusOK, "")
		var me struct {
			User struct {
				Role string `json:"role"`
			} `json:"user"`
			Permissions *perms `json:"permissions"`
		}
		r.json(t, &me)
		if me.User.Role != tt.role || me.Permissions == nil || *me.Permissions != tt.want {
			t.Errorf("%s: role %q, permissions %+v, want %+v: %s", tt.role, me.User.Role, me.Permissions, tt.want, r.body)
		}
	}
}
