package company

import (
	"fmt"
	"strings"
)

// Role is what a user may do (docs/rules.md, "Tenancy").
type Role string

// The roles.
const (
	// RoleAdmin may do everything, settings included.
	RoleAdmin Role = "admin"
	// RoleAgent reads and sends messages and manages leads.
	RoleAgent Role = "agent"
	// RoleCompliance reads messages and audits consent.
	RoleCompliance Role = "compliance"
	// RoleLight has no Messages access.
	RoleLight Role = "light"
	// RoleLiveChat has no Messages access.
	RoleLiveChat Role = "live_chat"
)

// Roles lists every role, in the order docs/rules.md names them.
func Roles() []Role {
	return []Role{RoleAdmin, RoleAgent, RoleCompliance, RoleLight, RoleLiveChat}
}

// ParseRole reads a role as a client writes it (case and surrounding white
// space do not matter). An unknown role is an *Error matching
// ErrInvalidCommand.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", invalidf("role %q is unknown (one of admin, agent, compliance, light, live_chat)", s)
	}
	return r, nil
}

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleAgent, RoleCompliance, RoleLight, RoleLiveChat:
		return true
	}
	return false
}

// String returns the role's name.
func (r Role) String() string { return string(r) }

// IsAdmin: company settings and users.
func (r Role) IsAdmin() bool { return r == RoleAdmin }

// CanUseMessages: read threads and messages (admin, agent, compliance).
// The other roles get 403 on every Messages endpoint.
func (r Role) CanUseMessages() bool {
	return r == RoleAdmin || r == RoleAgent || r == RoleCompliance
}

// CanSendMessages: send messages and change threads (admin, agent).
func (r Role) CanSendMessages() bool { return r == RoleAdmin || r == RoleAgent }

// CanManageLeads: create leads and submit forms (admin, agent).
func (r Role) CanManageLeads() bool { return r == RoleAdmin || r == RoleAgent }

// CanManageTemplates: create, change and delete the company's templates
// (canned replies): the roles that send them (admin, agent). Every role
// with Messages access reads them.
func (r Role) CanManageTemplates() bool { return r == RoleAdmin || r == RoleAgent }

// CanAudit: replay consent histories (admin, compliance).
func (r Role) CanAudit() bool { return r == RoleAdmin || r == RoleCompliance }

func invalidf(format string, args ...any) *Error {
	return &Error{Err: ErrInvalidCommand, Message: fmt.Sprintf(format, args...)}
}
