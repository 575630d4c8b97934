package company

import (
	"fmt"
	"time"
)

// A user signs in with a bearer token, of which the company keeps only the
// SHA-256 (HashToken). An admin may remove a user or give them a new token;
// either takes effect at once: sign-in checks the company's stream, where
// UserRemoved and UserTokenRotated are recorded, not a read model that may
// lag.

// Event types of a user's removal and token rotation.
const (
	TypeUserRemoved      = "UserRemoved"
	TypeUserTokenRotated = "UserTokenRotated"
)

// RemoveUser removes a current user: their token signs nothing in any more.
// A removed user's ID is never used again.
type RemoveUser struct {
	UserID string
	At     time.Time
}

// RotateUserToken gives a current user a new token; the old one signs
// nothing in any more. The caller makes the token and gives only its
// HashToken.
type RotateUserToken struct {
	UserID    string
	TokenHash string
	At        time.Time
}

func (RemoveUser) isCommand()      {}
func (RotateUserToken) isCommand() {}

// UserRemoved: the user is no longer the company's; their token signs
// nothing in.
type UserRemoved struct {
	CompanyID string    `json:"company_id"`
	UserID    string    `json:"user_id"`
	At        time.Time `json:"at"`
}

// UserTokenRotated: the user signs in with a new token, whose SHA-256 is
// TokenHash; the previous one signs nothing in.
type UserTokenRotated struct {
	CompanyID string    `json:"company_id"`
	UserID    string    `json:"user_id"`
	TokenHash string    `json:"token_hash"`
	At        time.Time `json:"at"`
}

func (UserRemoved) EventType() string      { return TypeUserRemoved }
func (UserTokenRotated) EventType() string { return TypeUserTokenRotated }

func (e UserRemoved) OccurredAt() time.Time      { return e.At }
func (e UserTokenRotated) OccurredAt() time.Time { return e.At }

// User is a user as the company's events describe them.
type User struct {
	Role Role
	// TokenHash is the HashToken of the token that signs them in now.
	TokenHash string
	Removed   bool
}

// User returns the company's user userID, current or removed.
func (s State) User(userID string) (User, bool) {
	u, ok := s.users[userID]
	return u, ok
}

// SignsIn reports whether the token whose HashToken is tokenHash signs user
// userID in: the user is one of the company's, not removed, and tokenHash
// is their current token's (not one rotated away).
func (s State) SignsIn(userID, tokenHash string) bool {
	u, ok := s.users[userID]
	return ok && !u.Removed && tokenHash != "" && u.TokenHash == tokenHash
}

// removeUser records UserRemoved for a current user; an unknown or removed
// one is ErrUserNotFound.
func removeUser(s State, c RemoveUser) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	if _, err := currentUser(s, c.UserID); err != nil {
		return nil, err
	}
	return []Event{UserRemoved{CompanyID: s.CompanyID, UserID: c.UserID, At: c.At}}, nil
}

// rotateToken records UserTokenRotated for a current user (ErrUserNotFound
// otherwise); the new token's hash must differ from the current one.
func rotateToken(s State, c RotateUserToken) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	u, err := currentUser(s, c.UserID)
	if err != nil {
		return nil, err
	}
	if err := checkTokenHash(c.TokenHash); err != nil {
		return nil, err
	}
	if c.TokenHash == u.TokenHash {
		return nil, invalidf("the new token of user %s is the one they have", c.UserID)
	}
	return []Event{UserTokenRotated{CompanyID: s.CompanyID, UserID: c.UserID, TokenHash: c.TokenHash, At: c.At}}, nil
}

// currentUser is the company's user userID, unless unknown or removed.
func currentUser(s State, userID string) (User, error) {
	u, ok := s.users[userID]
	if !ok || u.Removed {
		return User{}, &Error{Err: ErrUserNotFound, Message: fmt.Sprintf("the company has no user %s", userID)}
	}
	return u, nil
}

func evolveUser(s State, id string, f func(*User)) State {
	u, ok := s.users[id]
	if !ok {
		return s
	}
	f(&u)
	return withUser(s, id, u)
}
