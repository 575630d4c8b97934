package app_test

// End-to-end tests of removing users and rotating their tokens (docs/rules.md,
// "Users and tokens"): either holds from the moment the admin API answers.

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/commands"
	domain "github.com/smsinbox/smsinbox/domain/company"
)

// user is a user the admin API added.
type user struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

func (e *env) newUser(companyID, role string) user {
	e.t.Helper()
	r := e.do(req{method: "POST", path: "/api/admin/companies/" + companyID + "/users", token: adminTok,
		body: map[string]any{"name": "A " + role, "role": role}})
	expect(e.t, r, http.StatusCreated, "")
	var u user
	r.json(e.t, &u)
	if u.ID == "" || u.Token == "" {
		e.t.Fatalf("no user ID or token: %s", r.body)
	}
	return u
}

func (e *env) removeUser(companyID, userID string) response {
	e.t.Helper()
	return e.do(req{method: "DELETE", path: "/api/admin/companies/" + companyID + "/users/" + userID, token: adminTok})
}

func (e *env) rotateToken(companyID, userID string) response {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/admin/companies/" + companyID + "/users/" + userID + "/token", token: adminTok})
}

// signsIn tells whether token opens GET /api/me (and GET /api/threads):
// 200 or 401, nothing else.
func (e *env) signsIn(token string) bool {
	e.t.Helper()
	me := e.do(req{method: "GET", path: "/api/me", token: token})
	threads := e.do(req{method: "GET", path: "/api/threads", token: token})
	if me.status != threads.status || (me.status != http.StatusOK && me.status != http.StatusUnauthorized) {
		e.t.Fatalf("GET /api/me %d, GET /api/threads %d: %s %s", me.status, threads.status, me.body, threads.body)
	}
	return me.status == http.StatusOK
}

func TestRemoveUser(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	b := e.newTenant("Bolt Gym", numB)
	ann, bob := e.newUser(a.ID, "agent"), e.newUser(a.ID, "admin")
	if !e.signsIn(ann.Token) {
		t.Fatal("a new user does not sign in")
	}

	r := e.removeUser(a.ID, ann.ID)
	expect(t, r, http.StatusOK, "")
	checkPosition(t, r)
	if e.signsIn(ann.Token) {
		t.Fatal("a removed user's token still signs in")
	}
	if !e.signsIn(bob.Token) || !e.signsIn(a.agent) {
		t.Fatal("removing one user signed another out")
	}
	// The form endpoint, which also takes user tokens, refuses it too.
	expect(t, e.do(req{method: "POST", path: "/api/forms/submissions", token: ann.Token, body: formBody(cust1, true)}), http.StatusUnauthorized, "unauthorized")

	for _, tt := range []struct {
		name   string
		r      response
		status int
		code   string
	}{
		{"remove a removed user", e.removeUser(a.ID, ann.ID), http.StatusNotFound, "user_not_found"},
		{"rotate a removed user's token", e.rotateToken(a.ID, ann.ID), http.StatusNotFound, "user_not_found"},
		{"remove an unknown user", e.removeUser(a.ID, "no-such-user"), http.StatusNotFound, "user_not_found"},
		{"remove through another company", e.removeUser(b.ID, bob.ID), http.StatusNotFound, "user_not_found"},
		{"remove in no company", e.removeUser("no-such-company", bob.ID), http.StatusNotFound, "not_found"},
		{"remove with a user's token", e.do(req{method: "DELETE", path: "/api/admin/companies/" + a.ID + "/users/" + bob.ID, token: bob.Token}), http.StatusUnauthorized, "unauthorized"},
	} {
		t.Run(tt.name, func(t *testing.T) { expect(t, tt.r, tt.status, tt.code) })
	}
	if !e.signsIn(bob.Token) {
		t.Fatal("the refused requests above removed bob")
	}
}

func TestRotateUserToken(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	ann := e.newUser(a.ID, "agent")

	r := e.rotateToken(a.ID, ann.ID)
	expect(t, r, http.StatusOK, "")
	checkPosition(t, r)
	var rotated struct {
		Token string `json:"token"`
	}
	r.json(t, &rotated)
	if !strings.HasPrefix(rotated.Token, domain.TokenPrefix) || rotated.Token == ann.Token {
		t.Fatalf("new token %q", rotated.Token)
	}
	if e.signsIn(ann.Token) {
		t.Fatal("the old token still signs in after a rotation")
	}
	if !e.signsIn(rotated.Token) {
		t.Fatal("the new token does not sign in")
	}
	// Only hashes are stored: no token is in any event of the company.
	for rec, err := range e.app.Store.ReadStream(context.Background(), domain.StreamID(a.ID), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(rec.Data), rotated.Token) || strings.Contains(string(rec.Data), ann.Token) {
			t.Fatalf("%s stores a token: %s", rec.Type, rec.Data)
		}
	}
	expect(t, e.rotateToken(a.ID, "no-such-user"), http.StatusNotFound, "user_not_found")
	expect(t, e.do(req{method: "POST", path: "/api/admin/companies/" + a.ID + "/users/" + ann.ID + "/token", token: adminTok,
		body: map[string]any{"token": "mine"}}), http.StatusBadRequest, "unknown_field")
}

// The directory may lag; sign-in asks the company's stream. With the
// projectors stopped the directory still holds the user and the old hash,
// and the removed or rotated-away token is refused all the same.
func TestRevocationDoesNotWaitForTheReadModels(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	ann, bob := e.newUser(a.ID, "agent"), e.newUser(a.ID, "agent")
	for _, u := range []user{ann, bob} {
		if !e.signsIn(u.Token) {
			t.Fatal("a new user does not sign in")
		}
	}
	e.stopRun() // the directory stays as it is now

	expect(t, e.removeUser(a.ID, ann.ID), http.StatusOK, "")
	if e.signsIn(ann.Token) {
		t.Fatal("a removed user signs in while the directory lags")
	}
	expect(t, e.rotateToken(a.ID, bob.ID), http.StatusOK, "")
	if e.signsIn(bob.Token) {
		t.Fatal("a rotated-away token signs in while the directory lags")
	}
}

// A removed user's live stream ends at once, with a closed frame.
func TestRemovedUserLiveStreamEnds(t *testing.T) {
	e, a, ann, s := streamingUser(t)
	other := e.events(a.agent, "", nil)
	other.start()

	expect(t, e.removeUser(a.ID, ann.ID), http.StatusOK, "")
	s.closedFor("signed_out")

	// Another user's stream lives on: the next text reaches it.
	e.text(numA, cust1, "Still there?")
	other.threadFrame(cust1, func(thread) bool { return true })
}

// A token rotated away ends the streams it opened; one opened with the new
// token lives on.
func TestRotatedTokenLiveStreamEnds(t *testing.T) {
	e, a, ann, s := streamingUser(t)
	r := e.rotateToken(a.ID, ann.ID)
	expect(t, r, http.StatusOK, "")
	s.closedFor("signed_out")
	var rotated user
	r.json(t, &rotated)
	fresh := e.events(rotated.Token, "", nil)
	fresh.start()
	e.text(numA, cust1, "Hello")
	fresh.threadFrame(cust1, func(thread) bool { return true })
}

// A removal this server did not answer (another server's, here the use
// case run on the store directly) ends the stream before its next frame:
// the change that would have been that frame never reaches the removed user.
func TestRemovedElsewhereLiveStreamEnds(t *testing.T) {
	e, a, ann, s := streamingUser(t)
	if _, err := commands.NewRemoveUserHandler(e.app.Store, time.Now).Handle(context.Background(), commands.RemoveUser{CompanyID: a.ID, UserID: ann.ID}); err != nil {
		t.Fatal(err)
	}
	e.text(numA, cust1, "Not for a removed user")
	s.closedFor("signed_out")
	for _, f := range s.seen {
		if f.Event == "thread" {
			t.Fatalf("a removed user got %+v", f)
		}
	}
}

// streamingUser is a company with a second agent, ann, whose live stream
// is open and started.
func streamingUser(t *testing.T) (*env, tenant, user, *eventStream) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	ann := e.newUser(a.ID, "agent")
	s := e.events(ann.Token, "", nil)
	s.start()
	return e, a, ann, s
}

// closedFor reads frames until the server's closed frame, checks its
// reason, and checks that the stream then ends.
func (s *eventStream) closedFor(reason string) {
	s.t.Helper()
	f := s.until("closed frame", func(f sseFrame) bool { return f.Event == "closed" })
	if f.Data != `{"reason":"`+reason+`"}` || f.ID != "" {
		s.t.Fatalf("closed frame %+v, want reason %s and no id", f, reason)
	}
	if f, ok := s.next(5 * time.Second); ok {
		s.t.Fatalf("frame %+v after closed", f)
	}
}

// Sign-in takes the company from its stream, as it takes the token's
// verdict: turning Messages off holds from the moment the admin API
// answers, however far the directory lags (here the projectors are
// stopped, so the directory still says Messages are on).
func TestMessagesOffDoesNotWaitForTheReadModels(t *testing.T) {
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: a.agent}), http.StatusOK, "")
	e.stopRun() // the directory stays as it is now

	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok,
		body: map[string]any{"sms_enabled": false}}), http.StatusOK, "")
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: a.agent}), http.StatusForbidden, "sms_disabled")
}
