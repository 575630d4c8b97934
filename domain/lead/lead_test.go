package lead

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func details() Details {
	return Details{LeadID: uuid.New(), CompanyID: "c1", CustomerPhone: "+12025550187", ThreadID: uuid.New(),
		FirstName: " Ann ", LastName: "Lee", Email: "ann@example.com", Source: SourceDashboard,
		At: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func TestCreate(t *testing.T) {
	evs, err := Decide(State{}, Create{details()})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	c := evs[0].(LeadCreated)
	if c.FirstName != "Ann" {
		t.Fatalf("not trimmed: %q", c.FirstName)
	}
	s := Evolve(State{}, c)
	if _, err := Decide(s, Create{details()}); !errors.Is(err, ErrLeadExists) {
		t.Fatalf("second create: %v", err)
	}
}

func TestSubmit(t *testing.T) {
	d := details()
	d.Source = "app:text_us_now"
	evs, _ := Decide(State{}, Submit{d})
	s := Evolve(State{}, evs[0])
	if evs, err := Decide(s, Submit{d}); err != nil || len(evs) != 0 {
		t.Fatalf("same form again: %v %v", evs, err)
	}
	d2 := d
	d2.Email = "ann@lee.org"
	d2.LeadID = uuid.New()
	evs, err := Decide(s, Submit{d2})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%v %v", evs, err)
	}
	u := evs[0].(LeadUpdated)
	if u.Email != "ann@lee.org" || u.LeadID != d.LeadID {
		t.Fatalf("update %+v", u)
	}
	if s = Evolve(s, u); s.Email != "ann@lee.org" {
		t.Fatalf("state %+v", s)
	}
}

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		change func(*Details)
		field  string
	}{
		{func(d *Details) { d.FirstName = "  " }, "first_name"},
		{func(d *Details) { d.LastName = strings.Repeat("x", 101) }, "last_name"},
		{func(d *Details) { d.Email = "ann@localhost" }, "email"},
		{func(d *Details) { d.Email = "Ann <ann@example.com>" }, "email"},
		{func(d *Details) { d.Email = "" }, "email"},
		{func(d *Details) { d.Source = "app:" }, "source"},
	} {
		d := details()
		c.change(&d)
		_, err := Decide(State{}, Create{d})
		var fe FieldErrors
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe[c.field] == "" {
			t.Errorf("%s: %v", c.field, err)
		}
	}
	d := details()
	d.LastName = strings.Repeat("é", 100)
	if _, err := Check(d); err != nil {
		t.Fatalf("100 characters: %v", err)
	}
}

func TestDecode(t *testing.T) {
	b, _ := json.Marshal(LeadCreated{details()})
	e, err := Decode(TypeLeadCreated, b)
	if err != nil || e.(LeadCreated).Email != "ann@example.com" {
		t.Fatalf("%v %v", e, err)
	}
	e, err = Decode(TypeFormSubmitted, []byte(`{"submitted_at":"2030-01-01T00:00:00Z","first_name":"x"}`))
	if err != nil || e.EventType() != TypeFormSubmitted {
		t.Fatalf("%v %v", e, err)
	}
	if s := Evolve(State{}, e); s.Exists {
		t.Fatalf("a form made a lead: %+v", s)
	}
	if _, err := Decode("Nope", nil); !errors.Is(err, ErrUnknownEvent) {
		t.Fatal(err)
	}
}

func TestDetailsOf(t *testing.T) {
	d := Details{FirstName: "Ada"}
	for _, e := range []Event{LeadCreated{d}, LeadUpdated{d}} {
		if got, ok := DetailsOf(e); !ok || got != d {
			t.Errorf("DetailsOf(%T) = %+v, %v", e, got, ok)
		}
	}
	if _, ok := DetailsOf(FormSubmitted{}); ok {
		t.Errorf("DetailsOf(FormSubmitted) is a lead")
	}
}
