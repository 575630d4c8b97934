package company_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
)

func issueKey(id, app string, min int) company.IssueAppKey {
	return company.IssueAppKey{KeyID: id, App: app, TokenHash: hash2, At: at(min)}
}

func keyIssued(id, app string, min int) company.AppKeyIssued {
	return company.AppKeyIssued{CompanyID: co, KeyID: id, App: app, TokenHash: hash2, At: at(min)}
}

func keyRevoked(id string, min int) company.AppKeyRevoked {
	return company.AppKeyRevoked{CompanyID: co, KeyID: id, At: at(min)}
}

func TestDecideAppKeys(t *testing.T) {
	exists := events(created())
	withKey := events(created(), keyIssued("key-1", "text_us_now", 1))
	tests := []struct {
		name  string
		given []company.Event
		when  company.Command
		then  []company.Event
		err   error
		msg   string
	}{
		{"issue a key", exists, issueKey("key-1", "text_us_now", 1), events(keyIssued("key-1", "text_us_now", 1)), nil, ""},
		{"a second key for the same app", withKey, issueKey("key-2", "text_us_now", 2), events(keyIssued("key-2", "text_us_now", 2)), nil, ""},
		{"a key ID the company has", withKey, issueKey("key-1", "schedule_genie", 2), nil, company.ErrInvalidCommand, "already exists"},
		{"no company", nil, issueKey("key-1", "text_us_now", 1), nil, company.ErrCompanyNotFound, ""},
		{"no app", exists, issueKey("key-1", "", 1), nil, company.ErrInvalidCommand, "app is required"},
		{"app in capitals", exists, issueKey("key-1", "TextUsNow", 1), nil, company.ErrInvalidCommand, "lowercase"},
		{"app with a space", exists, issueKey("key-1", "text us", 1), nil, company.ErrInvalidCommand, "lowercase"},
		{"app starting with a digit", exists, issueKey("key-1", "1app", 1), nil, company.ErrInvalidCommand, "starting with a letter"},
		{"app of 41 characters", exists, issueKey("key-1", "a"+strings.Repeat("b", 40), 1), nil, company.ErrInvalidCommand, "40"},
		{"app of 40 characters", exists, issueKey("key-1", "a"+strings.Repeat("b", 39), 1), events(keyIssued("key-1", "a"+strings.Repeat("b", 39), 1)), nil, ""},
		{"the dashboard's name", exists, issueKey("key-1", "dashboard", 1), nil, company.ErrInvalidCommand, "smsinbox's own"},
		{"automated", exists, issueKey("key-1", "automated", 1), nil, company.ErrInvalidCommand, "smsinbox's own"},
		{"no key ID", exists, issueKey("", "text_us_now", 1), nil, company.ErrInvalidCommand, "key ID is required"},
		{"the secret instead of its hash", exists, func() company.Command { c := issueKey("key-1", "text_us_now", 1); c.TokenHash = "smk_secret"; return c }(), nil, company.ErrInvalidCommand, "SHA-256"},
		{"no time", exists, func() company.Command { c := issueKey("key-1", "text_us_now", 1); c.At = time.Time{}; return c }(), nil, company.ErrInvalidCommand, "time"},

		{"revoke a key", withKey, company.RevokeAppKey{KeyID: "key-1", At: at(5)}, events(keyRevoked("key-1", 5)), nil, ""},
		{"revoke it again", append(withKey, keyRevoked("key-1", 5)), company.RevokeAppKey{KeyID: "key-1", At: at(6)}, nil, nil, ""},
		{"revoke an unknown key", withKey, company.RevokeAppKey{KeyID: "key-9", At: at(5)}, nil, company.ErrAppKeyNotFound, "no app key key-9"},
		{"revoke without a company", nil, company.RevokeAppKey{KeyID: "key-1", At: at(5)}, nil, company.ErrCompanyNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			state := given(tt.given...)
			before := given(tt.given...)
			got, err := company.Decide(state, tt.when)
			checkDecision(t, got, err, tt.then, tt.err, tt.msg)
			if !reflect.DeepEqual(state, before) {
				t.Fatalf("Decide changed its state")
			}
		})
	}
}

func TestAppKeyState(t *testing.T) {
	s := given(created(), keyIssued("key-1", "text_us_now", 1), keyIssued("key-2", "schedule_genie", 2), keyRevoked("key-1", 3))
	if k, ok := s.AppKey("key-1"); !ok || k.App != "text_us_now" || !k.Revoked {
		t.Errorf("key-1 = %+v, %v; want text_us_now, revoked", k, ok)
	}
	if k, ok := s.AppKey("key-2"); !ok || k.App != "schedule_genie" || k.Revoked {
		t.Errorf("key-2 = %+v, %v; want schedule_genie, not revoked", k, ok)
	}
	if _, ok := s.AppKey("key-3"); ok {
		t.Errorf("key-3 exists")
	}
	// Evolve shares nothing: the state before the revocation still has key-1 live.
	before := given(created(), keyIssued("key-1", "text_us_now", 1))
	_ = company.Evolve(before, keyRevoked("key-1", 3))
	if k, _ := before.AppKey("key-1"); k.Revoked {
		t.Errorf("Evolve changed the state it was given")
	}
}

// TestAppKeyEventID: issuing a key has a name-based event ID, so a retried
// issue records nothing twice (the round trip is in TestDecodeRoundTrip).
func TestAppKeyEventID(t *testing.T) {
	a, b := company.EventID(keyIssued("key-1", "text_us_now", 1)), company.EventID(keyIssued("key-1", "text_us_now", 9))
	if a != b || a == company.EventID(keyIssued("key-2", "text_us_now", 1)) {
		t.Errorf("AppKeyIssued's event ID is not by company and key ID")
	}
}

// A form submission may not name one of smsinbox's own apps, in any case,
// whoever submits it; any other name is the adapter's to check.
func TestCheckSubmittedApp(t *testing.T) {
	for _, tc := range []struct {
		app string
		ok  bool
	}{
		{"text_us_now", true},
		{"dashboard_form", true},
		{"my-automated-app", true},
		{"dashboard", false},
		{"automated", false},
		{"Dashboard", false},
		{"AUTOMATED", false},
		{" automated ", false},
	} {
		err := company.CheckSubmittedApp(tc.app)
		if tc.ok != (err == nil) {
			t.Errorf("CheckSubmittedApp(%q) = %v, want ok %v", tc.app, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, company.ErrInvalidCommand) || !strings.Contains(err.Error(), "smsinbox's own")) {
			t.Errorf("CheckSubmittedApp(%q) = %v, want ErrInvalidCommand saying it is smsinbox's own", tc.app, err)
		}
	}
}
