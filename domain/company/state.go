package company

import (
	"maps"
	"slices"
	"time"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// State is a company as its events describe it. The zero State is a company
// that does not exist (no event). A State is a value: Evolve never changes the
// State it is given, so a State may be kept, shared and evolved again.
type State struct {
	CompanyID string
	Name      string
	// MessagingNumber is the current messaging number: outbound texts go
	// from it, and consent is given on it.
	MessagingNumber phone.Number
	// TimeZone is an IANA name; Location loads it.
	TimeZone   string
	SMSEnabled bool
	// Country is the region in which national numbers are read (phone.Parse).
	Country string
	// QuietHours is the company's own sending window, which narrows the
	// law's (quiethours.go); the zero Window when it has none.
	QuietHours quiethours.Window
	CreatedAt  time.Time

	abandoned bool
	former    []phone.Number  // oldest first; never the current number
	users     map[string]User // current and removed
	appKeys   map[string]AppKey
	// autoReply is nil until the company sets it (AutoReply); texts are
	// its automated texts' wording (Texts).
	autoReply *autoreply.Settings
	texts     consent.Texts
}

// Exists reports whether the company was created.
func (s State) Exists() bool { return !s.CreatedAt.IsZero() }

// Abandoned reports whether the company's creation was abandoned: no company
// exists, and none ever will under this ID.
func (s State) Abandoned() bool { return s.abandoned }

// FormerNumbers returns the numbers the company used before its current one,
// oldest first (a copy). They still route inbound texts to it.
func (s State) FormerNumbers() []phone.Number { return slices.Clone(s.former) }

// Owns reports whether n is the company's current or a former messaging
// number.
func (s State) Owns(n phone.Number) bool {
	return n != "" && (n == s.MessagingNumber || slices.Contains(s.former, n))
}

// UserRole returns the role of the company's current user userID (not a
// removed one).
func (s State) UserRole(userID string) (Role, bool) {
	u, ok := s.users[userID]
	if !ok || u.Removed {
		return "", false
	}
	return u.Role, true
}

// Users returns the company's current users, ID → role.
func (s State) Users() map[string]Role {
	out := make(map[string]Role, len(s.users))
	for id, u := range s.users {
		if !u.Removed {
			out[id] = u.Role
		}
	}
	return out
}

// withUser returns s with user id set to u.
func withUser(s State, id string, u User) State {
	s.users = withEntry(s.users, id, u)
	return s
}

// withEntry returns a copy of m with k set to v: m itself is not changed,
// so States that shared it never see each other's changes (copy on write).
func withEntry[V any](m map[string]V, k string, v V) map[string]V {
	out := make(map[string]V, len(m)+1)
	maps.Copy(out, m)
	out[k] = v
	return out
}

// Location is the company's time zone; UTC if it cannot be loaded (Decide
// records only zones that load).
func (s State) Location() *time.Location {
	if loc, err := time.LoadLocation(s.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// Evolve returns the state after event e. An event of a type it does not
// know (NumberClaimed belongs to number streams) leaves the state as it was.
func Evolve(s State, e Event) State {
	switch e := e.(type) {
	case CompanyCreated:
		s.CompanyID = e.CompanyID
		s.Name = e.Name
		s.MessagingNumber = e.MessagingNumber
		s.TimeZone = e.TimeZone
		s.SMSEnabled = e.SMSEnabled
		s.Country = e.Country
		s.CreatedAt = e.At
	case CompanyUpdated:
		if e.Name != nil {
			s.Name = *e.Name
		}
		if e.TimeZone != nil {
			s.TimeZone = *e.TimeZone
		}
		if e.SMSEnabled != nil {
			s.SMSEnabled = *e.SMSEnabled
		}
	case MessagingNumberChanged:
		// Copy on write, so States that shared the slice never see each
		// other's changes. A number the company returns to is current, not
		// former.
		former := slices.DeleteFunc(slices.Clone(s.former), func(n phone.Number) bool { return n == e.MessagingNumber })
		if e.PreviousNumber != "" && !slices.Contains(former, e.PreviousNumber) {
			former = append(former, e.PreviousNumber)
		}
		s.former = former
		s.MessagingNumber = e.MessagingNumber
	case UserAdded:
		s = withUser(s, e.UserID, User{Role: e.Role, TokenHash: e.TokenHash})
	case UserRemoved:
		s = evolveUser(s, e.UserID, func(u *User) { u.Removed = true })
	case UserTokenRotated:
		s = evolveUser(s, e.UserID, func(u *User) { u.TokenHash = e.TokenHash })
	case AppKeyIssued:
		s = evolveAppKey(s, e.KeyID, AppKey{App: e.App})
	case AppKeyRevoked:
		if k, ok := s.appKeys[e.KeyID]; ok {
			k.Revoked = true
			s = evolveAppKey(s, e.KeyID, k)
		}
	case QuietHoursChanged:
		s = evolveQuietHours(s, e)
	case CompanyAbandoned:
		s.CompanyID = e.CompanyID
		s.abandoned = true
	case AutoReplySet, AutomatedTextsSet:
		s = evolveSettings(s, e)
	}
	return s
}

// Claim is the claim on one messaging number, as its NumberClaimed events
// describe it. The zero Claim is an unclaimed number.
type Claim struct {
	Number    phone.Number
	CompanyID string
	ClaimedAt time.Time
}

// Claimed reports whether a company holds the number.
func (c Claim) Claimed() bool { return c.CompanyID != "" }

// EvolveClaim returns the claim after event e: the latest NumberClaimed
// holds the number. Other events leave it as it was.
func EvolveClaim(c Claim, e Event) Claim {
	if e, ok := e.(NumberClaimed); ok {
		c.Number = e.Number
		c.CompanyID = e.CompanyID
		c.ClaimedAt = e.At
	}
	return c
}
