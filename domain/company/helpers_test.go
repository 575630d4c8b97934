package company_test

import (
	"strings"
	"time"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/phone"
)

const (
	co    = "company-1"
	other = "company-2"
	user1 = "user-1"
)

var (
	numA  = phone.MustParse("+1 202 555 0199", "") // the company's first number
	numB  = phone.MustParse("+1 202 555 0188", "") // its number after a change
	numC  = phone.MustParse("+44 20 7946 0958", "")
	t0    = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	hash1 = company.HashToken("smi_token-1")
	hash2 = company.HashToken("smi_token-2")
)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func ptr[T any](v T) *T { return &v }

// Commands.

func createCmd() company.CreateCompany {
	return company.CreateCompany{CompanyID: co, Name: "Acme Dental", MessagingNumber: numA, At: at(0)}
}

// createWith is createCmd changed by f.
func createWith(f func(*company.CreateCompany)) company.CreateCompany {
	c := createCmd()
	f(&c)
	return c
}

func addUserCmd(id string, role company.Role, min int) company.AddUser {
	return company.AddUser{UserID: id, Name: "Ann Admin", Role: role, TokenHash: hash1, At: at(min)}
}

// Events.

func created() company.CompanyCreated {
	return company.CompanyCreated{
		CompanyID: co, Name: "Acme Dental", MessagingNumber: numA,
		TimeZone: "UTC", SMSEnabled: true, Country: "US", At: at(0),
	}
}

func createdWith(f func(*company.CompanyCreated)) company.CompanyCreated {
	e := created()
	f(&e)
	return e
}

func numberChanged(from, to phone.Number, min int) company.MessagingNumberChanged {
	return company.MessagingNumberChanged{CompanyID: co, PreviousNumber: from, MessagingNumber: to, At: at(min)}
}

func userAdded(id string, role company.Role, min int) company.UserAdded {
	return company.UserAdded{CompanyID: co, UserID: id, Name: "Ann Admin", Role: role, TokenHash: hash1, At: at(min)}
}

func claimed(n phone.Number, companyID string, min int) company.NumberClaimed {
	return company.NumberClaimed{Number: n, CompanyID: companyID, At: at(min)}
}

func abandoned(companyID string, n phone.Number, min int) company.CompanyAbandoned {
	return company.CompanyAbandoned{CompanyID: companyID, Number: n, At: at(min)}
}

func given(events ...company.Event) company.State {
	var s company.State
	for _, e := range events {
		s = company.Evolve(s, e)
	}
	return s
}

func givenClaim(events ...company.Event) company.Claim {
	var c company.Claim
	for _, e := range events {
		c = company.EvolveClaim(c, e)
	}
	return c
}

func events(es ...company.Event) []company.Event { return es }

var long = strings.Repeat("é", company.MaxNameLen+1)
