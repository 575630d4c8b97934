package app_test

// End-to-end tests through HTTP of docs/rules.md's Tenancy, Threads and Messages
// rules about inbound texts: a real server (app.New around PostgreSQL, one
// database per test), its projectors running, webhooks signed as Twilio
// signs them, and a clock the tests move.

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// ---------------------------------------------------------------- admin

func TestAdminCreateCompany(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	r := e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": "  Acme Dental  ", "messaging_number": numA}})
	expect(t, r, http.StatusCreated, "")
	checkPosition(t, r)
	var c company
	r.json(t, &c)
	if c.ID == "" || c.Name != "Acme Dental" || c.MessagingNumber != numA || c.TimeZone != "UTC" || !c.SMSEnabled {
		t.Fatalf("created %+v, want Acme Dental, %s, UTC, sms enabled", c, numA)
	}

	// A national number is read in the company's country (US) and stored in E.164;
	// time_zone and sms_enabled are taken when given.
	r = e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": "Bolt Plumbing", "messaging_number": "(202) 555-0130", "time_zone": "America/New_York", "sms_enabled": false}})
	expect(t, r, http.StatusCreated, "")
	var b company
	r.json(t, &b)
	if b.ID == "" || b.ID == c.ID || b.MessagingNumber != numB || b.TimeZone != "America/New_York" || b.SMSEnabled {
		t.Fatalf("created %+v, want a new ID, %s, America/New_York, sms disabled", b, numB)
	}

	bad := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"invalid number", map[string]any{"name": "X", "messaging_number": "+1555123456"}, 400, "invalid_phone"},
		{"not a number", map[string]any{"name": "X", "messaging_number": "call me"}, 400, "invalid_phone"},
		{"missing number", map[string]any{"name": "X"}, 400, "invalid_phone"},
		{"unknown time zone", map[string]any{"name": "X", "messaging_number": numA2, "time_zone": "Mars/Olympus"}, 400, "invalid_request"},
		{"Local time zone", map[string]any{"name": "X", "messaging_number": numA2, "time_zone": "Local"}, 400, "invalid_request"},
		{"missing name", map[string]any{"messaging_number": numA2}, 400, "invalid_request"},
		{"unknown field", map[string]any{"name": "X", "messaging_number": numA2, "colour": "red"}, 400, "unknown_field"},
		{"bad JSON", `{"name": "X",`, 400, "invalid_json"},
		{"not an object", `[1, 2]`, 400, ""},
		{"wrong type", `{"name": 7, "messaging_number": "+12025550124"}`, 400, ""},
		{"two values", `{"name": "X", "messaging_number": "+12025550124"} {}`, 400, "invalid_json"},
		{"empty body", "", 400, "empty_body"},
		{"white space body", "  \n", 400, "empty_body"},
		{"number taken", map[string]any{"name": "Copycat", "messaging_number": numA}, 409, "number_taken"},
		{"number taken, national form", map[string]any{"name": "Copycat", "messaging_number": "202-555-0123"}, 409, "number_taken"},
	}
	for _, tc := range bad {
		r := e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok, body: tc.body})
		if r.status != tc.status || (tc.code != "" && r.errorCode() != tc.code) || r.errorCode() == "" {
			t.Errorf("%s: %d %s, want %d %q", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	// None of the refused requests took a number: numA2 is still free.
	e.createCompany("Late Co", numA2)

	// Tokens.
	for _, tc := range []struct {
		name, auth string
	}{{"no token", ""}, {"wrong token", "Bearer nope"}, {"wrong scheme", "Basic " + adminTok}, {"empty bearer", "Bearer "}} {
		r := e.do(req{method: "POST", path: "/api/admin/companies", body: map[string]any{"name": "X", "messaging_number": numNone},
			header: map[string]string{"Authorization": tc.auth}})
		expect(t, r, http.StatusUnauthorized, "unauthorized")
	}
	// The admin token is not a user token, and a user token is not the admin token.
	agent := e.addUser(c.ID, "agent")
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: adminTok}), http.StatusUnauthorized, "unauthorized")
	expect(t, e.do(req{method: "POST", path: "/api/admin/companies", token: agent,
		body: map[string]any{"name": "X", "messaging_number": numNone}}), http.StatusUnauthorized, "unauthorized")
}

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createCompany("Acme", numA)
	tokens := map[string]bool{}
	for _, role := range []string{"admin", "agent", "compliance", "light", "live_chat"} {
		r := e.do(req{method: "POST", path: "/api/admin/companies/" + c.ID + "/users", token: adminTok,
			body: map[string]any{"name": "User " + role, "role": role}})
		expect(t, r, http.StatusCreated, "")
		checkPosition(t, r)
		var u struct {
			ID, Role, Token string
		}
		r.json(t, &u)
		if u.ID == "" || u.Role != role || len(u.Token) < 20 || tokens[u.Token] {
			t.Fatalf("user %+v for role %s: want an ID, the role and a fresh long token", u, role)
		}
		tokens[u.Token] = true
	}
	for _, tc := range []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"unknown role", "/api/admin/companies/" + c.ID + "/users", map[string]any{"name": "X", "role": "boss"}, 400, "invalid_request"},
		{"missing name", "/api/admin/companies/" + c.ID + "/users", map[string]any{"role": "agent"}, 400, "invalid_request"},
		{"unknown field", "/api/admin/companies/" + c.ID + "/users", map[string]any{"name": "X", "role": "agent", "admin": true}, 400, "unknown_field"},
		{"empty body", "/api/admin/companies/" + c.ID + "/users", "", 400, "empty_body"},
		{"unknown company", "/api/admin/companies/no-such-company/users", map[string]any{"name": "X", "role": "agent"}, 404, "not_found"},
	} {
		r := e.do(req{method: "POST", path: tc.path, token: adminTok, body: tc.body})
		if r.status != tc.status || r.errorCode() != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.status, r.body, tc.status, tc.code)
		}
	}
	expect(t, e.do(req{method: "POST", path: "/api/admin/companies/" + c.ID + "/users",
		body: map[string]any{"name": "X", "role": "agent"}}), http.StatusUnauthorized, "unauthorized")

	// PATCH and PUT on a company that does not exist.
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/no-such-company", token: adminTok,
		body: map[string]any{"sms_enabled": false}}), http.StatusNotFound, "not_found")
	expect(t, e.do(req{method: "PUT", path: "/api/admin/companies/no-such-company/messaging-number", token: adminTok,
		body: map[string]any{"messaging_number": numA2}}), http.StatusNotFound, "not_found")
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + c.ID, token: adminTok,
		body: map[string]any{"time_zone": "Nowhere/Town"}}), http.StatusBadRequest, "invalid_request")
	expect(t, e.do(req{method: "PATCH", path: "/api/admin/companies/" + c.ID, token: adminTok,
		body: map[string]any{"messaging_number": numA2}}), http.StatusBadRequest, "unknown_field")
}

func TestAdminAPIOff(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, envConfig{})
	for _, r := range []req{
		{method: "POST", path: "/api/admin/companies", body: map[string]any{"name": "X", "messaging_number": numA}},
		{method: "POST", path: "/api/admin/companies", token: "anything", body: map[string]any{"name": "X", "messaging_number": numA}},
		{method: "PATCH", path: "/api/admin/companies/c1", token: "anything", body: map[string]any{"sms_enabled": true}},
		{method: "PUT", path: "/api/admin/companies/c1/messaging-number", token: "x", body: map[string]any{"messaging_number": numA}},
		{method: "POST", path: "/api/admin/companies/c1/users", token: "x", body: map[string]any{"name": "X", "role": "agent"}},
		{method: "GET", path: "/api/admin/unrouted", token: "x"},
	} {
		expect(t, e.do(r), http.StatusNotFound, "admin_api_off")
	}
	if h := e.head(); h != "0" {
		t.Fatalf("the store has events (head %s) though the admin API is off", h)
	}
}

// ---------------------------------------------------------------- inbound

func TestInboundOpensUnreadThread(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	if got := e.inbox(a.agent); len(got) != 0 {
		t.Fatalf("a new company's Inbox holds %d threads", len(got))
	}

	at := e.clock.Now()
	e.text(numA, cust1, "Hi, is the dentist open on Saturday?")
	threads := e.inbox(a.agent)
	if len(threads) != 1 {
		t.Fatalf("Inbox holds %d threads, want 1", len(threads))
	}
	th := threads[0]
	if _, err := uuid.Parse(th.ID); err != nil {
		t.Fatalf("thread ID %q: %v", th.ID, err)
	}
	if th.CustomerPhone != cust1 || !th.Unread || th.Archived || th.CustomerName != nil || th.LeadID != nil ||
		th.LastMessagePreview != "Hi, is the dentist open on Saturday?" || th.Consent != "no" {
		t.Fatalf("thread %+v", th)
	}
	if !th.LastActivityAt.Equal(at) || th.LastCustomerReplyAt == nil || !th.LastCustomerReplyAt.Equal(at) {
		t.Fatalf("thread times %v / %v, want %v (the clock at receipt)", th.LastActivityAt, th.LastCustomerReplyAt, at)
	}

	full := e.get(a.agent, th.ID)
	if full.ID != th.ID || full.CustomerPhone != cust1 || !full.Unread || len(full.Messages) != 1 {
		t.Fatalf("GET thread: %+v", full)
	}
	m := full.Messages[0]
	if m.ThreadID != th.ID || m.Direction != "inbound" || m.From != cust1 || m.To != numA ||
		m.Body != "Hi, is the dentist open on Saturday?" || m.Status != "received" || m.ErrorCode != nil ||
		m.Automated || m.App == "" || len(m.Media) != 0 {
		t.Fatalf("message %+v", m)
	}
	if _, err := uuid.Parse(m.ID); err != nil {
		t.Fatalf("message ID %q: %v", m.ID, err)
	}
	created, err := time.Parse(time.RFC3339Nano, m.CreatedAt)
	if err != nil || !created.Equal(at) || !strings.HasSuffix(m.CreatedAt, "Z") {
		t.Fatalf("created_at %q, want %v in RFC 3339 UTC", m.CreatedAt, at)
	}
	// The thread ID in the path must be a thread of the caller's.
	expect(t, e.do(req{method: "GET", path: "/api/threads/" + uuid.NewString(), token: a.agent}), http.StatusNotFound, "not_found")
	expect(t, e.do(req{method: "GET", path: "/api/threads/not-a-uuid", token: a.agent}), http.StatusNotFound, "not_found")

	// A later text from the same customer stays in the one thread: newest
	// activity and reply, its preview, messages oldest first.
	e.clock.Advance(90 * time.Second)
	later := e.clock.Now()
	e.text(numA, cust1, "Never mind, found it.")
	threads = e.inbox(a.agent)
	if len(threads) != 1 {
		t.Fatalf("Inbox holds %d threads after a second text, want 1", len(threads))
	}
	th = threads[0]
	if th.LastMessagePreview != "Never mind, found it." || !th.LastActivityAt.Equal(later) || !th.LastCustomerReplyAt.Equal(later) {
		t.Fatalf("thread after a second text: %+v", th)
	}
	full = e.get(a.agent, th.ID)
	if len(full.Messages) != 2 || full.Messages[0].Body != "Hi, is the dentist open on Saturday?" || full.Messages[1].Body != "Never mind, found it." {
		t.Fatalf("messages: %+v", full.Messages)
	}
	if full.Messages[0].ID == full.Messages[1].ID {
		t.Fatalf("two messages share ID %s", full.Messages[0].ID)
	}

	// A webhook whose From is in a national form is normalised to E.164:
	// the same customer, the same thread.
	p := e.inboundParams(numA, cust1, "third")
	p.Set("From", "(202) 555-0187")
	e.deliver(p)
	if threads = e.inbox(a.agent); len(threads) != 1 || len(e.get(a.agent, threads[0].ID).Messages) != 3 {
		t.Fatalf("a national From opened another thread: %v", phones(threads))
	}

	// A long text: the preview is its start, the message keeps all of it.
	long := strings.Repeat("Quite a long question about the appointment. ", 10)
	e.clock.Advance(time.Second)
	e.text(numA, cust2, long)
	th = e.mustThread(a.agent, cust2)
	start := strings.TrimSuffix(th.LastMessagePreview, "…")
	if len(start) < 100 || len(th.LastMessagePreview) >= len(long) || !strings.HasPrefix(long, start) {
		t.Fatalf("preview %q of a %d-character text", th.LastMessagePreview, len(long))
	}
	if m := e.get(a.agent, th.ID).Messages; len(m) != 1 || m[0].Body != long {
		t.Fatalf("the long text was not kept whole: %+v", m)
	}
}

func TestInboundMMS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	p := e.inboundParams(numA, cust1, "Here are the photos")
	p.Set("NumMedia", "2")
	p.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1")
	p.Set("MediaContentType0", "image/jpeg")
	p.Set("MediaUrl1", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2")
	p.Set("MediaContentType1", "video/mp4")
	e.deliver(p)

	th := e.mustThread(a.agent, cust1)
	msgs := e.get(a.agent, th.ID).Messages
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	want := []media{
		{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1", "image/jpeg"},
		{"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2", "video/mp4"},
	}
	if !slices.Equal(msgs[0].Media, want) || msgs[0].Body != "Here are the photos" {
		t.Fatalf("message %+v, want media %+v", msgs[0], want)
	}

	// A picture without text: the preview says what came.
	e.clock.Advance(time.Second)
	p = e.inboundParams(numA, cust2, "")
	p.Set("NumMedia", "1")
	p.Set("MediaUrl0", "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM2/Media/ME3")
	p.Set("MediaContentType0", "image/png")
	e.deliver(p)
	th = e.mustThread(a.agent, cust2)
	if th.LastMessagePreview == "" {
		t.Fatalf("an MMS without text has an empty preview")
	}
	if m := e.get(a.agent, th.ID).Messages; len(m) != 1 || len(m[0].Media) != 1 || m[0].Media[0].ContentType != "image/png" {
		t.Fatalf("messages %+v", m)
	}

	// NumMedia that disagrees with the media parameters is not a valid webhook.
	p = e.inboundParams(numA, cust3, "x")
	p.Set("NumMedia", "2")
	p.Set("MediaUrl0", "https://api.twilio.com/m0")
	expect(t, e.postWebhook(p, nil), http.StatusBadRequest, "invalid_webhook")
	if _, ok := threadByPhone(e.inbox(a.agent), cust3); ok {
		t.Fatalf("an invalid webhook opened a thread")
	}
}

// ---------------------------------------------------------------- ordering and paging

func TestThreadsMostRecentActivityFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	customers := []string{cust1, cust2, cust3, cust4, cust5}
	for _, c := range customers {
		e.text(numA, c, "hello from "+c)
		e.clock.Advance(time.Minute)
	}
	want := slices.Clone(customers)
	slices.Reverse(want)
	if got := phones(e.inbox(a.agent)); !slices.Equal(got, want) {
		t.Fatalf("Inbox order %v, want %v", got, want)
	}

	// A new text from the oldest thread moves it to the top.
	e.text(numA, cust1, "me again")
	want = append([]string{cust1}, want[:4]...)
	threads := e.inbox(a.agent)
	if got := phones(threads); !slices.Equal(got, want) {
		t.Fatalf("Inbox order after a new text %v, want %v", got, want)
	}
	for i := 1; i < len(threads); i++ {
		if !threads[i-1].LastActivityAt.After(threads[i].LastActivityAt) {
			t.Fatalf("activity not descending: %v then %v", threads[i-1].LastActivityAt, threads[i].LastActivityAt)
		}
	}

	// Read commands do not count as activity.
	e.clock.Advance(time.Minute)
	e.command(a.agent, threads[4].ID, "read")
	if got := phones(e.inbox(a.agent)); !slices.Equal(got, want) {
		t.Fatalf("Inbox order after a read %v, want %v", got, want)
	}

	// Keyset paging walks every thread once, in order.
	if got := walk(t, e, a.agent, "", 2); !slices.Equal(got, want) {
		t.Fatalf("pages of 2 walked %v, want %v", got, want)
	}
	if got := walk(t, e, a.agent, "", 200); !slices.Equal(got, want) {
		t.Fatalf("one page of 200 walked %v, want %v", got, want)
	}

	// A limit of exactly the number of threads still ends on a page with no cursor.
	p := e.list(a.agent, "?limit=5", "")
	if len(p.Threads) != 5 || p.NextCursor != nil {
		t.Fatalf("limit=5 over 5 threads: %d threads, cursor %v", len(p.Threads), p.NextCursor)
	}

	for _, q := range []string{"0", "201", "x", "-1", "1.5", "2%20"} {
		expect(t, e.do(req{method: "GET", path: "/api/threads?limit=" + q, token: a.agent}), http.StatusBadRequest, "invalid_limit")
	}
	for _, c := range []string{"garbage", "e30", "eyJ0IjoiMjAzMC0wMS0wMVQwMDowMDowMFoifQ", "%%%"} {
		expect(t, e.do(req{method: "GET", path: "/api/threads?cursor=" + url.QueryEscape(c), token: a.agent}), http.StatusBadRequest, "invalid_cursor")
	}
	for _, f := range []string{"spam", "INBOX", "all"} {
		expect(t, e.do(req{method: "GET", path: "/api/threads?folder=" + f, token: a.agent}), http.StatusBadRequest, "invalid_folder")
	}
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: a.agent, header: map[string]string{"X-Min-Position": "soon"}}),
		http.StatusBadRequest, "invalid_position")
}

// walk pages through a folder limit threads at a time and returns the phones in order.
func walk(t *testing.T, e *env, token, folder string, limit int) []string {
	t.Helper()
	var out []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 50 {
			t.Fatalf("paging does not end")
		}
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if folder != "" {
			q.Set("folder", folder)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		p := e.list(token, "?"+q.Encode(), "")
		if len(p.Threads) > limit {
			t.Fatalf("page of %d threads, limit %d", len(p.Threads), limit)
		}
		out = append(out, phones(p.Threads)...)
		if p.NextCursor == nil {
			return out
		}
		if len(p.Threads) != limit {
			t.Fatalf("a page of %d threads (limit %d) has a next cursor", len(p.Threads), limit)
		}
		cursor = *p.NextCursor
	}
}

func TestPagingWithEqualActivity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	// Four texts at the same instant: ties are broken by ID, and keyset
	// paging still walks each thread exactly once.
	customers := []string{cust1, cust2, cust3, cust4}
	for _, c := range customers {
		e.text(numA, c, "same time")
	}
	all := phones(e.inbox(a.agent))
	if len(all) != 4 {
		t.Fatalf("Inbox %v", all)
	}
	for _, limit := range []int{1, 3} {
		if got := walk(t, e, a.agent, "", limit); !slices.Equal(got, all) {
			t.Fatalf("pages of %d walked %v, want %v", limit, got, all)
		}
	}
	sorted := slices.Clone(all)
	slices.Sort(sorted)
	want := slices.Clone(customers)
	slices.Sort(want)
	if !slices.Equal(sorted, want) {
		t.Fatalf("Inbox %v, want the customers %v", all, customers)
	}
}

// ---------------------------------------------------------------- thread commands

func TestThreadCommands(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "first")
	e.clock.Advance(time.Minute)
	e.text(numA, cust2, "second")
	th := e.mustThread(a.agent, cust1)
	other := e.mustThread(a.agent, cust2)

	// getAt reads the thread with X-Min-Position pos: the command's position alone
	// is enough to read its effect.
	getAt := func(pos string) thread {
		t.Helper()
		r := e.do(req{method: "GET", path: "/api/threads/" + th.ID, token: a.agent, header: minPosHeader(pos)})
		expect(t, r, http.StatusOK, "")
		var got thread
		r.json(t, &got)
		return got
	}
	listAt := func(folder, pos string) []thread {
		t.Helper()
		return e.list(a.agent, "?folder="+folder, pos).Threads
	}

	// Mark read, with no body.
	r := e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/read", token: a.agent})
	expect(t, r, http.StatusOK, "")
	pos := checkPosition(t, r)
	if got := getAt(pos); got.Unread {
		t.Fatalf("read: thread still unread")
	}
	if got, _ := threadByPhone(listAt("inbox", pos), cust1); got.Unread {
		t.Fatalf("read: the Inbox shows it unread")
	}
	if o, _ := threadByPhone(listAt("inbox", pos), cust2); !o.Unread {
		t.Fatalf("reading one thread marked another read")
	}

	// Mark unread, with {}.
	r = e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/unread", token: a.agent, body: "{}"})
	expect(t, r, http.StatusOK, "")
	pos2 := checkPosition(t, r)
	if p1, _ := strconv.ParseUint(pos, 10, 64); mustUint(t, pos2) <= p1 {
		t.Fatalf("position %s after %s", pos2, pos)
	}
	if got := getAt(pos2); !got.Unread {
		t.Fatalf("unread: thread is read")
	}

	// Archive: in Archived, not in the Inbox; messages kept.
	r = e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/archive", token: a.agent, body: " "})
	expect(t, r, http.StatusOK, "")
	pos = checkPosition(t, r)
	if got := getAt(pos); !got.Archived || len(got.Messages) != 1 {
		t.Fatalf("archive: %+v", got)
	}
	if _, ok := threadByPhone(listAt("inbox", pos), cust1); ok {
		t.Fatalf("an archived thread is in the Inbox")
	}
	arch := listAt("archived", pos)
	if len(arch) != 1 || arch[0].ID != th.ID || !arch[0].Archived {
		t.Fatalf("Archived holds %+v", arch)
	}
	// Archiving again changes nothing and still answers a position.
	e.command(a.agent, th.ID, "archive")

	// Unarchive: back in the Inbox.
	pos = e.command(a.agent, th.ID, "unarchive")
	if got := getAt(pos); got.Archived {
		t.Fatalf("unarchive: still archived")
	}
	if len(listAt("archived", pos)) != 0 {
		t.Fatalf("Archived not empty after unarchive")
	}
	if got := phones(listAt("inbox", pos)); !slices.Equal(got, []string{cust2, cust1}) {
		t.Fatalf("Inbox after unarchive %v, want by activity", got)
	}

	// Archived and read, then the customer writes: back in the Inbox, unread, on top.
	e.command(a.agent, th.ID, "read")
	pos = e.command(a.agent, th.ID, "archive")
	if got := getAt(pos); !got.Archived || got.Unread {
		t.Fatalf("read and archived: %+v", got)
	}
	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "hello again")
	inbox := e.inbox(a.agent)
	if got := phones(inbox); !slices.Equal(got, []string{cust1, cust2}) {
		t.Fatalf("Inbox after a new text to an archived thread: %v", got)
	}
	if !inbox[0].Unread || inbox[0].Archived || inbox[0].LastMessagePreview != "hello again" {
		t.Fatalf("the returned thread: %+v", inbox[0])
	}
	if len(e.archived(a.agent)) != 0 {
		t.Fatalf("the thread is still in Archived")
	}

	// Bodies the commands refuse.
	for _, action := range []string{"read", "unread", "archive", "unarchive"} {
		expect(t, e.do(req{method: "POST", path: "/api/threads/" + other.ID + "/" + action, token: a.agent, body: `{"force": true}`}),
			http.StatusBadRequest, "unknown_field")
		expect(t, e.do(req{method: "POST", path: "/api/threads/" + other.ID + "/" + action, token: a.agent, body: `{`}),
			http.StatusBadRequest, "invalid_json")
		// A thread that is not there.
		expect(t, e.do(req{method: "POST", path: "/api/threads/" + uuid.NewString() + "/" + action, token: a.agent}),
			http.StatusNotFound, "not_found")
		expect(t, e.do(req{method: "POST", path: "/api/threads/nope/" + action, token: a.agent}),
			http.StatusNotFound, "not_found")
	}
	if o := e.get(a.agent, other.ID); !o.Unread || o.Archived {
		t.Fatalf("refused commands changed the thread: %+v", o)
	}
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

// ---------------------------------------------------------------- duplicates

func TestDuplicateMessageSidRecordedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)

	// The same webhook twice in a row (a retry a second later).
	p := e.inboundParams(numA, cust1, "only once")
	first := e.deliver(p)
	head := e.head()
	e.clock.Advance(time.Second)
	if again := e.deliver(p); again != first {
		t.Fatalf("the repeat answered position %s, the first %s", again, first)
	}
	if h := e.head(); h != head {
		t.Fatalf("a repeated webhook appended events: head %s → %s", head, h)
	}
	// The webhook's position is enough to read the text.
	if got := e.list(a.agent, "", first).Threads; len(got) != 1 || got[0].CustomerPhone != cust1 {
		t.Fatalf("Inbox at the webhook's position: %v", phones(got))
	}
	th := e.mustThread(a.agent, cust1)
	if msgs := e.get(a.agent, th.ID).Messages; len(msgs) != 1 {
		t.Fatalf("%d messages after a repeated webhook, want 1", len(msgs))
	}

	// The same webhook many times at once (Twilio's retries racing).
	p = e.inboundParams(numA, cust2, "raced")
	const copies = 8
	statuses := make([]int, copies)
	errs := make([]error, copies)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range copies {
		wg.Go(func() {
			<-start
			statuses[i], errs[i] = postSigned(e, p)
		})
	}
	close(start)
	wg.Wait()
	for i := range copies {
		if errs[i] != nil || statuses[i] != http.StatusOK {
			t.Fatalf("copy %d: status %d, err %v", i, statuses[i], errs[i])
		}
	}
	th = e.mustThread(a.agent, cust2)
	if msgs := e.get(a.agent, th.ID).Messages; len(msgs) != 1 || msgs[0].Body != "raced" {
		t.Fatalf("%d messages after %d concurrent copies, want 1", len(msgs), copies)
	}

	// The same MessageSid for an unrouted text is kept once too.
	p = e.inboundParams(numNone, cust3, "lost")
	e.deliver(p)
	if r := e.postWebhook(p, nil); r.status != http.StatusOK || r.header.Get("X-Smsinbox-Routed") != "false" {
		t.Fatalf("an unrouted text answered %d, X-Smsinbox-Routed %q; want 200 and false", r.status, r.header.Get("X-Smsinbox-Routed"))
	}
	if r := e.postWebhook(e.inboundParams(numA, cust3, "found"), nil); r.header.Get("X-Smsinbox-Routed") != "" {
		t.Fatalf("a routed text answered X-Smsinbox-Routed %q", r.header.Get("X-Smsinbox-Routed"))
	}
	if n := len(e.unrouted()); n != 1 {
		t.Fatalf("%d unrouted texts after a repeated webhook, want 1", n)
	}
}

// postSigned posts a signed inbound webhook from any goroutine.
func postSigned(e *env, p url.Values) (int, error) {
	target := e.srv.URL + twilio.InboundPath
	hr, err := http.NewRequestWithContext(context.Background(), http.MethodPost, target, strings.NewReader(p.Encode()))
	if err != nil {
		return 0, err
	}
	hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hr.Header.Set(twilio.SignatureHeader, twilio.Sign(app.SandboxToken, e.publicURL+twilio.InboundPath, p))
	resp, err := e.client.Do(hr)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// ---------------------------------------------------------------- signatures and size

func TestWebhookSignatureRequired(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	before := e.head()

	p := e.inboundParams(numA, cust1, "pay me")
	forged := twilio.Sign("not-the-token", e.publicURL+twilio.InboundPath, p)
	otherURL := twilio.Sign(app.SandboxToken, "https://elsewhere.example.com"+twilio.InboundPath, p)
	empty := ""
	garbage := "bm90IGEgc2lnbmF0dXJl"
	for name, sig := range map[string]*string{"forged": &forged, "missing": &empty, "garbage": &garbage, "other URL": &otherURL} {
		r := e.postWebhook(p, sig)
		if r.status != http.StatusForbidden || r.errorCode() != "invalid_signature" {
			t.Errorf("%s signature: %d %s, want 403 invalid_signature", name, r.status, r.body)
		}
	}

	// Signed, then altered: the body, an added parameter, a removed one.
	altered := e.inboundParams(numA, cust1, "original")
	signed := cloneValues(altered)
	altered.Set("Body", "altered")
	expect(t, e.postRawWebhook(altered.Encode(), signed, nil), http.StatusForbidden, "invalid_signature")
	added := cloneValues(signed)
	added.Set("OptOutType", "STOP")
	expect(t, e.postRawWebhook(added.Encode(), signed, nil), http.StatusForbidden, "invalid_signature")
	removed := cloneValues(signed)
	removed.Del("NumSegments")
	expect(t, e.postRawWebhook(removed.Encode(), signed, nil), http.StatusForbidden, "invalid_signature")
	// A signed URL with a query string the request does not carry.
	expect(t, e.postRawWebhook(signed.Encode(), signed, ptr(twilio.Sign(app.SandboxToken, e.publicURL+twilio.InboundPath+"?x=1", signed))),
		http.StatusForbidden, "invalid_signature")

	if h := e.head(); h != before {
		t.Fatalf("refused webhooks appended events: head %s → %s", before, h)
	}
	if got := e.inbox(a.agent); len(got) != 0 {
		t.Fatalf("refused webhooks opened threads: %v", phones(got))
	}
	if got := e.unrouted(); len(got) != 0 {
		t.Fatalf("refused webhooks were kept as unrouted: %v", got)
	}

	// Over 1 MiB: 413, signature or not.
	big := e.inboundParams(numA, cust1, strings.Repeat("a", 1<<20))
	expect(t, e.postWebhook(big, nil), http.StatusRequestEntityTooLarge, "body_too_large")
	if h := e.head(); h != before {
		t.Fatalf("an oversized webhook appended events")
	}
	// JSON endpoints refuse oversized bodies too.
	e.text(numA, cust1, "ok") // a real thread for the command below
	id := e.mustThread(a.agent, cust1).ID
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + id + "/read", token: a.agent,
		body: `{"x":"` + strings.Repeat("b", 1<<20) + `"}`}), http.StatusRequestEntityTooLarge, "body_too_large")
	expect(t, e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: `{"name":"` + strings.Repeat("b", 1<<20) + `"}`}), http.StatusRequestEntityTooLarge, "body_too_large")

	// The signed original is still accepted.
	e.deliver(p)
	if msgs := e.get(a.agent, id).Messages; len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
}

func TestWebhookSignedAgainstPublicURL(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, envConfig{adminToken: adminTok, publicURL: "https://sms.example.com/"})
	a := e.newTenant("Acme", numA)
	p := e.inboundParams(numA, cust1, "through the proxy")
	// Signed against the server's own address: not the URL Twilio calls.
	local := twilio.Sign(app.SandboxToken, e.srv.URL+twilio.InboundPath, p)
	expect(t, e.postWebhook(p, &local), http.StatusForbidden, "invalid_signature")
	// Signed against PUBLIC_URL (e.publicURL), as Twilio does; the port form too.
	e.deliver(p)
	q := e.inboundParams(numA, cust1, "with the port")
	port := twilio.Sign(app.SandboxToken, "https://sms.example.com:443"+twilio.InboundPath, q)
	expect(t, e.postWebhook(q, &port), http.StatusOK, "")
	th := e.mustThread(a.agent, cust1)
	if msgs := e.get(a.agent, th.ID).Messages; len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// ---------------------------------------------------------------- routing

type unroutedText struct {
	MessageSID string              `json:"message_sid"`
	From       string              `json:"from"`
	To         string              `json:"to"`
	Body       string              `json:"body"`
	Reason     string              `json:"reason"`
	Params     map[string][]string `json:"params"`
	ReceivedAt time.Time           `json:"received_at"`
}

func (e *env) unrouted() []unroutedText {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/admin/unrouted", token: adminTok})
	expect(e.t, r, http.StatusOK, "")
	var out struct {
		Messages []unroutedText `json:"messages"`
	}
	r.json(e.t, &out)
	return out.Messages
}

func TestUnroutedTextIsKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	at := e.clock.Now()
	sid := e.text(numNone, cust1, "anyone there?")

	got := e.unrouted()
	if len(got) != 1 {
		t.Fatalf("%d unrouted texts, want 1", len(got))
	}
	u := got[0]
	if u.MessageSID != sid || u.From != cust1 || u.To != numNone || u.Body != "anyone there?" || u.Reason == "" ||
		!u.ReceivedAt.Equal(at) || len(u.Params["MessageSid"]) != 1 {
		t.Fatalf("unrouted %+v", u)
	}
	if th := e.inbox(a.agent); len(th) != 0 {
		t.Fatalf("an unrouted text opened a thread: %v", phones(th))
	}
	// A sender that is not a phone number cannot open a thread: kept too.
	p := e.inboundParams(numA, cust2, "via another channel")
	p.Set("From", "whatsapp:+12025550199")
	e.deliver(p)
	got = e.unrouted()
	if len(got) != 2 || got[1].From != "whatsapp:+12025550199" || got[1].To != numA || got[1].Reason == "" {
		t.Fatalf("unrouted %+v", got)
	}
	if th := e.inbox(a.agent); len(th) != 0 {
		t.Fatalf("a text from a non-number opened a thread: %v", phones(th))
	}

	expect(t, e.do(req{method: "GET", path: "/api/admin/unrouted"}), http.StatusUnauthorized, "unauthorized")
	expect(t, e.do(req{method: "GET", path: "/api/admin/unrouted", token: a.agent}), http.StatusUnauthorized, "unauthorized")
}

func TestFormerNumberStillRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "before the change")
	before := e.mustThread(a.agent, cust1)

	r := e.do(req{method: "PUT", path: "/api/admin/companies/" + a.ID + "/messaging-number", token: adminTok,
		body: map[string]any{"messaging_number": "(202) 555-0124"}})
	expect(t, r, http.StatusOK, "")
	checkPosition(t, r)
	var c company
	r.json(t, &c)
	if c.ID != a.ID || c.MessagingNumber != numA2 {
		t.Fatalf("after the change: %+v", c)
	}
	for _, tc := range []struct {
		body   any
		status int
		code   string
	}{
		{map[string]any{"messaging_number": "+1555000000"}, 400, "invalid_phone"},
		{map[string]any{"messaging_number": numA2, "x": 1}, 400, "unknown_field"},
		{"", 400, "empty_body"},
	} {
		expect(t, e.do(req{method: "PUT", path: "/api/admin/companies/" + a.ID + "/messaging-number", token: adminTok, body: tc.body}), tc.status, tc.code)
	}

	// The former number still belongs to the company: no one else can take it,
	// and texts to it land in the company's thread.
	expect(t, e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": "Squatter", "messaging_number": numA}}), http.StatusConflict, "number_taken")

	e.clock.Advance(time.Minute)
	e.text(numA, cust1, "to the old number")
	e.clock.Advance(time.Minute)
	e.text(numA2, cust1, "to the new number")

	threads := e.inbox(a.agent)
	if len(threads) != 1 || threads[0].ID != before.ID {
		t.Fatalf("threads after the number change: %+v (want the one thread %s)", threads, before.ID)
	}
	msgs := e.get(a.agent, before.ID).Messages
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for i, want := range []struct{ to, body string }{
		{numA, "before the change"}, {numA, "to the old number"}, {numA2, "to the new number"},
	} {
		if msgs[i].To != want.to || msgs[i].Body != want.body || msgs[i].From != cust1 {
			t.Fatalf("message %d: %+v, want to %s %q", i, msgs[i], want.to, want.body)
		}
	}
	if n := len(e.unrouted()); n != 0 {
		t.Fatalf("%d texts unrouted, want none", n)
	}
}

// ---------------------------------------------------------------- tenancy

func TestTenancy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	b := e.newTenant("Bolt", numB)

	// The same customer texts both companies, and another only B.
	e.text(numA, cust1, "to A")
	e.text(numB, cust1, "to B")
	e.text(numB, cust2, "only to B")

	aThreads := e.inbox(a.agent)
	bThreads := e.inbox(b.agent)
	if got := phones(aThreads); !slices.Equal(got, []string{cust1}) {
		t.Fatalf("A's Inbox: %v", got)
	}
	if len(bThreads) != 2 {
		t.Fatalf("B's Inbox: %v", phones(bThreads))
	}
	bThread, _ := threadByPhone(bThreads, cust1)
	if bThread.ID == aThreads[0].ID {
		t.Fatalf("two companies share thread %s", bThread.ID)
	}
	if m := e.get(a.agent, aThreads[0].ID).Messages; len(m) != 1 || m[0].Body != "to A" {
		t.Fatalf("A's thread holds %+v", m)
	}

	// B's threads are not A's: 404 everywhere, no data.
	for _, th := range bThreads {
		r := e.do(req{method: "GET", path: "/api/threads/" + th.ID, token: a.agent, header: minPosHeader(e.head())})
		expect(t, r, http.StatusNotFound, "not_found")
		if strings.Contains(string(r.body), th.CustomerPhone) || strings.Contains(string(r.body), "to B") {
			t.Fatalf("a 404 shows B's data: %s", r.body)
		}
		for _, action := range []string{"read", "unread", "archive", "unarchive"} {
			expect(t, e.do(req{method: "POST", path: "/api/threads/" + th.ID + "/" + action, token: a.agent}), http.StatusNotFound, "not_found")
		}
	}
	for _, th := range e.inbox(b.agent) {
		if !th.Unread || th.Archived {
			t.Fatalf("A's commands changed B's thread: %+v", th)
		}
	}
	if len(e.archived(b.agent)) != 0 || len(e.archived(a.agent)) != 0 {
		t.Fatalf("something was archived")
	}

	// A's changes stay A's.
	e.command(a.agent, aThreads[0].ID, "archive")
	if got := e.archived(b.agent); len(got) != 0 {
		t.Fatalf("B's Archived shows %v", phones(got))
	}
	if got := phones(e.archived(a.agent)); !slices.Equal(got, []string{cust1}) {
		t.Fatalf("A's Archived shows %v", got)
	}
	if len(e.inbox(b.agent)) != 2 {
		t.Fatalf("A's archive changed B's Inbox")
	}
	// A's paging cursor does not open B's threads.
	for _, ph := range walk(t, e, a.agent, "archived", 1) {
		if ph != cust1 {
			t.Fatalf("A's pages show %s", ph)
		}
	}
}

// ---------------------------------------------------------------- roles

func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.createCompany("Acme", numA)
	tokens := map[string]string{}
	for _, role := range []string{"admin", "agent", "compliance", "light", "live_chat"} {
		tokens[role] = e.addUser(c.ID, role)
	}
	e.text(numA, cust1, "hello")
	th := e.mustThread(tokens["agent"], cust1)

	reads := []req{
		{method: "GET", path: "/api/threads"},
		{method: "GET", path: "/api/threads?folder=archived"},
		{method: "GET", path: "/api/threads/" + th.ID},
	}
	var writes []req
	for _, action := range []string{"read", "unread", "archive", "unarchive"} {
		writes = append(writes, req{method: "POST", path: "/api/threads/" + th.ID + "/" + action})
	}
	with := func(r req, token string) req { r.token = token; return r }

	// No Messages access at all.
	for _, role := range []string{"light", "live_chat"} {
		for _, r := range append(slices.Clone(reads), writes...) {
			resp := e.do(with(r, tokens[role]))
			if resp.status != http.StatusForbidden || resp.errorCode() != "forbidden" {
				t.Errorf("%s %s %s: %d %s, want 403 forbidden", role, r.method, r.path, resp.status, resp.body)
			}
			if strings.Contains(string(resp.body), cust1) {
				t.Errorf("%s sees the customer: %s", role, resp.body)
			}
		}
	}
	// Compliance reads, never writes.
	for _, r := range reads {
		expect(t, e.do(with(r, tokens["compliance"])), http.StatusOK, "")
	}
	if got := e.get(tokens["compliance"], th.ID); len(got.Messages) != 1 {
		t.Fatalf("compliance sees %d messages", len(got.Messages))
	}
	for _, r := range writes {
		expect(t, e.do(with(r, tokens["compliance"])), http.StatusForbidden, "forbidden")
	}
	if got := e.get(tokens["agent"], th.ID); !got.Unread || got.Archived {
		t.Fatalf("refused commands changed the thread: %+v", got)
	}
	// Admin and agent do everything.
	for _, role := range []string{"admin", "agent"} {
		for _, r := range append(slices.Clone(reads), writes...) {
			expect(t, e.do(with(r, tokens[role])), http.StatusOK, "")
		}
	}
	// No or bad token.
	for _, r := range append(slices.Clone(reads), writes...) {
		expect(t, e.do(r), http.StatusUnauthorized, "unauthorized")
		expect(t, e.do(with(r, "not-a-token")), http.StatusUnauthorized, "unauthorized")
		bad := r
		bad.header = map[string]string{"Authorization": "Token " + tokens["agent"]}
		expect(t, e.do(bad), http.StatusUnauthorized, "unauthorized")
	}
	// The role is checked before the thread: a light user learns nothing
	// about which threads exist.
	expect(t, e.do(req{method: "GET", path: "/api/threads/" + uuid.NewString(), token: tokens["light"]}), http.StatusForbidden, "forbidden")
}

// ---------------------------------------------------------------- sms_enabled

func TestSMSDisabled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	compliance := e.addUser(a.ID, "compliance")
	e.text(numA, cust1, "before")
	th := e.mustThread(a.agent, cust1)

	r := e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok, body: map[string]any{"sms_enabled": false}})
	expect(t, r, http.StatusOK, "")
	pos := checkPosition(t, r)
	var c company
	r.json(t, &c)
	if c.SMSEnabled || c.Name != "Acme" || c.MessagingNumber != numA {
		t.Fatalf("after PATCH: %+v", c)
	}

	endpoints := []req{
		{method: "GET", path: "/api/threads"},
		{method: "GET", path: "/api/threads?folder=archived"},
		{method: "GET", path: "/api/threads/" + th.ID},
	}
	for _, action := range []string{"read", "unread", "archive", "unarchive"} {
		endpoints = append(endpoints, req{method: "POST", path: "/api/threads/" + th.ID + "/" + action})
	}
	for _, token := range []string{a.agent, compliance} {
		for _, ep := range endpoints {
			if token == compliance && ep.method == "POST" {
				continue // compliance may not write anyway (403 forbidden)
			}
			ep.token = token
			ep.header = minPosHeader(pos)
			resp := e.do(ep)
			if resp.status != http.StatusForbidden || resp.errorCode() != "sms_disabled" {
				t.Fatalf("%s %s with Messages off: %d %s", ep.method, ep.path, resp.status, resp.body)
			}
		}
	}

	// Inbound texts are still recorded.
	e.clock.Advance(time.Minute)
	sent := e.clock.Now()
	e.text(numA, cust1, "while off")
	e.clock.Advance(time.Second)
	e.text(numA, cust2, "new customer while off")
	if n := len(e.unrouted()); n != 0 {
		t.Fatalf("texts to a disabled company went unrouted")
	}

	r = e.do(req{method: "PATCH", path: "/api/admin/companies/" + a.ID, token: adminTok, body: map[string]any{"sms_enabled": true}})
	expect(t, r, http.StatusOK, "")
	pos = checkPosition(t, r)
	p := e.list(a.agent, "", pos)
	if got := phones(p.Threads); !slices.Equal(got, []string{cust2, cust1}) {
		t.Fatalf("Inbox after turning Messages back on: %v", got)
	}
	back, _ := threadByPhone(p.Threads, cust1)
	if !back.Unread || !back.LastActivityAt.Equal(sent) || back.LastMessagePreview != "while off" {
		t.Fatalf("thread after Messages back on: %+v", back)
	}
	if m := e.get(a.agent, th.ID).Messages; len(m) != 2 || m[1].Body != "while off" {
		t.Fatalf("messages: %+v", m)
	}

	// A company created with Messages off answers sms_disabled from the start.
	off := e.do(req{method: "POST", path: "/api/admin/companies", token: adminTok,
		body: map[string]any{"name": "Quiet", "messaging_number": numB, "sms_enabled": false}})
	expect(t, off, http.StatusCreated, "")
	var q company
	off.json(t, &q)
	expect(t, e.do(req{method: "GET", path: "/api/threads", token: e.addUser(q.ID, "admin")}), http.StatusForbidden, "sms_disabled")
}

// ---------------------------------------------------------------- operations and routing

func TestOperations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(req{method: "GET", path: "/healthz"})
	expect(t, r, http.StatusOK, "")

	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r = e.do(req{method: "GET", path: "/readyz"})
		if r.status == http.StatusOK || time.Now().After(deadline) {
			break
		}
		// The pace of the poll: readiness is the consumers' claims (locks in
		// PostgreSQL, statuses in memory), which signal nothing.
		time.Sleep(20 * time.Millisecond)
	}
	expect(t, r, http.StatusOK, "")
	r.json(t, &ready)
	if ready.Status != "ready" || len(ready.Checks) == 0 {
		t.Fatalf("readyz: %s", r.body)
	}
	for name, status := range ready.Checks {
		if status != "ok" {
			t.Fatalf("readyz check %s: %s", name, status)
		}
	}
	for _, name := range []string{"database", "event_store", "projectors"} {
		if _, ok := ready.Checks[name]; !ok {
			t.Fatalf("readyz has no %s check: %s", name, r.body)
		}
	}

	// Some traffic, then the metrics (projection lag is measured every second).
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "metrics")
	e.inbox(a.agent)
	var body string
	deadline = time.Now().Add(5 * time.Second)
	for {
		r = e.do(req{method: "GET", path: "/metrics"})
		expect(t, r, http.StatusOK, "")
		body = string(r.body)
		if strings.Contains(body, "smsinbox_projection_lag_events{") || time.Now().After(deadline) {
			break
		}
		// The pace of the poll: the runner sets the lag gauge on a ticker of
		// its own, and a gauge signals nothing when it is set.
		time.Sleep(50 * time.Millisecond)
	}
	for _, want := range []string{
		"smsinbox_http_requests_total{",
		`route="/api/threads"`,
		`route="/webhooks/twilio/sms"`,
		`smsinbox_projection_lag_events{projector="inbox"}`,
		`smsinbox_projection_lag_events{projector="directory"}`,
		`smsinbox_commands_total{command="CreateCompany",outcome="ok"} 1`,
		// The webhook's use case is logged and measured as every other is.
		`smsinbox_commands_total{command="InboundText",outcome="ok"}`,
	} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics has no %s", want)
		}
	}
	// Route templates, not IDs, label the series.
	if strings.Contains(body, a.ID) {
		t.Fatalf("/metrics holds a company ID")
	}
}

func TestRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "x")
	th := e.mustThread(a.agent, cust1)
	type wrongMethod struct {
		req
		allow string
	}
	for _, r := range []wrongMethod{
		{req{method: "POST", path: "/api/threads"}, "GET"},
		{req{method: "DELETE", path: "/api/threads/" + th.ID}, "GET"},
		{req{method: "GET", path: "/api/threads/" + th.ID + "/read"}, "POST"},
		{req{method: "GET", path: twilio.InboundPath}, "POST"},
		{req{method: "POST", path: "/healthz"}, "GET"},
		{req{method: "GET", path: "/api/admin/companies"}, "POST"},
		{req{method: "DELETE", path: "/api/admin/companies/" + a.ID}, "PATCH, GET"},
	} {
		r.token = a.agent
		if resp := e.do(r.req); resp.status != http.StatusMethodNotAllowed || resp.errorCode() != "method_not_allowed" {
			t.Errorf("%s %s: %d %s, want 405 method_not_allowed", r.method, r.path, resp.status, resp.body)
		} else if resp.header.Get("Allow") != r.allow {
			t.Errorf("%s %s: Allow %q, want %q", r.method, r.path, resp.header.Get("Allow"), r.allow)
		}
	}
	for _, p := range []string{"/api/nothing", "/nothing", "/api/threads/" + th.ID + "/explode", "/api/admin/nothing"} {
		if resp := e.do(req{method: "GET", path: p, token: a.agent}); resp.status != http.StatusNotFound || resp.errorCode() != "not_found" {
			t.Errorf("GET %s: %d %s, want 404 not_found", p, resp.status, resp.body)
		}
	}
}

// A position the read models never reach is waited for up to the bound (5 s
// in production, shortened here), then answered 503 not_ready. The request
// that would wait for ever instead is caught by the client's deadline.
func TestMinPositionAheadOfTheLog(t *testing.T) {
	t.Parallel()
	const bound = 50 * time.Millisecond
	e := newEnvWith(t, envConfig{adminToken: adminTok, configure: func(c *app.Config) { c.PositionWait = bound }})
	e.client.Timeout = time.Minute
	a := e.newTenant("Acme", numA)
	ahead := strconv.FormatUint(mustUint(t, e.head())+1000, 10)
	start := time.Now()
	r := e.do(req{method: "GET", path: "/api/threads", token: a.agent, header: minPosHeader(ahead)})
	waited := time.Since(start)
	expect(t, r, http.StatusServiceUnavailable, "not_ready")
	// A lower bound only (a timer never fires early): the request waited
	// rather than being refused at once.
	if waited < bound {
		t.Fatalf("answered after %v, before the %v bound", waited, bound)
	}
}
