package app_test

// Numbers the metadata does not know (issue 14): a possible number that
// libphonenumber does not call valid (the fictional +1 555, an area code
// newer than the metadata) is a customer like any other.

import (
	"net/http"
	"net/url"
	"testing"
)

// cust555 is possible (ten digits after +1) but not valid: area code 555 is
// not assigned.
const cust555 = "+15551230001"

// A text from a +1 555 number reaches the company's inbox. (Until issue 14
// it was kept as unrouted.)
func TestPossibleNumberReachesTheInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	p := e.inboundParams(numA, cust1, "Do you open on Saturdays?")
	p.Set("From", cust555) // as Twilio gives it
	e.deliver(p)

	if u := e.unrouted(); len(u) != 0 {
		t.Fatalf("the text was kept as unrouted: %+v", u)
	}
	th := e.mustThread(a.agent, cust555)
	if th.CustomerPhone != cust555 {
		t.Fatalf("thread %+v", th)
	}
}

// Every route that takes a phone number takes a +1 555 one: the consent
// lookup (national form too), the form, the audit. (Until issue 14 the
// lookup answered 400 invalid_phone.)
func TestPossibleNumberInLookupsFormsAndAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	if c := e.consentOf(a.agent, cust555); c.Phone != cust555 || c.Status != "no" {
		t.Fatalf("consent %+v", c)
	}
	// National form, read with the company's country.
	if c := e.consentOf(a.agent, "(555) 123-0001"); c.Phone != cust555 {
		t.Fatalf("consent %+v", c)
	}
	f := e.submitForm(a.agent, map[string]any{"phone": cust555, "first_name": "Ada", "last_name": "Lovelace",
		"email": "ada@example.com", "opt_in": true, "app": "text_us_now"})
	if f.Consent != "pending" {
		t.Fatalf("form %+v", f)
	}
	admin := e.addUser(a.ID, "admin")
	if au := e.audit(admin, cust555, ""); au.Phone != cust555 || len(au.Events) == 0 {
		t.Fatalf("audit %+v", au)
	}
	// A number that cannot be one is still refused.
	r := e.do(req{method: "GET", path: "/api/consent/" + url.PathEscape("+1555123000"), token: a.agent})
	expect(t, r, http.StatusBadRequest, "invalid_phone")
}
