package httpapi

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
)

// Every field of Twilio's parsed webhooks that a use case reads reaches it.
func TestWebhooksBecomeCommands(t *testing.T) {
	params := url.Values{"MessageSid": {"SM1"}, "Extra": {"kept"}}
	in := twilio.Inbound{MessageSID: "SM1", AccountSID: "AC1", From: "+12025550187", To: "+12025550123", Body: "STOP",
		NumSegments: 2, OptOutType: twilio.OptOutStop, Params: params,
		Media: []twilio.Media{{URL: "https://api.twilio.com/m/0", ContentType: "image/png"}}}
	want := commands.InboundText{MessageSID: "SM1", From: "+12025550187", To: "+12025550123", Body: "STOP", NumSegments: 2,
		OptOutType: "STOP", Params: params, Media: []conversation.Media{{URL: "https://api.twilio.com/m/0", ContentType: "image/png"}}}
	if got := inboundText(in); !reflect.DeepEqual(got, want) {
		t.Errorf("inboundText = %+v, want %+v", got, want)
	}

	id := uuid.MustParse("0190b1c2-0000-7000-8000-000000000001")
	sc := twilio.StatusCallback{MessageSID: "SM2", AccountSID: "AC1", From: "+12025550123", To: "+12025550187",
		MessageStatus: "undelivered", ErrorCode: 30003, ErrorMessage: "Unreachable"}
	query, err := url.ParseQuery(twilio.StatusCallbackURL("https://x.example/s", "co1", id)[len("https://x.example/s?"):])
	if err != nil {
		t.Fatal(err)
	}
	wantSC := commands.StatusCallback{MessageSID: "SM2", To: "+12025550187", MessageStatus: "undelivered", ErrorCode: 30003,
		ErrorMessage: "Unreachable", CompanyID: "co1", MessageID: id}
	if got := statusCallback(sc, query); got != wantSC {
		t.Errorf("statusCallback = %+v, want %+v", got, wantSC)
	}
	wantSC.CompanyID, wantSC.MessageID = "", uuid.Nil
	if got := statusCallback(sc, url.Values{}); got != wantSC {
		t.Errorf("statusCallback without a reference = %+v, want %+v", got, wantSC)
	}
}
