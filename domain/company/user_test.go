package company_test

import (
	"testing"

	"github.com/smsinbox/smsinbox/domain/company"
)

func userRemoved(id string, min int) company.UserRemoved {
	return company.UserRemoved{CompanyID: co, UserID: id, At: at(min)}
}

func tokenRotated(id, hash string, min int) company.UserTokenRotated {
	return company.UserTokenRotated{CompanyID: co, UserID: id, TokenHash: hash, At: at(min)}
}

func TestDecideUsers(t *testing.T) {
	withUser := events(created(), userAdded(user1, company.RoleAgent, 1))
	removed := append(withUser, userRemoved(user1, 2))
	hash3 := company.HashToken("smi_token-3")
	tests := []decideCase{
		{"remove a user", withUser, company.RemoveUser{UserID: user1, At: at(2)}, events(userRemoved(user1, 2)), nil, ""},
		{"remove an unknown user", withUser, company.RemoveUser{UserID: "user-9", At: at(2)}, nil, company.ErrUserNotFound, "no user user-9"},
		{"remove a removed user", removed, company.RemoveUser{UserID: user1, At: at(3)}, nil, company.ErrUserNotFound, "no user user-1"},
		{"remove without a company", nil, company.RemoveUser{UserID: user1, At: at(2)}, nil, company.ErrCompanyNotFound, ""},
		{"remove without time", withUser, company.RemoveUser{UserID: user1}, nil, company.ErrInvalidCommand, "time"},

		{"rotate a token", withUser, company.RotateUserToken{UserID: user1, TokenHash: hash2, At: at(2)}, events(tokenRotated(user1, hash2, 2)), nil, ""},
		{"rotate it again", append(withUser, tokenRotated(user1, hash2, 2)), company.RotateUserToken{UserID: user1, TokenHash: hash3, At: at(3)},
			events(tokenRotated(user1, hash3, 3)), nil, ""},
		{"rotate to the token they have", withUser, company.RotateUserToken{UserID: user1, TokenHash: hash1, At: at(2)}, nil, company.ErrInvalidCommand, "the one they have"},
		{"rotate a removed user's token", removed, company.RotateUserToken{UserID: user1, TokenHash: hash2, At: at(3)}, nil, company.ErrUserNotFound, "no user user-1"},
		{"rotate an unknown user's token", withUser, company.RotateUserToken{UserID: "user-9", TokenHash: hash2, At: at(2)}, nil, company.ErrUserNotFound, ""},
		{"rotate to the secret instead of its hash", withUser, company.RotateUserToken{UserID: user1, TokenHash: "smi_secret", At: at(2)}, nil, company.ErrInvalidCommand, "SHA-256"},
		{"rotate without a hash", withUser, company.RotateUserToken{UserID: user1, At: at(2)}, nil, company.ErrInvalidCommand, "token hash is required"},
		{"rotate without a company", nil, company.RotateUserToken{UserID: user1, TokenHash: hash2, At: at(2)}, nil, company.ErrCompanyNotFound, ""},

		{"a removed user's ID is not used again", removed, addUserCmd(user1, company.RoleAdmin, 3), nil, company.ErrUserExists, "already exists"},
	}
	runDecide(t, tests)
}

// SignsIn is what sign-in asks of the company's stream: only the current
// token of a current user.
func TestSignsIn(t *testing.T) {
	added := given(created(), userAdded(user1, company.RoleAgent, 1))
	rotated := company.Evolve(added, tokenRotated(user1, hash2, 2))
	removed := company.Evolve(rotated, userRemoved(user1, 3))
	tests := []struct {
		name  string
		state company.State
		user  string
		hash  string
		want  bool
	}{
		{"the user's token", added, user1, hash1, true},
		{"another user", added, "user-9", hash1, false},
		{"another token", added, user1, hash2, false},
		{"no token", added, user1, "", false},
		{"the new token after a rotation", rotated, user1, hash2, true},
		{"the old token after a rotation", rotated, user1, hash1, false},
		{"a removed user's token", removed, user1, hash2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.state.SignsIn(tt.user, tt.hash); got != tt.want {
				t.Fatalf("SignsIn = %v, want %v", got, tt.want)
			}
		})
	}
	// A removed user is no current user, but is still known.
	if _, ok := removed.UserRole(user1); ok || len(removed.Users()) != 0 {
		t.Errorf("removed user still current: %v", removed.Users())
	}
	if u, ok := removed.User(user1); !ok || !u.Removed || u.Role != company.RoleAgent {
		t.Errorf("User = %+v, %v", u, ok)
	}
	// Evolve shares nothing: the state before the rotation keeps its token.
	if !added.SignsIn(user1, hash1) {
		t.Errorf("Evolve changed the state it was given")
	}
}

// TestUserRemovedEventID: a removal has a name-based event ID (a retry
// records nothing twice); rotations, which repeat, get random ones.
func TestUserRemovedEventID(t *testing.T) {
	a, b := company.EventID(userRemoved(user1, 1)), company.EventID(userRemoved(user1, 9))
	if a != b || a == company.EventID(userRemoved("user-2", 1)) || a == company.EventID(userAdded(user1, company.RoleAgent, 1)) {
		t.Errorf("UserRemoved's event ID is not by company and user ID")
	}
	if id := company.EventID(tokenRotated(user1, hash2, 1)); id != [16]byte{} {
		t.Errorf("UserTokenRotated has a fixed event ID %s", id)
	}
}
