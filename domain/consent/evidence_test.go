package consent_test

import (
	"testing"

	"github.com/smsinbox/smsinbox/domain/consent"
)

// One row per method of a carrier's proof of opt-in.
func TestProofOf(t *testing.T) {
	withDisclosure := requested(numA, no, 0).(consent.ConsentRequested)
	withDisclosure.Form.ConsentText = "By ticking this box you agree to texts from Acme."
	withDisclosure.Form.PageURL = "https://acme.example/signup"
	for _, tt := range []struct {
		name string
		e    consent.Event
		want consent.Proof
		ok   bool
	}{
		{"form", withDisclosure, consent.Proof{
			Phone: customer, OccurredAt: at(0), StatusBefore: no, StatusAfter: pending, Method: consent.MethodForm, MessagingNumber: numA,
			App: "text_us_now", IP: "203.0.113.9", UserAgent: "Mozilla/5.0", ConsentText: "By ticking this box you agree to texts from Acme.",
			PageURL: "https://acme.example/signup", Actor: "user:u1",
		}, true},
		{"keyword", optedOut[2], consent.Proof{
			Phone: customer, OccurredAt: at(2), StatusBefore: yes, StatusAfter: no, Method: consent.MethodKeyword, MessagingNumber: numA,
			MessageSID: "SMstop", ConsentText: "STOP", Actor: "customer:" + string(customer),
		}, true},
		{"Twilio's Advanced Opt-Out", inboundOn(numA, numA, consent.TypeOptedOut, "SMx", "ARRÊT", "STOP", consent.OptOut, yes, no, consent.TextNone, 4), consent.Proof{
			Phone: customer, OccurredAt: at(4), StatusBefore: yes, StatusAfter: no, Method: consent.MethodTwilioOptOut, MessagingNumber: numA,
			MessageSID: "SMx", ConsentText: "ARRÊT", Actor: "customer:" + string(customer),
		}, true},
		{"carrier", carrierOptedOut[2], consent.Proof{
			Phone: customer, OccurredAt: at(2), StatusBefore: yes, StatusAfter: no, Method: consent.MethodCarrier, MessagingNumber: numA, Actor: consent.ActorTwilio,
		}, true},
		{"number change", voidedToB[2], consent.Proof{
			Phone: customer, OccurredAt: at(2), StatusBefore: yes, StatusAfter: no, Method: consent.MethodNumberChange, MessagingNumber: numB, Actor: consent.ActorSystem,
		}, true},
		{"HELP is no change", helpOnly[0], consent.Proof{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := consent.ProofOf(tt.e)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("ProofOf = %+v, %v\nwant %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
