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

	"github.com/smsinbox/smsinbox/projections"
)

var (
	errNoToken  = newError(http.StatusUnauthorized, "unauthorized", "Sign in: send a bearer token in the Authorization header.")
	errBadToken = newError(http.StatusUnauthorized, "unauthorized", "The token is not valid.")
	errRole     = newError(http.StatusForbidden, "forbidden", "Your role does not allow this.")
	errDisabled = newError(http.StatusForbidden, "sms_disabled", "Messages are turned off for your company.")
)

// access says who may use an endpoint.
type access int

const (
	readMessages  access = iota // admin, agent, compliance
	writeMessages               // admin, agent
	auditConsent                // admin, compliance
)

func (a access) allows(role string) bool {
	switch a {
	case readMessages:
		return role == "admin" || role == "agent" || role == "compliance"
	case writeMessages:
		return role == "admin" || role == "agent"
	case auditConsent:
		return role == "admin" || role == "compliance"
	}
	return false
}

// caller is the signed-in user and their company.
type caller struct {
	User    projections.User
	Company projections.Company
}

func (c caller) actor() string { return "user:" + c.User.ID }

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

// authenticate finds the caller. A user created a moment ago may not be in
// the directory yet: on a miss it waits (briefly) for the directory to
// reach the log's head before it refuses.
func (a *api) authenticate(r *http.Request) (caller, error) {
	token, ok := bearer(r)
	if !ok {
		return caller{}, errNoToken
	}
	ctx := r.Context()
	hash := hashToken(token)
	u, err := a.queries.UserByTokenHash(ctx, hash)
	if errors.Is(err, projections.ErrNotFound) {
		if head, herr := a.store.Head(ctx); herr == nil {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			if a.progress.WaitFor(wctx, head) == nil {
				u, err = a.queries.UserByTokenHash(ctx, hash)
			}
			cancel()
		}
	}
	if errors.Is(err, projections.ErrNotFound) {
		return caller{}, errBadToken
	}
	if err != nil {
		return caller{}, err
	}
	c, err := a.queries.Company(ctx, u.CompanyID)
	if err != nil {
		return caller{}, err
	}
	return caller{User: u, Company: c}, nil
}

// signedIn guards an endpoint by a valid token and a role with access.
func (a *api) signedIn(need access, h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.authenticate(r)
		if err != nil {
			a.fail(w, r, err)
			return
		}
		if !need.allows(c.User.Role) {
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
		if subtle.ConstantTimeCompare([]byte(hashToken(token)), []byte(hashToken(a.adminToken))) != 1 {
			a.fail(w, r, errBadToken)
			return
		}
		h(w, r)
	}
}
