package consent_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestEvolve(t *testing.T) {
	for _, tt := range []struct {
		name     string
		given    []consent.Event
		number   phone.Number
		status   consent.Status
		optedOut bool
		updated  time.Time
	}{
		{"start", fresh, "", no, false, time.Time{}},
		{"pending", isPending, numA, pending, false, at(0)},
		{"yes", isYes, numA, yes, false, at(1)},
		{"opted out", optedOut, numA, no, true, at(2)},
		{"opted out from no", optedOutNever, numA, no, true, at(0)},
		{"help only", helpOnly, numA, no, false, at(0)},
		{"help keeps the opt-out", join(optedOut, events(inbound(help, "SMh", "HELP", kwHelp, no, no, helpText, 5))), numA, no, true, at(2)},
		{"re-subscribed", resubscribed, numA, yes, false, at(3)},
		{"pending after opt-out", pendingAgain, numA, pending, false, at(3)},
		{"voided", voidedToB, numB, no, false, at(2)},
		{"opt-out voided", join(optedOut, events(voided(numA, numB, no, 5))), numB, no, false, at(5)},
		{"opted out at the carrier", carrierOptedOut, numA, no, true, at(2)},
		{"START after the carrier opt-out", join(carrierOptedOut, events(inbound(optIn, "SMs", "START", kwOptIn, no, yes, resubText, 4))), numA, yes, false, at(4)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := fold(tt.given)
			if s.MessagingNumber != tt.number || s.Status != tt.status || s.OptedOut != tt.optedOut || !s.UpdatedAt.Equal(tt.updated) {
				t.Fatalf("state %+v, want number %s status %s opted out %v updated %v", s, tt.number, tt.status, tt.optedOut, tt.updated)
			}
			if len(tt.given) > 0 && (s.CompanyID != company || s.CustomerPhone != customer) {
				t.Fatalf("state of %s/%s", s.CompanyID, s.CustomerPhone)
			}
		})
	}
}

func TestEvolveIsAValue(t *testing.T) {
	base := fold(isPending)
	a := consent.Evolve(base, inbound(confirmed, "SMa", "YES", kwOptIn, pending, yes, noText, 1))
	b := consent.Evolve(base, inbound(optOut, "SMb", "STOP", kwOptOut, pending, no, optOutText, 1))
	switch {
	case base.Status != pending || base.HasMessage("SMa") || base.HasMessage("SMb"):
		t.Fatal("evolving changed the original state")
	case a.Status != yes || !a.HasMessage("SMa") || a.HasMessage("SMb"):
		t.Fatal("branch a is wrong")
	case b.Status != no || !b.HasMessage("SMb") || b.HasMessage("SMa"):
		t.Fatal("branch b is wrong")
	}
}

type alien struct{ consent.Change }

func (alien) EventType() string { return "Alien" }
func (alien) Evidence() any     { return nil }

func TestEvolveIgnoresUnknownEvents(t *testing.T) {
	s := fold(isYes)
	if got := consent.Evolve(s, alien{consent.Change{StatusAfter: no}}); !reflect.DeepEqual(got, s) {
		t.Fatalf("unknown event changed the state: %+v", got)
	}
}

func TestCanSend(t *testing.T) {
	for _, tt := range []struct {
		name   string
		given  []consent.Event
		number phone.Number
		want   bool
	}{
		{"no", fresh, numA, false},
		{"no stream, no number", fresh, "", false},
		{"pending", isPending, numA, false},
		{"yes", isYes, numA, true},
		{"yes on another number", isYes, numB, false},
		{"yes, empty number", isYes, "", false},
		{"opted out", optedOut, numA, false},
		{"opted out at the carrier", carrierOptedOut, numA, false},
		{"help only", helpOnly, numA, false},
		{"re-subscribed", resubscribed, numA, true},
		{"voided, old number", voidedToB, numA, false},
		{"voided, new number", voidedToB, numB, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := fold(tt.given)
			if got := consent.CanSend(s, tt.number); got != tt.want {
				t.Fatalf("CanSend = %v, want %v", got, tt.want)
			}
			err := consent.RequireConsent(s, tt.number)
			if tt.want != (err == nil) || (err != nil && !errors.Is(err, consent.ErrConsentRequired)) {
				t.Fatalf("RequireConsent = %v", err)
			}
		})
	}
}

func TestStatusAt(t *testing.T) {
	history := join(resubscribed, events(voided(numA, numB, yes, 5)))
	for _, tt := range []struct {
		at     time.Time
		status consent.Status
		number phone.Number
	}{
		{at(-1), no, ""},
		{at(0), pending, numA},
		{at(0).Add(30 * time.Second), pending, numA},
		{at(1), yes, numA},
		{at(2), no, numA},
		{at(3), yes, numA},
		{at(4), yes, numA},
		{at(5), no, numB},
		{at(60), no, numB},
	} {
		if status, number := consent.StatusAt(history, tt.at); status != tt.status || number != tt.number {
			t.Errorf("StatusAt(%v) = %s on %q, want %s on %q", tt.at, status, number, tt.status, tt.number)
		}
	}
}

func allEvents() []consent.Event {
	twilio := inboundOn(numB, numA, optOut, "SMx", "ARRET", "STOP", kwOptOut, yes, no, noText, 9)
	return join(resubscribed, events(inbound(help, "SMh", "info", kwHelp, yes, yes, helpText, 4), voided(numA, numB, yes, 5), twilio,
		inboundOn(numB, numB, optIn, "SMy", "START", "", kwOptIn, no, yes, resubText, 10), carrierOut(numB, "M1", yes, 11)))
}

func TestDecodeRoundTrip(t *testing.T) {
	for _, e := range allEvents() {
		t.Run(e.EventType(), func(t *testing.T) {
			data, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			got, err := consent.Decode(e.EventType(), data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, e) {
				t.Fatalf("round trip\n got %#v\nwant %#v", got, e)
			}
			if got.OccurredAt().IsZero() || !got.OccurredAt().Equal(e.Base().At) {
				t.Fatalf("OccurredAt %v", got.OccurredAt())
			}
		})
	}
}

func TestEventJSON(t *testing.T) {
	common := []string{"company_id", "customer_phone", "messaging_number", "status_before", "status_after", "actor", "automated_text", "occurred_at", "evidence"}
	evidence := map[string][]string{
		consent.TypeConsentRequested: {"app", "submitted_at", "ip", "user_agent"},
		consent.TypeConsentConfirmed: {"message_sid", "text", "to", "keyword"},
		consent.TypeOptedOut:         {"message_sid", "text", "to", "keyword"},
		consent.TypeOptedIn:          {"message_sid", "text", "to", "keyword"},
		consent.TypeHelpRequested:    {"message_sid", "text", "to", "keyword"},
		consent.TypeConsentVoided:    {"previous_number"},
	}
	carrierEvidence := []string{"carrier_opt_out", "error_code", "message_id"}
	seen := map[string]bool{}
	for _, e := range allEvents() {
		seen[e.EventType()] = true
		data, _ := json.Marshal(e)
		var doc map[string]any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Fatal(err)
		}
		for _, k := range common {
			if _, ok := doc[k]; !ok {
				t.Errorf("%s lacks %q: %s", e.EventType(), k, data)
			}
		}
		ev, _ := doc["evidence"].(map[string]any)
		keys := evidence[e.EventType()]
		if _, ok := e.Evidence().(consent.CarrierEvidence); ok {
			keys = carrierEvidence
		}
		for _, k := range keys {
			if _, ok := ev[k]; !ok {
				t.Errorf("%s evidence lacks %q: %s", e.EventType(), k, data)
			}
		}
		for _, k := range []string{"status_before", "status_after"} {
			if v := doc[k]; v != "no" && v != "pending" && v != "yes" {
				t.Errorf("%s %s = %v", e.EventType(), k, v)
			}
		}
	}
	for _, typ := range consent.EventTypes() {
		if !seen[typ] {
			t.Errorf("no JSON test of %s", typ)
		}
	}
	data, _ := json.Marshal(requested(numA, no, 0))
	want := `{"company_id":"company-1","customer_phone":"+12025550123","messaging_number":"+12025550199",` +
		`"status_before":"no","status_after":"pending","actor":"user:u1","automated_text":"confirmation_request",` +
		`"automated_text_body":"Acme: Reply YES to receive text messages from us. Msg \u0026 data rates may apply. Reply HELP for help, STOP to opt out.",` +
		`"occurred_at":"2026-11-24T09:00:00Z","evidence":{"app":"text_us_now","submitted_at":"2026-11-24T09:00:00Z","ip":"203.0.113.9","user_agent":"Mozilla/5.0"}}`
	if string(data) != want {
		t.Errorf("ConsentRequested JSON\n got %s\nwant %s", data, want)
	}
	data, _ = json.Marshal(carrierOut(numA, "M1", yes, 2))
	want = `{"company_id":"company-1","customer_phone":"+12025550123","messaging_number":"+12025550199",` +
		`"status_before":"yes","status_after":"no","actor":"twilio","automated_text":"none",` +
		`"occurred_at":"2026-11-24T09:02:00Z","evidence":{"carrier_opt_out":true,"error_code":21610,"message_id":"` + msgID("M1").String() + `"}}`
	if string(data) != want {
		t.Errorf("carrier OptedOut JSON\n got %s\nwant %s", data, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	if _, err := consent.Decode("Nope", []byte(`{}`)); !errors.Is(err, consent.ErrUnknownEvent) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := consent.Decode(consent.TypeOptedOut, []byte(`{`)); err == nil {
		t.Error("bad JSON decoded")
	}
	if _, err := consent.Decode(consent.TypeOptedOut, []byte(`{"status_after":"maybe"}`)); err == nil {
		t.Error("unknown status decoded")
	}
	e, err := consent.Decode(consent.TypeOptedOut, []byte(`{"status_before":"yes","status_after":"no","future":1}`))
	if err != nil || e.Base().StatusBefore != yes {
		t.Errorf("unknown fields: %v %v", e, err)
	}
}

func TestStatus(t *testing.T) {
	for _, s := range []consent.Status{no, pending, yes} {
		text, err := s.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		back, err := consent.ParseStatus(string(text))
		if err != nil || back != s || s.String() != string(text) {
			t.Errorf("%d: %q %v %v", s, text, back, err)
		}
	}
	if _, err := consent.Status(7).MarshalText(); err == nil {
		t.Error("Status(7) marshalled")
	}
	var zero consent.Status
	if zero != no {
		t.Error("the zero Status is not no")
	}
}

func TestAutomatedText(t *testing.T) {
	for _, tt := range []struct {
		text  consent.AutomatedText
		shown bool
		has   string
	}{
		{consent.TextConfirmationRequest, true, "YES"},
		{consent.TextOptOutConfirmation, false, "unsubscribed"},
		{consent.TextResubscribed, true, "STOP"},
		{consent.TextHelpReply, true, "STOP"},
	} {
		body := consent.Texts{}.Render(tt.text, "Acme", "+12025550199")
		if !strings.HasPrefix(body, "Acme: ") || !strings.Contains(body, tt.has) || len(body) > 160 {
			t.Errorf("%s: %q", tt.text, body)
		}
		if b := (consent.Texts{}).Render(tt.text, "", "+12025550199"); b == "" || strings.HasPrefix(b, ":") {
			t.Errorf("%s without a company: %q", tt.text, b)
		}
		if tt.text.ShownInThread() != tt.shown {
			t.Errorf("%s shown in thread = %v", tt.text, !tt.shown)
		}
	}
	if (consent.Texts{}).Render(consent.TextNone, "Acme", "+12025550199") != "" {
		t.Error("TextNone has words")
	}
}

func TestIDs(t *testing.T) {
	if got := consent.StreamID(company, customer); got != "consent-company-1-+12025550123" ||
		!strings.HasPrefix(string(got), consent.StreamPrefix) {
		t.Errorf("StreamID = %q", got)
	}
	id := consent.InboundEventID("SM1", consent.TypeOptedOut)
	if id.Version() != 5 || id != consent.InboundEventID("SM1", consent.TypeOptedOut) {
		t.Errorf("InboundEventID %v is not a stable UUID v5", id)
	}
	if id == consent.InboundEventID("SM1", consent.TypeConsentVoided) || id == consent.InboundEventID("SM2", consent.TypeOptedOut) {
		t.Error("InboundEventID collides")
	}
	// Pinned: stored event IDs must never change.
	if got := id.String(); got != "306637ba-0b2e-586e-b968-04dc6bb25c63" {
		t.Errorf("InboundEventID changed: %s", got)
	}
	m := uuid.MustParse("0190f1c2-0000-7000-8000-000000000001")
	cid := consent.CarrierOptOutEventID(m, consent.TypeOptedOut)
	if cid.Version() != 5 || cid != consent.CarrierOptOutEventID(m, consent.TypeOptedOut) ||
		cid == consent.CarrierOptOutEventID(m, consent.TypeConsentVoided) || cid == consent.InboundEventID(m.String(), consent.TypeOptedOut) {
		t.Errorf("CarrierOptOutEventID %v is not a stable, distinct UUID v5", cid)
	}
	if got := cid.String(); got != "7d8dd810-bd5e-5215-8a19-0d43d16c069d" {
		t.Errorf("CarrierOptOutEventID changed: %s", got)
	}
}
