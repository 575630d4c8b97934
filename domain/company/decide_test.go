package company_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestDecide(t *testing.T) {
	exists := events(created())
	orphanClaim := company.Claim{Number: numA, CompanyID: other, ClaimedAt: at(0)}

	tests := []decideCase{
		// CreateCompany: defaults UTC, sms_enabled true, country US.
		{"create with defaults", nil, createCmd(), events(created()), nil, ""},
		{"create with every setting", nil, createWith(func(c *company.CreateCompany) {
			c.Name, c.TimeZone, c.SMSEnabled, c.Country = "  Acme  ", "America/New_York", ptr(false), " gb "
		}), events(createdWith(func(e *company.CompanyCreated) {
			e.Name, e.TimeZone, e.SMSEnabled, e.Country = "Acme", "America/New_York", false, "GB"
		})), nil, ""},
		{"create, sms explicitly on", nil, createWith(func(c *company.CreateCompany) { c.SMSEnabled = ptr(true) }), events(created()), nil, ""},
		{"name of exactly 200 characters", nil, createWith(func(c *company.CreateCompany) { c.Name = long[2:] }),
			events(createdWith(func(e *company.CompanyCreated) { e.Name = long[2:] })), nil, ""},
		{"create an existing company", exists, createCmd(), nil, company.ErrCompanyExists, "already exists"},
		{"create an abandoned company", events(abandoned(co, numA, 5)), createCmd(), nil, company.ErrNumberTaken, "abandoned"},
		{"no company ID", nil, createWith(func(c *company.CreateCompany) { c.CompanyID = "" }), nil, company.ErrInvalidCommand, "company ID is required"},
		{"company ID with a slash", nil, createWith(func(c *company.CreateCompany) { c.CompanyID = "a/b" }), nil, company.ErrInvalidCommand, "company ID"},
		{"company ID too long", nil, createWith(func(c *company.CreateCompany) { c.CompanyID = strings.Repeat("a", 101) }), nil, company.ErrInvalidCommand, "longer"},
		{"no name", nil, createWith(func(c *company.CreateCompany) { c.Name = " \t " }), nil, company.ErrInvalidCommand, "name is required"},
		{"name too long", nil, createWith(func(c *company.CreateCompany) { c.Name = long }), nil, company.ErrInvalidCommand, "longer than 200"},
		{"name not UTF-8", nil, createWith(func(c *company.CreateCompany) { c.Name = "Ac\xffme" }), nil, company.ErrInvalidCommand, "UTF-8"},
		{"name with a control character", nil, createWith(func(c *company.CreateCompany) { c.Name = "Ac\x00me" }), nil, company.ErrInvalidCommand, "control"},
		{"no number", nil, createWith(func(c *company.CreateCompany) { c.MessagingNumber = "" }), nil, company.ErrInvalidCommand, "messaging number is required"},
		{"number not E.164", nil, createWith(func(c *company.CreateCompany) { c.MessagingNumber = "2025550199" }), nil, company.ErrInvalidCommand, "E.164"},
		{"number not possible", nil, createWith(func(c *company.CreateCompany) { c.MessagingNumber = "+1555123456" }), nil, company.ErrInvalidCommand, "E.164"},
		{"unknown time zone", nil, createWith(func(c *company.CreateCompany) { c.TimeZone = "Mars/Base" }), nil, company.ErrInvalidCommand, `time zone "Mars/Base" is unknown`},
		{"time zone Local", nil, createWith(func(c *company.CreateCompany) { c.TimeZone = "Local" }), nil, company.ErrInvalidCommand, "unknown"},
		{"time zone as a path", nil, createWith(func(c *company.CreateCompany) { c.TimeZone = "../../etc/passwd" }), nil, company.ErrInvalidCommand, "unknown"},
		{"unknown country", nil, createWith(func(c *company.CreateCompany) { c.Country = "ZZ" }), nil, company.ErrInvalidCommand, "country"},
		{"country not two letters", nil, createWith(func(c *company.CreateCompany) { c.Country = "USA" }), nil, company.ErrInvalidCommand, "country"},
		{"no time", nil, createWith(func(c *company.CreateCompany) { c.At = time.Time{} }), nil, company.ErrInvalidCommand, "time is required"},

		// UpdateCompany: only what changes.
		{"rename", exists, company.UpdateCompany{Name: ptr(" Acme Smiles "), At: at(1)},
			events(company.CompanyUpdated{CompanyID: co, Name: ptr("Acme Smiles"), At: at(1)}), nil, ""},
		{"change time zone", exists, company.UpdateCompany{TimeZone: ptr("Europe/London"), At: at(1)},
			events(company.CompanyUpdated{CompanyID: co, TimeZone: ptr("Europe/London"), At: at(1)}), nil, ""},
		{"turn sms off", exists, company.UpdateCompany{SMSEnabled: ptr(false), At: at(1)},
			events(company.CompanyUpdated{CompanyID: co, SMSEnabled: ptr(false), At: at(1)}), nil, ""},
		{"only the changed fields", exists, company.UpdateCompany{Name: ptr("Acme Dental"), TimeZone: ptr("Asia/Tokyo"), SMSEnabled: ptr(true), At: at(1)},
			events(company.CompanyUpdated{CompanyID: co, TimeZone: ptr("Asia/Tokyo"), At: at(1)}), nil, ""},
		{"every field", exists, company.UpdateCompany{Name: ptr("B"), TimeZone: ptr("Asia/Tokyo"), SMSEnabled: ptr(false), At: at(1)},
			events(company.CompanyUpdated{CompanyID: co, Name: ptr("B"), TimeZone: ptr("Asia/Tokyo"), SMSEnabled: ptr(false), At: at(1)}), nil, ""},
		{"nothing changes", exists, company.UpdateCompany{Name: ptr("Acme Dental"), TimeZone: ptr("UTC"), SMSEnabled: ptr(true), At: at(1)}, nil, nil, ""},
		{"nothing asked", exists, company.UpdateCompany{At: at(1)}, nil, nil, ""},
		{"turn sms back on", events(created(), company.CompanyUpdated{CompanyID: co, SMSEnabled: ptr(false), At: at(1)}),
			company.UpdateCompany{SMSEnabled: ptr(true), At: at(2)},
			events(company.CompanyUpdated{CompanyID: co, SMSEnabled: ptr(true), At: at(2)}), nil, ""},
		{"update a missing company", nil, company.UpdateCompany{Name: ptr("B"), At: at(1)}, nil, company.ErrCompanyNotFound, ""},
		{"update an abandoned company", events(abandoned(co, numA, 1)), company.UpdateCompany{Name: ptr("B"), At: at(2)}, nil, company.ErrCompanyNotFound, ""},
		{"empty name", exists, company.UpdateCompany{Name: ptr(""), At: at(1)}, nil, company.ErrInvalidCommand, "name is required"},
		{"empty time zone", exists, company.UpdateCompany{TimeZone: ptr(""), At: at(1)}, nil, company.ErrInvalidCommand, "time zone is empty"},
		{"unknown time zone in an update", exists, company.UpdateCompany{TimeZone: ptr("Mars/Base"), At: at(1)}, nil, company.ErrInvalidCommand, `"Mars/Base"`},
		{"update without time", exists, company.UpdateCompany{Name: ptr("B")}, nil, company.ErrInvalidCommand, "time"},

		// ChangeMessagingNumber.
		{"change number", exists, company.ChangeMessagingNumber{MessagingNumber: numB, At: at(1)}, events(numberChanged(numA, numB, 1)), nil, ""},
		{"same number", exists, company.ChangeMessagingNumber{MessagingNumber: numA, At: at(1)}, nil, nil, ""},
		{"back to a former number", events(created(), numberChanged(numA, numB, 1)), company.ChangeMessagingNumber{MessagingNumber: numA, At: at(2)},
			events(numberChanged(numB, numA, 2)), nil, ""},
		{"change number of a missing company", nil, company.ChangeMessagingNumber{MessagingNumber: numB, At: at(1)}, nil, company.ErrCompanyNotFound, ""},
		{"change to an invalid number", exists, company.ChangeMessagingNumber{MessagingNumber: "+1", At: at(1)}, nil, company.ErrInvalidCommand, "E.164"},
		{"change to no number", exists, company.ChangeMessagingNumber{At: at(1)}, nil, company.ErrInvalidCommand, "required"},
		{"change without time", exists, company.ChangeMessagingNumber{MessagingNumber: numB}, nil, company.ErrInvalidCommand, "time"},

		// AddUser.
		{"add a user", exists, addUserCmd(user1, company.RoleAdmin, 1), events(userAdded(user1, company.RoleAdmin, 1)), nil, ""},
		{"add a second user", events(created(), userAdded(user1, company.RoleAdmin, 1)), addUserCmd("user-2", company.RoleLiveChat, 2),
			events(userAdded("user-2", company.RoleLiveChat, 2)), nil, ""},
		{"add a user twice", events(created(), userAdded(user1, company.RoleAdmin, 1)), addUserCmd(user1, company.RoleAgent, 2), nil, company.ErrUserExists, "already exists"},
		{"add a user to a missing company", nil, addUserCmd(user1, company.RoleAdmin, 1), nil, company.ErrCompanyNotFound, ""},
		{"user name trimmed", exists, func() company.Command {
			c := addUserCmd(user1, company.RoleAgent, 1)
			c.Name = " Ann Admin\n"
			return c
		}(),
			events(userAdded(user1, company.RoleAgent, 1)), nil, ""},
		{"no user name", exists, func() company.Command { c := addUserCmd(user1, company.RoleAgent, 1); c.Name = ""; return c }(), nil, company.ErrInvalidCommand, "user name is required"},
		{"user name too long", exists, func() company.Command { c := addUserCmd(user1, company.RoleAgent, 1); c.Name = long; return c }(), nil, company.ErrInvalidCommand, "longer"},
		{"no user ID", exists, addUserCmd("", company.RoleAgent, 1), nil, company.ErrInvalidCommand, "user ID is required"},
		{"no role", exists, addUserCmd(user1, "", 1), nil, company.ErrInvalidCommand, "role is required"},
		{"unknown role", exists, addUserCmd(user1, "owner", 1), nil, company.ErrInvalidCommand, `role "owner" is unknown`},
		{"role in capitals", exists, addUserCmd(user1, "Admin", 1), nil, company.ErrInvalidCommand, "unknown"},
		{"no token hash", exists, func() company.Command { c := addUserCmd(user1, company.RoleAgent, 1); c.TokenHash = ""; return c }(), nil, company.ErrInvalidCommand, "token hash is required"},
		{"a token instead of its hash", exists, func() company.Command {
			c := addUserCmd(user1, company.RoleAgent, 1)
			c.TokenHash = "smi_secret"
			return c
		}(), nil, company.ErrInvalidCommand, "SHA-256"},
		{"hash in capitals", exists, func() company.Command {
			c := addUserCmd(user1, company.RoleAgent, 1)
			c.TokenHash = strings.ToUpper(hash2)
			return c
		}(), nil, company.ErrInvalidCommand, "SHA-256"},
		{"add a user without time", exists, func() company.Command { c := addUserCmd(user1, company.RoleAgent, 1); c.At = time.Time{}; return c }(), nil, company.ErrInvalidCommand, "time"},

		// AbandonCompany: only an orphan claim's company, never one that exists.
		{"abandon an orphan", nil, company.AbandonCompany{Claim: orphanClaim, At: at(1)}, events(abandoned(other, numA, 1)), nil, ""},
		{"abandon an orphan later", nil, company.AbandonCompany{Claim: orphanClaim, At: at(60)}, events(abandoned(other, numA, 60)), nil, ""},
		{"abandon a creation in progress", nil, company.AbandonCompany{Claim: orphanClaim, At: at(0).Add(59 * time.Second)}, nil, company.ErrNumberTaken, "belongs to another company"},
		{"abandon twice", events(abandoned(other, numA, 1)), company.AbandonCompany{Claim: orphanClaim, At: at(2)}, nil, nil, ""},
		{"abandon a company that exists", exists, company.AbandonCompany{Claim: company.Claim{Number: numA, CompanyID: co, ClaimedAt: at(0)}, At: at(5)},
			nil, company.ErrCompanyExists, ""},
		{"abandon without a claim", nil, company.AbandonCompany{At: at(5)}, nil, company.ErrInvalidCommand, ""},
		{"abandon without time", nil, company.AbandonCompany{Claim: orphanClaim}, nil, company.ErrInvalidCommand, "time"},
	}
	runDecide(t, tests)
}

// decideCase is one row of a Decide table: given these events, when this
// command, then these events, or an error matching err whose text holds
// msg.
type decideCase struct {
	name  string
	given []company.Event
	when  company.Command
	then  []company.Event
	err   error
	msg   string // in the error's text, when not empty
}

// runDecide runs each row on the state its events make, and checks that
// Decide leaves that state as it was.
func runDecide(t *testing.T, tests []decideCase) {
	t.Helper()
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

func checkDecision(t *testing.T, got []company.Event, err error, then []company.Event, wantErr error, msg string) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("error %v, want %v", err, wantErr)
		}
		var ce *company.Error
		if !errors.As(err, &ce) {
			t.Fatalf("error %T is not a *company.Error", err)
		}
		if !strings.Contains(err.Error(), msg) {
			t.Fatalf("error %q does not say %q", err, msg)
		}
		if got != nil {
			t.Fatalf("events %v with an error", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("error %v", err)
	}
	if !reflect.DeepEqual(got, then) {
		t.Fatalf("events\n got %#v\nwant %#v", got, then)
	}
}

func TestDecideClaim(t *testing.T) {
	orphan := given(abandoned(other, numA, 2))
	created2 := given(createdWith(func(e *company.CompanyCreated) { e.CompanyID = other }))
	pending := company.State{} // the holder's stream is still empty

	tests := []struct {
		name  string
		given []company.Event
		when  company.ClaimNumber
		then  []company.Event
		err   error
	}{
		{"claim a free number", nil, company.ClaimNumber{Number: numA, CompanyID: co, At: at(0)}, events(claimed(numA, co, 0)), nil},
		{"claim it again (a retry)", events(claimed(numA, co, 0)), company.ClaimNumber{Number: numA, CompanyID: co, At: at(1)}, nil, nil},
		{"another company's number", events(claimed(numA, other, 0)), company.ClaimNumber{Number: numA, CompanyID: co, At: at(1)}, nil, company.ErrNumberTaken},
		{"another company's, holder exists", events(claimed(numA, other, 0)), company.ClaimNumber{Number: numA, CompanyID: co, At: at(9), Holder: &created2}, nil, company.ErrNumberTaken},
		{"another company's, holder pending", events(claimed(numA, other, 0)), company.ClaimNumber{Number: numA, CompanyID: co, At: at(9), Holder: &pending}, nil, company.ErrNumberTaken},
		{"take over an abandoned claim", events(claimed(numA, other, 0)), company.ClaimNumber{Number: numA, CompanyID: co, At: at(3), Holder: &orphan},
			events(company.NumberClaimed{Number: numA, CompanyID: co, ReplacesCompanyID: other, At: at(3)}), nil},
		{"abandoned holder of an older claim", events(claimed(numA, other, 0), company.NumberClaimed{Number: numA, CompanyID: "company-3", ReplacesCompanyID: other, At: at(3)}),
			company.ClaimNumber{Number: numA, CompanyID: co, At: at(4), Holder: &orphan}, nil, company.ErrNumberTaken},
		{"claim after a take-over, by the new holder", events(claimed(numA, other, 0), company.NumberClaimed{Number: numA, CompanyID: co, ReplacesCompanyID: other, At: at(3)}),
			company.ClaimNumber{Number: numA, CompanyID: co, At: at(4)}, nil, nil},
		{"claim after a take-over, by the abandoned company", events(claimed(numA, other, 0), company.NumberClaimed{Number: numA, CompanyID: co, ReplacesCompanyID: other, At: at(3)}),
			company.ClaimNumber{Number: numA, CompanyID: other, At: at(4)}, nil, company.ErrNumberTaken},
		{"decided on another number's stream", events(claimed(numB, co, 0)), company.ClaimNumber{Number: numA, CompanyID: co, At: at(1)}, nil, company.ErrInvalidCommand},
		{"no number", nil, company.ClaimNumber{CompanyID: co, At: at(0)}, nil, company.ErrInvalidCommand},
		{"number not E.164", nil, company.ClaimNumber{Number: phone.Number("(202) 555-0199"), CompanyID: co, At: at(0)}, nil, company.ErrInvalidCommand},
		{"no company", nil, company.ClaimNumber{Number: numA, At: at(0)}, nil, company.ErrInvalidCommand},
		{"no time", nil, company.ClaimNumber{Number: numA, CompanyID: co}, nil, company.ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := company.DecideClaim(givenClaim(tt.given...), tt.when)
			checkDecision(t, got, err, tt.then, tt.err, "")
		})
	}
}

func TestOrphaned(t *testing.T) {
	claim := company.Claim{Number: numA, CompanyID: other, ClaimedAt: at(0)}
	pending := company.State{}
	for _, tt := range []struct {
		name   string
		claim  company.Claim
		holder company.State
		at     int // seconds after t0
		want   bool
	}{
		{"unclaimed", company.Claim{}, pending, 3600, false},
		{"holder exists", claim, given(createdWith(func(e *company.CompanyCreated) { e.CompanyID = other })), 3600, false},
		{"creation may be under way", claim, pending, 59, false},
		{"creation never happened", claim, pending, 60, true},
		{"abandoned", claim, given(abandoned(other, numA, 0)), 1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := company.Orphaned(tt.claim, tt.holder, t0.Add(time.Duration(tt.at)*time.Second)); got != tt.want {
				t.Fatalf("Orphaned = %v, want %v", got, tt.want)
			}
		})
	}
}
