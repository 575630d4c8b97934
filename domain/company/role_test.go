package company_test

import (
	"errors"
	"testing"

	"github.com/smsinbox/smsinbox/domain/company"
)

// docs/rules.md, "Tenancy": admin (everything, settings), agent (messages,
// leads), compliance (read messages, consent audit), light and live_chat (no
// Messages access). Templates are written by the roles that send texts.
func TestRoles(t *testing.T) {
	for _, tt := range []struct {
		role                                           company.Role
		admin, messages, send, leads, audit, templates bool
	}{
		{company.RoleAdmin, true, true, true, true, true, true},
		{company.RoleAgent, false, true, true, true, false, true},
		{company.RoleCompliance, false, true, false, false, true, false},
		{company.RoleLight, false, false, false, false, false, false},
		{company.RoleLiveChat, false, false, false, false, false, false},
		{"owner", false, false, false, false, false, false},
		{"", false, false, false, false, false, false},
	} {
		r := tt.role
		got := [6]bool{r.IsAdmin(), r.CanUseMessages(), r.CanSendMessages(), r.CanManageLeads(), r.CanAudit(), r.CanManageTemplates()}
		want := [6]bool{tt.admin, tt.messages, tt.send, tt.leads, tt.audit, tt.templates}
		if got != want {
			t.Errorf("%q: admin, messages, send, leads, audit, templates = %v, want %v", r, got, want)
		}
	}
	if len(company.Roles()) != 5 {
		t.Fatalf("roles %v", company.Roles())
	}
	for _, r := range company.Roles() {
		if !r.Valid() {
			t.Errorf("%q not valid", r)
		}
		if p, err := company.ParseRole(" " + string(r) + " "); err != nil || p != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, p, err)
		}
	}
	if p, err := company.ParseRole("LIVE_CHAT"); err != nil || p != company.RoleLiveChat {
		t.Errorf("ParseRole(LIVE_CHAT) = %q, %v", p, err)
	}
	for _, s := range []string{"", "owner", "live chat", "admin2"} {
		if company.Role(s).Valid() {
			t.Errorf("%q valid", s)
		}
		if _, err := company.ParseRole(s); !errors.Is(err, company.ErrInvalidCommand) {
			t.Errorf("ParseRole(%q): %v", s, err)
		}
	}
}
