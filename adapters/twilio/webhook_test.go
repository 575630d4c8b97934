package twilio_test

import (
	"errors"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// inboundForm is a realistic inbound SMS webhook, with parameters smsinbox
// does not read.
func inboundForm() url.Values {
	return url.Values{
		"ToCountry":     {"US"},
		"ToState":       {"DC"},
		"SmsMessageSid": {"SM0123456789abcdef0123456789abcdef"},
		"NumMedia":      {"0"},
		"ToCity":        {"WASHINGTON"},
		"FromZip":       {"20001"},
		"SmsSid":        {"SM0123456789abcdef0123456789abcdef"},
		"FromState":     {"DC"},
		"SmsStatus":     {"received"},
		"FromCity":      {"WASHINGTON"},
		"Body":          {"Hello there"},
		"FromCountry":   {"US"},
		"To":            {"+12025550100"},
		"ToZip":         {"20001"},
		"NumSegments":   {"1"},
		"MessageSid":    {"SM0123456789abcdef0123456789abcdef"},
		"AccountSid":    {"AC0123456789abcdef0123456789abcdef"},
		"From":          {"+12025550123"},
		"ApiVersion":    {"2010-04-01"},
	}
}

func with(form url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "\x00delete" {
			out.Del(kv[i])
			continue
		}
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func mediaForm(n int, declared string) url.Values {
	f := with(inboundForm(), "NumMedia", declared)
	for i := range n {
		f.Set("MediaUrl"+strconv.Itoa(i), "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME"+strconv.Itoa(i))
		f.Set("MediaContentType"+strconv.Itoa(i), "image/jpeg")
	}
	return f
}

func TestParseInboundValid(t *testing.T) {
	in, err := twilio.ParseInbound(inboundForm())
	if err != nil {
		t.Fatal(err)
	}
	want := twilio.Inbound{
		MessageSID:  "SM0123456789abcdef0123456789abcdef",
		AccountSID:  "AC0123456789abcdef0123456789abcdef",
		From:        "+12025550123",
		To:          "+12025550100",
		Body:        "Hello there",
		NumSegments: 1,
		Params:      inboundForm(),
	}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("ParseInbound:\n got %+v\nwant %+v", in, want)
	}
	from, to, err := in.E164()
	if err != nil || from != "+12025550123" || to != "+12025550100" {
		t.Fatalf("E164() = %q, %q, %v", from, to, err)
	}
}

func TestParseInboundKeepsACopyOfParams(t *testing.T) {
	form := inboundForm()
	in, err := twilio.ParseInbound(form)
	if err != nil {
		t.Fatal(err)
	}
	form.Set("Body", "changed")
	if in.Params.Get("Body") != "Hello there" {
		t.Fatal("Params aliases the caller's form")
	}
}

func TestParseInboundMedia(t *testing.T) {
	for n := 0; n <= twilio.MaxMedia; n++ {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			in, err := twilio.ParseInbound(mediaForm(n, strconv.Itoa(n)))
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Media) != n {
				t.Fatalf("got %d media, want %d", len(in.Media), n)
			}
			for i, m := range in.Media {
				if !strings.HasSuffix(m.URL, "/ME"+strconv.Itoa(i)) || m.ContentType != "image/jpeg" {
					t.Errorf("media %d = %+v", i, m)
				}
			}
		})
	}
}

func TestParseInboundOptOutType(t *testing.T) {
	tests := []struct{ sent, want string }{
		{"", ""},
		{"STOP", twilio.OptOutStop},
		{"START", twilio.OptOutStart},
		{"HELP", twilio.OptOutHelp},
		{"stop", twilio.OptOutStop},
		{" Help ", twilio.OptOutHelp},
		{"SOMETHING_NEW", "SOMETHING_NEW"}, // passed through: nothing is lost
	}
	for _, tc := range tests {
		t.Run(tc.sent, func(t *testing.T) {
			form := inboundForm()
			if tc.sent != "" {
				form.Set("OptOutType", tc.sent)
			}
			in, err := twilio.ParseInbound(form)
			if err != nil {
				t.Fatal(err)
			}
			if in.OptOutType != tc.want {
				t.Fatalf("OptOutType = %q, want %q", in.OptOutType, tc.want)
			}
		})
	}
}

func TestParseInboundLenient(t *testing.T) {
	tests := []struct {
		name  string
		form  url.Values
		check func(twilio.Inbound) bool
	}{
		{"no NumSegments", with(inboundForm(), "NumSegments", "\x00delete"), func(in twilio.Inbound) bool { return in.NumSegments == 0 }},
		{"empty body (MMS)", with(mediaForm(1, "1"), "Body", ""), func(in twilio.Inbound) bool { return in.Body == "" && len(in.Media) == 1 }},
		{"an MMS's SID", with(mediaForm(1, "1"), "MessageSid", "MMfedcba9876543210fedcba9876543210"), func(in twilio.Inbound) bool { return in.MessageSID == "MMfedcba9876543210fedcba9876543210" }},
		{"no content type", with(mediaForm(1, "1"), "MediaContentType0", "\x00delete"), func(in twilio.Inbound) bool { return in.Media[0].ContentType == "" }},
		{"same value twice", func() url.Values { f := inboundForm(); f.Add("From", "+12025550123"); return f }(), func(in twilio.Inbound) bool { return in.From == "+12025550123" }},
		{"unknown MediaUrl-like param", with(inboundForm(), "MediaUrlFoo", "x"), func(in twilio.Inbound) bool { return in.Params.Get("MediaUrlFoo") == "x" }},
		{"channel address kept raw", with(inboundForm(), "From", "whatsapp:+12025550123"), func(in twilio.Inbound) bool { return in.From == "whatsapp:+12025550123" }},
		{"body kept as sent", with(inboundForm(), "Body", "  STOP \n"), func(in twilio.Inbound) bool { return in.Body == "  STOP \n" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := twilio.ParseInbound(tc.form)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(in) {
				t.Fatalf("unexpected result %+v", in)
			}
		})
	}
}

func TestParseInboundInvalid(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		mention string // the error names this
	}{
		{"empty form", url.Values{}, "MessageSid"},
		{"no MessageSid", with(inboundForm(), "MessageSid", "\x00delete"), "MessageSid"},
		{"blank MessageSid", with(inboundForm(), "MessageSid", "  "), "MessageSid"},
		{"odd MessageSid", with(inboundForm(), "MessageSid", "SM 1"), "MessageSid"},
		{"long MessageSid", with(inboundForm(), "MessageSid", "SM"+strings.Repeat("a", 80)), "MessageSid"},
		// Issue 11's replay: NumMedia folded into the MessageSid keeps the signature.
		{"MessageSid with NumMedia folded in", with(inboundForm(), "MessageSid", "SM0123456789abcdef0123456789abcdefNumMedia0", "NumMedia", "\x00delete"), "MessageSid"},
		{"MessageSid one digit short", with(inboundForm(), "MessageSid", "SM0123456789abcdef0123456789abcde"), "MessageSid"},
		{"MessageSid one digit long", with(inboundForm(), "MessageSid", "SM0123456789abcdef0123456789abcdef0"), "MessageSid"},
		{"MessageSid in upper-case hex", with(inboundForm(), "MessageSid", "SM0123456789ABCDEF0123456789ABCDEF"), "MessageSid"},
		{"MessageSid not hex", with(inboundForm(), "MessageSid", "SM0123456789abcdef0123456789abcdeg"), "MessageSid"},
		{"MessageSid of another resource", with(inboundForm(), "MessageSid", "AC0123456789abcdef0123456789abcdef"), "MessageSid"},
		{"MessageSid in lower case", with(inboundForm(), "MessageSid", "sm0123456789abcdef0123456789abcdef"), "MessageSid"},
		{"the sandbox's SID", with(inboundForm(), "MessageSid", "SMsandbox0123456789abcdef0123456789abcdef"), "MessageSid"},
		{"no AccountSid", with(inboundForm(), "AccountSid", "\x00delete"), "AccountSid"},
		{"empty AccountSid", with(inboundForm(), "AccountSid", ""), "AccountSid"},
		{"AccountSid not an account's", with(inboundForm(), "AccountSid", "SM0123456789abcdef0123456789abcdef"), "AccountSid"},
		{"AccountSid with a name folded in", with(inboundForm(), "AccountSid", "AC0123456789abcdef0123456789abcdefApiVersion2010-04-01", "ApiVersion", "\x00delete"), "AccountSid"},
		{"no Body", with(inboundForm(), "Body", "\x00delete"), "Body"},
		{"no NumMedia", with(inboundForm(), "NumMedia", "\x00delete"), "NumMedia"},
		{"empty NumMedia", with(inboundForm(), "NumMedia", ""), "NumMedia"},
		{"no From", with(inboundForm(), "From", "\x00delete"), "From"},
		{"empty From", with(inboundForm(), "From", ""), "From"},
		{"no To", with(inboundForm(), "To", "\x00delete"), "To"},
		{"two different Froms", func() url.Values { f := inboundForm(); f.Add("From", "+12025550199"); return f }(), "From"},
		{"two different MessageSids", func() url.Values { f := inboundForm(); f.Add("MessageSid", "SMother"); return f }(), "MessageSid"},
		{"NumSegments not a number", with(inboundForm(), "NumSegments", "one"), "NumSegments"},
		{"NumSegments negative", with(inboundForm(), "NumSegments", "-1"), "NumSegments"},
		{"NumMedia not a number", with(inboundForm(), "NumMedia", "x"), "NumMedia"},
		{"NumMedia negative", with(inboundForm(), "NumMedia", "-1"), "NumMedia"},
		{"NumMedia over the limit", mediaForm(11, "11"), "NumMedia"},
		{"NumMedia 1, no MediaUrl0", with(inboundForm(), "NumMedia", "1"), "MediaUrl0"},
		{"NumMedia 2, one MediaUrl", mediaForm(1, "2"), "MediaUrl1"},
		{"NumMedia 0, MediaUrl0 present", mediaForm(1, "0"), "MediaUrl0"},
		{"NumMedia absent, MediaUrl0 present", with(mediaForm(1, "0"), "NumMedia", "\x00delete"), "NumMedia"},
		{"NumMedia 1, MediaUrl1 extra", with(mediaForm(1, "1"), "MediaUrl1", "https://example.com/x"), "MediaUrl1"},
		{"NumMedia 1, MediaContentType1 extra", with(mediaForm(1, "1"), "MediaContentType1", "image/png"), "MediaContentType1"},
		{"MediaUrl index with leading zero", with(mediaForm(1, "1"), "MediaUrl00", "https://example.com/x"), "MediaUrl00"},
		{"MediaUrl not absolute", with(mediaForm(1, "1"), "MediaUrl0", "/relative"), "MediaUrl0"},
		{"MediaUrl not http", with(mediaForm(1, "1"), "MediaUrl0", "file:///etc/passwd"), "MediaUrl0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, err := twilio.ParseInbound(tc.form)
			if err == nil {
				t.Fatalf("no error; got %+v", in)
			}
			if !errors.Is(err, twilio.ErrInvalidWebhook) {
				t.Fatalf("error %v does not match ErrInvalidWebhook", err)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("error %q does not mention %s", err, tc.mention)
			}
		})
	}
}

func TestInboundE164Invalid(t *testing.T) {
	in, err := twilio.ParseInbound(with(inboundForm(), "From", "12345"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := in.E164(); !errors.Is(err, phone.ErrInvalid) {
		t.Fatalf("E164() error = %v, want phone.ErrInvalid", err)
	}
}

func statusForm(kv ...string) url.Values {
	return with(url.Values{
		"MessageSid":    {"SM0123456789abcdef0123456789abcdef"},
		"SmsSid":        {"SM0123456789abcdef0123456789abcdef"},
		"AccountSid":    {"AC0123456789abcdef0123456789abcdef"},
		"From":          {"+12025550100"},
		"To":            {"+12025550123"},
		"MessageStatus": {"delivered"},
		"SmsStatus":     {"delivered"},
		"ApiVersion":    {"2010-04-01"},
	}, kv...)
}

func TestParseStatus(t *testing.T) {
	for _, s := range []string{"queued", "sending", "sent", "delivered", "undelivered", "failed",
		"accepted", "scheduled", "read", "canceled", "receiving", "received"} {
		t.Run(s, func(t *testing.T) {
			sc, err := twilio.ParseStatus(statusForm("MessageStatus", s, "SmsStatus", s))
			if err != nil {
				t.Fatal(err)
			}
			if sc.MessageStatus != s || sc.MessageSID != "SM0123456789abcdef0123456789abcdef" || sc.ErrorCode != 0 ||
				sc.From != "+12025550100" || sc.To != "+12025550123" || sc.Params.Get("ApiVersion") != "2010-04-01" {
				t.Fatalf("ParseStatus = %+v", sc)
			}
		})
	}
	t.Run("error code", func(t *testing.T) {
		sc, err := twilio.ParseStatus(statusForm("MessageStatus", "undelivered", "ErrorCode", "30003", "ErrorMessage", "Unreachable destination handset"))
		if err != nil {
			t.Fatal(err)
		}
		if sc.ErrorCode != 30003 || sc.ErrorMessage != "Unreachable destination handset" || sc.MessageStatus != "undelivered" {
			t.Fatalf("ParseStatus = %+v", sc)
		}
	})
	t.Run("empty error code", func(t *testing.T) {
		sc, err := twilio.ParseStatus(statusForm("ErrorCode", ""))
		if err != nil || sc.ErrorCode != 0 {
			t.Fatalf("ParseStatus = %+v, %v", sc, err)
		}
	})
	t.Run("upper case status", func(t *testing.T) {
		sc, err := twilio.ParseStatus(statusForm("MessageStatus", "Delivered"))
		if err != nil || sc.MessageStatus != "delivered" {
			t.Fatalf("ParseStatus = %+v, %v", sc, err)
		}
	})
	t.Run("MessageStatus wins over the legacy SmsStatus", func(t *testing.T) {
		sc, err := twilio.ParseStatus(statusForm("MessageStatus", "delivered", "SmsStatus", "sent"))
		if err != nil || sc.MessageStatus != "delivered" {
			t.Fatalf("ParseStatus = %+v, %v", sc, err)
		}
	})
	t.Run("only what Twilio always sends", func(t *testing.T) {
		form := url.Values{"MessageSid": {"MM0123456789abcdef0123456789abcdef"}, "MessageStatus": {"sent"}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"}}
		sc, err := twilio.ParseStatus(form)
		if err != nil || sc.MessageSID != "MM0123456789abcdef0123456789abcdef" || sc.AccountSID != "AC0123456789abcdef0123456789abcdef" || sc.MessageStatus != "sent" {
			t.Fatalf("ParseStatus = %+v, %v", sc, err)
		}
	})
}

func TestParseStatusInvalid(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		mention string
	}{
		{"no MessageSid", statusForm("MessageSid", "\x00delete"), "MessageSid"},
		{"MessageSid with MessageStatus folded in", statusForm("MessageSid", "SM0123456789abcdef0123456789abcdefMessageStatusdelivered", "MessageStatus", "\x00delete"), "MessageSid"},
		{"MessageSid in upper-case hex", statusForm("MessageSid", "SM0123456789ABCDEF0123456789ABCDEF"), "MessageSid"},
		{"the sandbox's SID", statusForm("MessageSid", "SMsandbox0123456789abcdef0123456789abcdef"), "MessageSid"},
		{"no AccountSid", statusForm("AccountSid", "\x00delete"), "AccountSid"},
		{"AccountSid not an account's", statusForm("AccountSid", "AC0123"), "AccountSid"},
		{"no status", statusForm("MessageStatus", "\x00delete", "SmsStatus", "\x00delete"), "MessageStatus"},
		{"legacy SmsStatus only", statusForm("MessageStatus", "\x00delete", "SmsStatus", "sent"), "MessageStatus"},
		{"empty status", statusForm("MessageStatus", ""), "MessageStatus"},
		{"unknown status", statusForm("MessageStatus", "exploded"), "exploded"},
		{"error code not a number", statusForm("ErrorCode", "3000x"), "ErrorCode"},
		{"negative error code", statusForm("ErrorCode", "-5"), "ErrorCode"},
		{"two statuses", func() url.Values { f := statusForm(); f.Add("MessageStatus", "failed"); return f }(), "MessageStatus"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := twilio.ParseStatus(tc.form)
			if err == nil {
				t.Fatalf("no error; got %+v", sc)
			}
			if !errors.Is(err, twilio.ErrInvalidWebhook) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("error %q: want ErrInvalidWebhook mentioning %s", err, tc.mention)
			}
		})
	}
}

func TestCheckAccount(t *testing.T) {
	const ours, theirs = "AC0123456789abcdef0123456789abcdef", "ACfedcba9876543210fedcba9876543210"
	tests := []struct {
		name, got, account string
		ok                 bool
	}{
		{"our account", ours, ours, true},
		{"another account", theirs, ours, false},
		{"none named", "", ours, false},
		{"the sandbox takes any", theirs, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := twilio.CheckAccount(tc.got, tc.account)
			if tc.ok != (err == nil) {
				t.Fatalf("CheckAccount(%q, %q) = %v, want ok %v", tc.got, tc.account, err, tc.ok)
			}
			if err != nil && (!errors.Is(err, twilio.ErrOtherAccount) || errors.Is(err, twilio.ErrInvalidWebhook)) {
				t.Fatalf("error %v does not match ErrOtherAccount alone", err)
			}
		})
	}
}
