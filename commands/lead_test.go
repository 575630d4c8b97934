package commands_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/lead"
)

func (e *consentEnv) leadTypes(t *testing.T) []string {
	t.Helper()
	var out []string
	for rec, err := range e.store.ReadStream(context.Background(), lead.StreamID(e.company, cust), 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.Type)
	}
	return out
}

func TestFormsCreateThenUpdateTheLead(t *testing.T) {
	e := newConsentEnv(t)
	res := e.submit(t, false)
	if res.LeadID != lead.ID(e.company, cust) {
		t.Fatalf("lead %s", res.LeadID)
	}
	e.submit(t, false) // the same form again: no lead change
	if got := e.leadTypes(t); !slices.Equal(got, []string{"FormSubmitted", "LeadCreated", "FormSubmitted"}) {
		t.Fatalf("lead stream %v", got)
	}
	// The dashboard cannot create a second lead.
	h := commands.NewCreateLeadHandler(e.store, func() time.Time { return t0 })
	_, err := h.Handle(context.Background(), commands.CreateLead{CompanyID: e.company, Phone: cust,
		FirstName: "Ann", LastName: "Lee", Email: "ann@example.com", Actor: "user:u1"})
	if !errors.Is(err, lead.ErrLeadExists) {
		t.Fatalf("second lead: %v", err)
	}
	// A form with a new email updates it.
	if _, err := e.form.Handle(context.Background(), commands.SubmitForm{
		CompanyID: e.company, Phone: cust, FirstName: "Ada", LastName: "Lovelace", Email: "ada@lovelace.org",
		App: "other_app", Actor: "user:u1",
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.leadTypes(t); !slices.Equal(got, []string{"FormSubmitted", "LeadCreated", "FormSubmitted", "FormSubmitted", "LeadUpdated"}) {
		t.Fatalf("lead stream %v", got)
	}
}

func TestCreateLeadFieldErrors(t *testing.T) {
	e := newConsentEnv(t)
	h := commands.NewCreateLeadHandler(e.store, func() time.Time { return t0 })
	_, err := h.Handle(context.Background(), commands.CreateLead{CompanyID: e.company, Phone: cust,
		FirstName: "", LastName: "Lee", Email: "nope", Actor: "user:u1"})
	var fe lead.FieldErrors
	if !errors.As(err, &fe) || fe["first_name"] == "" || fe["email"] == "" {
		t.Fatalf("%v", err)
	}
	if got := e.leadTypes(t); len(got) != 0 {
		t.Fatalf("recorded %v", got)
	}
}
