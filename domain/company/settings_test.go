package company_test

import (
	"reflect"
	"testing"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
)

func TestDecideSettings(t *testing.T) {
	exists := events(created())
	on := autoreply.Default()
	on.Enabled = true
	bad := on
	bad.Body = ""
	offWithoutWords := autoreply.Settings{}
	texts := consent.Texts{Resubscribed: "Welcome back. Reply STOP to opt out."}
	stored := texts.WithDefaults()
	noStop := consent.Texts{Resubscribed: "Welcome back."}

	runDecide(t, []decideCase{
		{"set the auto-reply", exists, company.SetAutoReply{Settings: on, At: at(1)},
			events(company.AutoReplySet{CompanyID: co, Settings: on, At: at(1)}), nil, ""},
		{"the default, set for the first time, is recorded", exists, company.SetAutoReply{Settings: autoreply.Default(), At: at(1)},
			events(company.AutoReplySet{CompanyID: co, Settings: autoreply.Default(), At: at(1)}), nil, ""},
		{"the same settings again", events(created(), company.AutoReplySet{CompanyID: co, Settings: on, At: at(1)}),
			company.SetAutoReply{Settings: on, At: at(2)}, nil, nil, ""},
		{"off, without words", exists, company.SetAutoReply{Settings: offWithoutWords, At: at(1)},
			events(company.AutoReplySet{CompanyID: co, Settings: offWithoutWords, At: at(1)}), nil, ""},
		{"enabled without words", exists, company.SetAutoReply{Settings: bad, At: at(1)}, nil, autoreply.ErrInvalidBody, "body is required"},
		{"auto-reply of no company", nil, company.SetAutoReply{Settings: on, At: at(1)}, nil, company.ErrCompanyNotFound, ""},

		{"word a text: the others keep smsinbox's wording", exists, company.SetAutomatedTexts{Texts: texts, At: at(1)},
			events(company.AutomatedTextsSet{CompanyID: co, Texts: stored, At: at(1)}), nil, ""},
		{"the same wording again", events(created(), company.AutomatedTextsSet{CompanyID: co, Texts: stored, At: at(1)}),
			company.SetAutomatedTexts{Texts: stored, At: at(2)}, nil, nil, ""},
		{"smsinbox's wording when none was set decides nothing", exists, company.SetAutomatedTexts{Texts: consent.DefaultTexts(), At: at(1)}, nil, nil, ""},
		{"a text without STOP", exists, company.SetAutomatedTexts{Texts: noStop, At: at(1)}, nil, consent.ErrInvalidText, "resubscribed does not say STOP"},
		{"the company's name as written names it", exists, company.SetAutomatedTexts{Texts: consent.Texts{
			OptOutConfirmation: "ACME DENTAL: you will receive no more messages."}, At: at(1)},
			events(company.AutomatedTextsSet{CompanyID: co, Texts: consent.Texts{
				OptOutConfirmation: "ACME DENTAL: you will receive no more messages."}.WithDefaults(), At: at(1)}), nil, ""},
		{"texts of no company", nil, company.SetAutomatedTexts{Texts: texts, At: at(1)}, nil, company.ErrCompanyNotFound, ""},
	})
}

func TestSettingsState(t *testing.T) {
	s := given(created())
	if !s.AutoReply().Equal(autoreply.Default()) || s.Texts() != consent.DefaultTexts() {
		t.Fatalf("a new company has settings %+v, %+v", s.AutoReply(), s.Texts())
	}
	on := autoreply.Default()
	on.Enabled = true
	texts := consent.Texts{Resubscribed: "Back. STOP to end."}.WithDefaults()
	s = given(created(), company.AutoReplySet{CompanyID: co, Settings: on, At: at(1)},
		company.AutomatedTextsSet{CompanyID: co, Texts: texts, At: at(2)})
	if !reflect.DeepEqual(s.AutoReply(), on) || s.Texts() != texts {
		t.Fatalf("settings %+v, %+v", s.AutoReply(), s.Texts())
	}
}
