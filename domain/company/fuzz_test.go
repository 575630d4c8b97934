package company_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// FuzzDecideCreate: any CreateCompany either fails with a readable
// ErrInvalidCommand, or records one CompanyCreated that replays from the
// store exactly as decided, with a time zone that loads; never panics.
func FuzzDecideCreate(f *testing.F) {
	f.Add("Acme", "+12025550199", "", "")
	f.Add(" Acme\t", "+442079460958", "Europe/London", "gb")
	f.Add("Ac\xffme", "2025550199", "Mars/Base", "ZZ")
	f.Add("\u202eemcA", "+1", "Local", "001")
	f.Add("x", "+12025550199", "../../../etc/passwd", "us ")
	f.Fuzz(func(t *testing.T, name, number, tz, country string) {
		c := createCmd()
		c.Name, c.MessagingNumber, c.TimeZone, c.Country = name, phone.Number(number), tz, country
		got, err := company.Decide(company.State{}, c)
		if err != nil {
			var ce *company.Error
			if !errors.Is(err, company.ErrInvalidCommand) || !errors.As(err, &ce) || ce.Message == "" || !utf8.ValidString(ce.Message) {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		if len(got) != 1 {
			t.Fatalf("events %v", got)
		}
		e := got[0].(company.CompanyCreated)
		if e.Name == "" || utf8.RuneCountInString(e.Name) > company.MaxNameLen || e.Country == "" {
			t.Fatalf("accepted %+v", e)
		}
		s := company.Evolve(company.State{}, e)
		if s.Location().String() != e.TimeZone {
			t.Fatalf("time zone %q loads as %q", e.TimeZone, s.Location())
		}
		if p, err := phone.Parse(string(e.MessagingNumber), ""); err != nil || p != e.MessagingNumber {
			t.Fatalf("number %q accepted", e.MessagingNumber)
		}
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := company.Decode(e.EventType(), data)
		if err != nil || !reflect.DeepEqual(back, got[0]) {
			t.Fatalf("replayed %#v, decided %#v (%v)", back, got[0], err)
		}
		// Deciding again on the replayed state is ErrCompanyExists.
		if _, err := company.Decide(s, c); !errors.Is(err, company.ErrCompanyExists) {
			t.Fatalf("second create: %v", err)
		}
	})
}
