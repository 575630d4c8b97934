package twilio_test

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/twilio"
)

func TestStatusCallbackURL(t *testing.T) {
	id := uuid.MustParse("0b5c2a3e-7f1d-4c8e-9a6b-2d4f8e1c3a57")
	base := "https://sms.example.com/webhooks/twilio/status"
	got := twilio.StatusCallbackURL(base, "co-1", id)
	if got != base+"?company_id=co-1&message_id=0b5c2a3e-7f1d-4c8e-9a6b-2d4f8e1c3a57" {
		t.Fatalf("URL %s", got)
	}
	if twilio.StatusCallbackURL("", "co-1", id) != "" {
		t.Fatal("a URL without a base")
	}
	u, _ := url.Parse(got)
	if co, mid, ok := twilio.CallbackRef(u.Query()); !ok || co != "co-1" || mid != id {
		t.Fatalf("CallbackRef = %q %v %v", co, mid, ok)
	}
	for _, q := range []string{"", "company_id=co-1", "message_id=" + id.String(), "company_id=co-1&message_id=nope",
		"company_id=co-1&message_id=00000000-0000-0000-0000-000000000000",
		"company_id=a&company_id=b&message_id=" + id.String(), "company_id=" + strings.Repeat("x", 200) + "&message_id=" + id.String()} {
		v, _ := url.ParseQuery(q)
		if _, _, ok := twilio.CallbackRef(v); ok {
			t.Errorf("CallbackRef(%q) ok", q)
		}
	}
	// Twilio signs the URL with its query: the Verifier checks it as sent.
	form := url.Values{"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "MessageStatus": {"sent"}}
	v := twilio.NewVerifier("token0", "https://sms.example.com")
	r := httptest.NewRequest("POST", strings.TrimPrefix(got, "https://sms.example.com"), strings.NewReader(form.Encode()))
	r.Header.Set(twilio.SignatureHeader, twilio.Sign("token0", got, form))
	if !v.Verify(r, form) {
		t.Fatal("a callback to the URL with its query does not verify")
	}
	r.Header.Set(twilio.SignatureHeader, twilio.Sign("token0", base, form))
	if v.Verify(r, form) {
		t.Fatal("a signature without the query verifies")
	}
}
