package httpapi

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/projections"
)

var (
	errNoToken  = newError(http.StatusUnauthorized, "unauthorized", "Sign in: send a bearer token in the Authorization header.")
	errBadToken = newError(http.StatusUnauthorized, "unauthorized", "The token is not valid.")
	errRole     = newError(http.StatusForbidden, "forbidden", "Your role does not allow this.")
	errDisabled = newError(http.StatusForbidden, "sms_disabled", "Messages are turned off for your company.")
)

// access says what an endpoint needs of the caller's role. The rules are
// company.Role's: this only names which of them an endpoint asks.
type access int

const (
	readMessages    access = iota // company.Role.CanUseMessages
	writeMessages                 // company.Role.CanSendMessages
	manageLeads                   // company.Role.CanManageLeads
	auditConsent                  // company.Role.CanAudit
	adminOnly                     // company.Role.IsAdmin: the company's settings
	manageTemplates               // company.Role.CanManageTemplates
)

func (a access) allows(role company.Role) bool {
	switch a {
	case readMessages:
		return role.CanUseMessages()
	case writeMessages:
		return role.CanSendMessages()
	case manageLeads:
		return role.CanManageLeads()
	case auditConsent:
		return role.CanAudit()
	case adminOnly:
		return role.IsAdmin()
	case manageTemplates:
		return role.CanManageTemplates()
	}
	return false
}

// caller is the signed-in user and their company, or, on the app forms
// endpoint only, one of the company's app keys (then User is empty).
type caller struct {
	User    projections.User
	Company projections.Company
	AppKey  *projections.AppKey
	// tokenHash is the HashToken of the token that signed the caller in.
	tokenHash string
}

func (c caller) actor() string {
	if c.AppKey != nil {
		return "app:" + c.AppKey.ID
	}
	return "user:" + c.User.ID
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const prefix = "Bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	return strings.TrimSpace(h[len(prefix):]), true
}

// hashToken is how user tokens are kept: only their SHA-256. Looking a hash
// up by index leaks nothing usable about the token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Directory is what sign-in reads: the user or the app key a token's hash
// names, and their company. It must not lag a revocation, so it reads the
// primary (projections.Queries on it).
type Directory interface {
	UserByTokenHash(ctx context.Context, hash string) (projections.User, error)
	AppKeyByTokenHash(ctx context.Context, hash string) (projections.AppKey, error)
	Company(ctx context.Context, id string) (projections.Company, error)
}

// findFresh looks a credential up in the directory. One issued a moment ago
// may not be there yet: on a miss it waits (briefly) for the directory to
// reach the log's head before it refuses.
func findFresh[T any](ctx context.Context, a *api, find func(context.Context) (T, error)) (T, error) {
	v, err := find(ctx)
	if errors.Is(err, projections.ErrNotFound) {
		if head, herr := a.store.Head(ctx); herr == nil {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if a.progress.WaitFor(wctx, head) == nil {
				v, err = find(ctx)
			}
			cancel()
		}
	}
	if errors.Is(err, projections.ErrNotFound) {
		return v, errBadToken
	}
	return v, err
}

// authenticate finds the calling user and their company. The directory
// finds the token's user; the company's stream says whether that token still
// signs them in (not removed, not rotated away), so that a removal or a
// rotation holds from the moment it is answered, however far the directory
// lags. Failures count towards the sign-in limits (signInGuard).
func (a *api) authenticate(r *http.Request) (caller, error) {
	token, ok := bearer(r)
	if !ok {
		return caller{}, errNoToken
	}
	if err := a.signIns.allow(r, token); err != nil {
		return caller{}, err
	}
	c, err := a.signInUser(r.Context(), token)
	if errors.Is(err, errBadToken) {
		a.signIns.failed(r, token, "user")
	}
	return c, err
}

// signInUser signs a user in with one read of the database when their
// token was seen before: the company's stream (the events after the state
// remembered), which says whether the token still signs them in and what
// the company is now. Which user a token's hash names never changes (a
// rotation makes a new token), so the directory is asked once per token;
// the stream's verdict is taken on every request.
func (a *api) signInUser(ctx context.Context, token string) (caller, error) {
	hash := hashToken(token)
	u, known := a.tokens.get(hash)
	if !known {
		var err error
		u, err = findFresh(ctx, a, func(ctx context.Context) (projections.User, error) { return a.directory.UserByTokenHash(ctx, hash) })
		if err != nil {
			return caller{}, err
		}
	}
	state, err := a.states.Load(ctx, u.CompanyID)
	if err != nil {
		return caller{}, err
	}
	if !state.SignsIn(u.ID, hash) {
		a.tokens.forget(hash)
		return caller{}, errBadToken
	}
	a.tokens.put(hash, u)
	if su, ok := state.User(u.ID); ok {
		u.Role = string(su.Role)
	}
	return caller{User: u, Company: companyOf(state), tokenHash: hash}, nil
}

// companyOf is the company as its stream says it is now: what the
// directory's row holds once it has caught up.
func companyOf(s company.State) projections.Company {
	return projections.Company{ID: s.CompanyID, Name: s.Name, MessagingNumber: string(s.MessagingNumber),
		TimeZone: s.TimeZone, SMSEnabled: s.SMSEnabled, Country: s.Country}
}

// submitter guards the app forms endpoint: a user whose role has access,
// or an app key of the company (company.AppKeyPrefix) that is not revoked.
func (a *api) submitter(need access, h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	users := a.signedIn(need, h)
	return func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearer(r)
		if !ok || !strings.HasPrefix(token, company.AppKeyPrefix) {
			users(w, r)
			return
		}
		if err := a.signIns.allow(r, token); err != nil {
			a.fail(w, r, err)
			return
		}
		c, err := a.signInAppKey(r.Context(), token)
		if err != nil {
			if errors.Is(err, errBadToken) {
				a.signIns.failed(r, token, "app_key")
			}
			a.fail(w, r, err)
			return
		}
		h(w, r, c)
	}
}

func (a *api) signInAppKey(ctx context.Context, token string) (caller, error) {
	hash := hashToken(token)
	k, err := findFresh(ctx, a, func(ctx context.Context) (projections.AppKey, error) { return a.directory.AppKeyByTokenHash(ctx, hash) })
	if err != nil {
		return caller{}, err
	}
	// A revocation takes effect at once: the company's own stream, not
	// the directory (which may lag a moment), says whether the key lives.
	state, err := a.states.Load(ctx, k.CompanyID)
	if err != nil {
		return caller{}, err
	}
	if live, ok := state.AppKey(k.ID); !ok || live.Revoked {
		return caller{}, errBadToken
	}
	c, err := a.directory.Company(ctx, k.CompanyID)
	if err != nil {
		return caller{}, err
	}
	return caller{Company: c, AppKey: &k, tokenHash: hash}, nil
}

// signedIn guards an endpoint by a valid token and a role with access.
func (a *api) signedIn(need access, h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.authenticate(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !need.allows(company.Role(c.User.Role)) {
			a.fail(w, r, errRole)
			return
		}
		h(w, r, c)
	}
}

// messages guards a Messages endpoint: signedIn, and Messages turned on for
// the company.
func (a *api) messages(need access, h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return a.signedIn(need, func(w http.ResponseWriter, r *http.Request, c caller) {
		if !c.Company.SMSEnabled {
			a.fail(w, r, errDisabled)
			return
		}
		h(w, r, c)
	})
}

// admin guards /api/admin/*: the ADMIN_TOKEN, compared in constant time.
func (a *api) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if a.adminToken == "" {
			writeError(w, http.StatusNotFound, "admin_api_off", "The admin API is off: set ADMIN_TOKEN to turn it on.")
			return
		}
		token, ok := bearer(r)
		if !ok {
			a.fail(w, r, errNoToken)
			return
		}
		if err := a.signIns.allow(r, token); err != nil {
			a.fail(w, r, err)
			return
		}
		if subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(hashToken(a.adminToken))) != 1 {
			a.signIns.failed(r, token, "admin")
			a.fail(w, r, errBadToken)
			return
		}
		h(w, r)
	}
}
