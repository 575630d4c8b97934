package company_test

import (
	"testing"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// The company's own sending window: given the company's events, when an
// UpdateCompany with QuietHours, then these events or this error.
func TestDecideQuietHours(t *testing.T) {
	exists := events(created())
	narrowed := events(created(), quietHoursChanged("09:00", "18:00", 1))
	set := func(start, end string) company.UpdateCompany {
		return company.UpdateCompany{QuietHours: &company.QuietHours{Start: start, End: end}, At: at(2)}
	}
	runDecide(t, []decideCase{
		{"a window of its own", exists, set("09:00", "18:00"), events(quietHoursChanged("09:00", "18:00", 2)), nil, ""},
		{"the same window again: nothing", narrowed, set("09:00", "18:00"), nil, nil, ""},
		{"another window", narrowed, set("10:00", "17:30"), events(quietHoursChanged("10:00", "17:30", 2)), nil, ""},
		{"dropped: the law's alone", narrowed, set("", ""), events(quietHoursChanged("", "", 2)), nil, ""},
		{"dropped when there is none: nothing", exists, set("", ""), nil, nil, ""},
		{"wider than the law's is kept: the rule only narrows with it", exists, set("00:00", "23:59"),
			events(quietHoursChanged("00:00", "23:59", 2)), nil, ""},
		{"with other settings: both, in one decision", exists,
			company.UpdateCompany{Name: ptr("Acme"), QuietHours: &company.QuietHours{Start: "09:00", End: "18:00"}, At: at(2)},
			events(company.CompanyUpdated{CompanyID: co, Name: ptr("Acme"), At: at(2)}, quietHoursChanged("09:00", "18:00", 2)), nil, ""},
		{"start not HH:MM", exists, set("9:00", "18:00"), nil, quiethours.ErrInvalidWindow, "start"},
		{"end not a time of day", exists, set("09:00", "24:00"), nil, quiethours.ErrInvalidWindow, "end"},
		{"start after end (across midnight)", exists, set("22:00", "06:00"), nil, quiethours.ErrInvalidWindow, "not before"},
		{"empty window", exists, set("09:00", "09:00"), nil, quiethours.ErrInvalidWindow, "not before"},
		{"only a start", exists, set("09:00", ""), nil, quiethours.ErrInvalidWindow, "end"},
		{"a bad window records nothing else either", exists,
			company.UpdateCompany{Name: ptr("Acme"), QuietHours: &company.QuietHours{Start: "nine", End: "18:00"}, At: at(2)},
			nil, quiethours.ErrInvalidWindow, "HH:MM"},
		{"no company", nil, set("09:00", "18:00"), nil, company.ErrCompanyNotFound, ""},
	})
}

// The window is the company's state: set, changed, dropped.
func TestEvolveQuietHours(t *testing.T) {
	w := func(start, end string) quiethours.Window {
		t.Helper()
		x, err := quiethours.ParseWindow(start, end)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	for _, tt := range []struct {
		name  string
		given []company.Event
		want  quiethours.Window
	}{
		{"none at first", events(created()), quiethours.Window{}},
		{"set", events(created(), quietHoursChanged("09:00", "18:00", 1)), w("09:00", "18:00")},
		{"changed", events(created(), quietHoursChanged("09:00", "18:00", 1), quietHoursChanged("10:00", "17:00", 2)), w("10:00", "17:00")},
		{"dropped", events(created(), quietHoursChanged("09:00", "18:00", 1), quietHoursChanged("", "", 2)), quiethours.Window{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := given(tt.given...).QuietHours; got != tt.want {
				t.Fatalf("QuietHours = %v, want %v", got, tt.want)
			}
		})
	}
}

func quietHoursChanged(start, end string, min int) company.QuietHoursChanged {
	return company.QuietHoursChanged{CompanyID: co, Start: start, End: end, At: at(min)}
}
