package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/segments"
)

// segmentCount is POST /api/messages/segments's answer.
type segmentCount struct {
	Encoding      string  `json:"encoding"`
	Characters    int     `json:"characters"`
	Segments      int     `json:"segments"`
	UCS2Character *string `json:"ucs2_character"`
}

func (e *env) countSegments(token string, body any) response {
	e.t.Helper()
	return e.do(req{method: "POST", path: "/api/messages/segments", token: token, body: body})
}

func (e *env) mustCountSegments(token, text string) segmentCount {
	e.t.Helper()
	r := e.countSegments(token, map[string]any{"body": text})
	expect(e.t, r, http.StatusOK, "")
	var c segmentCount
	r.json(e.t, &c)
	return c
}

func TestSegmentsCount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	ucs := func(c string) *string { return &c }
	for _, tc := range []struct {
		name string
		text string
		want segmentCount
	}{
		{"a GSM-7 text", "Your appointment is confirmed for Tuesday at 10:00.", segmentCount{"GSM-7", 51, 1, nil}},
		{"160 GSM-7 characters", strings.Repeat("a", 160), segmentCount{"GSM-7", 160, 1, nil}},
		{"161 GSM-7 characters", strings.Repeat("a", 161), segmentCount{"GSM-7", 161, 2, nil}},
		{"GSM-7's accented letters and Greek capitals", "Ça coute 5€ à Zürich? ΔΦΓ", segmentCount{"GSM-7", 25, 1, nil}},
		{"a letter outside GSM-7", "Ça coûte", segmentCount{"UCS-2", 8, 1, ucs("û")}},
		{"extension characters count two", strings.Repeat("€", 81), segmentCount{"GSM-7", 81, 2, nil}},
		{"an emoji text", "See you Tuesday 😀", segmentCount{"UCS-2", 17, 1, ucs("😀")}},
		{"an emoji counts two units: 71 units are two segments", "😀" + strings.Repeat("a", 69), segmentCount{"UCS-2", 70, 2, ucs("😀")}},
		{"a curly quote", "We’re open", segmentCount{"UCS-2", 10, 1, ucs("’")}},
		{"white space counts", " a\n", segmentCount{"GSM-7", 3, 1, nil}},
		{"1,600 emoji, the longest text", strings.Repeat("😀", 1600), segmentCount{"UCS-2", 1600, 49, ucs("😀")}},
	} {
		if got := e.mustCountSegments(a.agent, tc.text); !equalCount(got, tc.want) {
			t.Errorf("%s: %+v (%v), want %+v (%v)", tc.name, got, deref(got.UCS2Character), tc.want, deref(tc.want.UCS2Character))
		}
	}

	// GSM-7 answers the culprit as null, not absent.
	r := e.countSegments(a.agent, map[string]any{"body": "Hello"})
	var raw map[string]json.RawMessage
	r.json(t, &raw)
	if string(raw["ucs2_character"]) != "null" || len(raw) != 4 {
		t.Fatalf("answer %s, want four fields with ucs2_character null", r.body)
	}
}

func equalCount(a, b segmentCount) bool {
	return a.Encoding == b.Encoding && a.Characters == b.Characters && a.Segments == b.Segments &&
		deref(a.UCS2Character) == deref(b.UCS2Character) && (a.UCS2Character == nil) == (b.UCS2Character == nil)
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestSegmentsRolesAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	body := map[string]any{"body": "Hello"}
	for role, status := range map[string]int{"admin": 200, "agent": 200, "compliance": 200, "light": 403, "live_chat": 403} {
		token := a.agent
		if role != "agent" {
			token = e.addUser(a.ID, role)
		}
		code := ""
		if status == 403 {
			code = "forbidden"
		}
		expect(t, e.countSegments(token, body), status, code)
	}
	expect(t, e.countSegments("", body), http.StatusUnauthorized, "unauthorized")
	expect(t, e.countSegments("not-a-token", body), http.StatusUnauthorized, "unauthorized")

	for _, tc := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"no body", nil, 400, "empty_body"},
		{"bad JSON", `{"body":`, 400, "invalid_json"},
		{"not an object", `"Hello"`, 400, "invalid_json"},
		{"two values", `{"body":"a"}{"body":"b"}`, 400, "invalid_json"},
		{"an unknown field", map[string]any{"body": "Hello", "to": cust1}, 400, "unknown_field"},
		{"body not a string", map[string]any{"body": 160}, 400, "invalid_field"},
		{"no body field", map[string]any{}, 400, "invalid_request"},
		{"body null", map[string]any{"body": nil}, 400, "invalid_request"},
		{"an empty body", map[string]any{"body": ""}, 400, "invalid_request"},
		{"only white space (it cannot be sent)", map[string]any{"body": " \n"}, 400, "invalid_request"},
		{"1,601 characters", map[string]any{"body": strings.Repeat("a", 1601)}, 400, "invalid_request"},
		{"over 1 MiB", map[string]any{"body": strings.Repeat("a", 1<<20)}, 413, "body_too_large"},
	} {
		r := e.countSegments(a.agent, tc.body)
		if r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	expect(t, e.do(req{method: "GET", path: "/api/messages/segments", token: a.agent}), http.StatusMethodNotAllowed, "method_not_allowed")

	// Like every Messages endpoint, off while the company's Messages are off.
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok,
		body: map[string]any{"sms_enabled": false}}), http.StatusOK, "")
	expect(t, e.do(req{method: "POST", path: "/api/messages/segments", token: a.agent, body: body, header: minPosHeader(e.head())}),
		http.StatusForbidden, "sms_disabled")
}

// TestThreadMessagesCarrySegments: every message of a thread, in or out,
// says what its body costs; an MMS without text costs no segment.
func TestThreadMessagesCarrySegments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.giveConsent(a.ID, numA, cust1, true)
	e.text(numA, cust1, strings.Repeat("a", 161))
	e.clock.Advance(time.Second)
	mms := e.inboundParams(numA, cust1, "")
	mms.Set("NumMedia", "1")
	mms.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1")
	mms.Set("MediaContentType0", "image/jpeg")
	e.deliver(mms)
	e.clock.Advance(time.Second)
	th := e.mustThread(a.agent, cust1)
	e.mustReply(a.agent, th.ID, "See you Tuesday 😀 "+strings.Repeat("a", 60))

	r := e.do(req{method: "GET", path: "/api/threads/" + th.ID, token: a.agent, header: minPosHeader(e.head())})
	expect(t, r, http.StatusOK, "")
	var got struct {
		Messages []struct {
			Direction string `json:"direction"`
			Body      string `json:"body"`
			Segments  *int   `json:"segments"`
		} `json:"messages"`
	}
	r.json(t, &got)
	want := []struct {
		direction string
		segments  int
	}{{"inbound", 2}, {"inbound", 0}, {"outbound", 2}}
	if len(got.Messages) != len(want) {
		t.Fatalf("%d messages, want %d: %s", len(got.Messages), len(want), r.body)
	}
	for i, m := range got.Messages {
		if m.Direction != want[i].direction || m.Segments == nil || *m.Segments != want[i].segments {
			t.Errorf("message %d: %s %q with segments %v, want %s with %d", i, m.Direction, m.Body, m.Segments, want[i].direction, want[i].segments)
		}
		if m.Segments != nil && *m.Segments != segments.Count(m.Body).Segments {
			t.Errorf("message %d: %d segments, the counter says %d", i, *m.Segments, segments.Count(m.Body).Segments)
		}
	}
}
