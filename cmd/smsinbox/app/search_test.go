package app_test

// End-to-end tests through HTTP of the search box: words of texts (any
// order, English stemming), a customer's name, digits of a phone number;
// only the caller's company, never the hidden opt-out confirmation;
// newest first, keyset-paged; rebuilt from the log to the same answers.

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/projections"
)

type searchResult struct {
	ThreadID      string    `json:"thread_id"`
	MessageID     *string   `json:"message_id"`
	CustomerPhone string    `json:"customer_phone"`
	CustomerName  *string   `json:"customer_name"`
	Snippet       string    `json:"snippet"`
	CreatedAt     time.Time `json:"created_at"`
}

type searchPage struct {
	Results    []searchResult `json:"results"`
	NextCursor *string        `json:"next_cursor"`
}

func (e *env) searchRaw(token, query string) response {
	e.t.Helper()
	return e.do(req{method: "GET", path: "/api/search?" + query, token: token, header: minPosHeader(e.head())})
}

// search answers every result for q, following the cursor with pages of
// limit (0: the default page).
func (e *env) search(token, q string, limit int) []searchResult {
	e.t.Helper()
	var all []searchResult
	cursor := ""
	for page := 0; ; page++ {
		v := url.Values{"q": {q}}
		if limit > 0 {
			v.Set("limit", fmt.Sprint(limit))
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		r := e.searchRaw(token, v.Encode())
		expect(e.t, r, http.StatusOK, "")
		var p searchPage
		r.json(e.t, &p)
		if p.Results == nil {
			e.t.Fatalf("results is not a list: %s", r.body)
		}
		if limit > 0 && len(p.Results) > limit {
			e.t.Fatalf("page of %d results, limit %d", len(p.Results), limit)
		}
		all = append(all, p.Results...)
		if p.NextCursor == nil {
			return all
		}
		if page > 100 {
			e.t.Fatalf("the cursor never ends")
		}
		cursor = *p.NextCursor
	}
}

// snippets are the results' snippets, marked "thread:" for a thread result.
func snippets(rs []searchResult) []string {
	out := []string{}
	for _, r := range rs {
		s := r.Snippet
		if r.MessageID == nil {
			s = "thread:" + s
		}
		out = append(out, s)
	}
	return out
}

// show writes results in full, for comparing lists.
func show(rs []searchResult) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%s %s %s %s %q %s\n", r.ThreadID, deref(r.MessageID), r.CustomerPhone, deref(r.CustomerName), r.Snippet, r.CreatedAt)
	}
	return b.String()
}

func TestSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme Dental", numA)
	b := e.newTenant("Bolt Gym", numB)
	step := func() { e.clock.Advance(time.Minute) }

	e.text(numA, cust1, "I booked the appointment for Tuesday")
	step()
	e.text(numA, cust2, "Can I change my booking?")
	step()
	e.text(numB, cust3, "Booking at Bolt: only company B has this")
	step()
	e.giveConsent(a.ID, numA, cust1, true)
	e.giveConsent(a.ID, numA, cust2, true)
	th1 := e.mustThread(a.agent, cust1)
	e.mustReply(a.agent, th1.ID, "Your booking is confirmed, see you Tuesday.")
	step()
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + th1.ID + "/lead", token: a.agent,
		body: map[string]any{"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}}), http.StatusCreated, "")
	// A STOP: shown, while its hidden confirmation ("You have been
	// unsubscribed ...") is never found.
	e.text(numA, cust2, "STOP")
	step()
	if got := e.queued(a.ID, cust2); len(got) != 1 || !got[0].Hidden || !strings.Contains(got[0].Body, "unsubscribed") {
		t.Fatalf("no hidden opt-out confirmation: %+v", got)
	}
	long := strings.Repeat("Lorem ipsum dolor sit amet. ", 10) + "We must move your booking to Friday. " + strings.Repeat("Consectetur adipiscing elit. ", 10)
	e.text(numA, cust4, long)

	for _, tc := range []struct {
		name, q string
		want    []string
	}{
		{"stemming: booking finds booked", "booking", []string{
			"HEADLINE",
			"Your booking is confirmed, see you Tuesday.", "Can I change my booking?", "I booked the appointment for Tuesday"}},
		{"the long text is found by its headline", "friday", nil},
		{"every word, in any order", "Tuesday booked", []string{"Your booking is confirmed, see you Tuesday.", "I booked the appointment for Tuesday"}},
		{"every word, not any", "appointment booking", []string{"I booked the appointment for Tuesday"}},
		{"case does not matter", "TUESDAY", []string{"Your booking is confirmed, see you Tuesday.", "I booked the appointment for Tuesday"}},
		{"a customer's name: the thread, with its last text", "lovelace", []string{"thread:Your booking is confirmed, see you Tuesday."}},
		{"a full name", "Ada Lovelace", []string{"thread:Your booking is confirmed, see you Tuesday."}},
		{"4 digits of a phone number", "0187", []string{"thread:Your booking is confirmed, see you Tuesday."}},
		{"a national number", "(202) 555-0199", []string{"thread:STOP"}},
		{"3 digits: every number that has them", "555", []string{"thread:" + long[:159] + "…", "thread:STOP", "thread:Your booking is confirmed, see you Tuesday."}},
		{"2 digits are no phone query", "01", []string{}},
		{"the hidden opt-out confirmation never matches", "unsubscribed", []string{}},
		{"only its own company's texts", "Bolt", []string{}},
		{"only its own company's customers", "3125550111", []string{}},
		{"stop words only", "the", []string{}},
	} {
		got := e.search(a.agent, tc.q, 0)
		if tc.want == nil {
			continue // checked below
		}
		for i, r := range got {
			if r.MessageID != nil && r.Snippet != long && strings.Contains(r.Snippet, "move your booking to Friday") {
				got[i].Snippet = "HEADLINE"
			}
		}
		if fmt.Sprintf("%q", snippets(got)) != fmt.Sprintf("%q", tc.want) {
			t.Errorf("%s: %q found\n%q\nwant\n%q", tc.name, tc.q, snippets(got), tc.want)
		}
	}

	// A text longer than a preview shows a headline of itself around the
	// word: shorter, as plain text.
	got := e.search(a.agent, "friday", 0)
	if len(got) != 1 || !strings.Contains(got[0].Snippet, "booking to Friday") || len(got[0].Snippet) >= len(long) {
		t.Fatalf("long text: %+v", got)
	}

	// A result names its thread, message, customer and time.
	got = e.search(a.agent, "appointment", 0)
	in := e.get(a.agent, th1.ID).Messages[0]
	if len(got) != 1 || got[0].ThreadID != th1.ID || got[0].MessageID == nil || *got[0].MessageID != in.ID ||
		got[0].CustomerPhone != cust1 || got[0].CustomerName == nil || *got[0].CustomerName != "Ada Lovelace" ||
		!got[0].CreatedAt.Equal(time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)) {
		t.Fatalf("appointment: %+v", got)
	}
	// B finds its own text, and nothing of A's.
	if got := snippets(e.search(b.agent, "booking", 0)); fmt.Sprint(got) != "[Booking at Bolt: only company B has this]" {
		t.Fatalf("B found %q", got)
	}

	// Pages of one follow each other to the same list.
	whole := e.search(a.agent, "555", 0)
	if paged := e.search(a.agent, "555", 1); show(paged) != show(whole) || len(whole) != 3 {
		t.Fatalf("pages of 1:\n%s\nall at once:\n%s", show(paged), show(whole))
	}
	// Messages and a thread in one list, paged.
	e.mustReply(a.agent, th1.ID, "Ada, your booking moved")
	mixed := e.search(a.agent, "Ada", 0)
	if paged := e.search(a.agent, "Ada", 1); len(mixed) != 2 || show(paged) != show(mixed) {
		t.Fatalf("pages of 1:\n%s\nall at once:\n%s", show(paged), show(mixed))
	}

	// Rebuilt from the log, the search answers the same.
	before := map[string]string{}
	queries := []string{"booking", "Lovelace", "555", "friday", "unsubscribed"}
	for _, q := range queries {
		before[q] = show(e.search(a.agent, q, 2))
	}
	e.stopRun()
	if _, err := projections.Rebuild(context.Background(), e.pool, e.app.Store, projections.Search{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	for _, q := range queries {
		if after := show(e.searchAll(a.agent, q)); after != before[q] {
			t.Errorf("%q after a rebuild:\n%s\nbefore:\n%s", q, after, before[q])
		}
	}
}

// searchAll is search without X-Min-Position (for a stopped app).
func (e *env) searchAll(token, q string) []searchResult {
	e.t.Helper()
	var all []searchResult
	cursor := ""
	for {
		v := url.Values{"q": {q}, "limit": {"2"}}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		r := e.do(req{method: "GET", path: "/api/search?" + v.Encode(), token: token})
		expect(e.t, r, http.StatusOK, "")
		var p searchPage
		r.json(e.t, &p)
		all = append(all, p.Results...)
		if p.NextCursor == nil {
			return all
		}
		cursor = *p.NextCursor
	}
}

func TestSearchRolesAndValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := e.newTenant("Acme", numA)
	e.text(numA, cust1, "Hello")
	for role, status := range map[string]int{"admin": 200, "compliance": 200, "light": 403, "live_chat": 403} {
		expect(t, e.searchRaw(e.addUser(a.ID, role), "q=hello"), status, "")
	}
	expect(t, e.do(req{method: "GET", path: "/api/search?q=hello"}), http.StatusUnauthorized, "unauthorized")
	for _, tc := range []struct {
		query string
		code  string
	}{
		{"", "invalid_query"},
		{"q=", "invalid_query"},
		{"q=%20%21%3F", "invalid_query"},
		{"q=" + strings.Repeat("a", 201), "invalid_query"},
		{"q=%FF", "invalid_query"},
		{"q=hello&limit=0", "invalid_limit"},
		{"q=hello&limit=101", "invalid_limit"},
		{"q=hello&limit=ten", "invalid_limit"},
		{"q=hello&cursor=not-ours", "invalid_cursor"},
	} {
		expect(t, e.searchRaw(a.agent, tc.query), http.StatusBadRequest, tc.code)
	}
	expect(t, e.searchRaw(a.agent, "q=hello&limit=100"), http.StatusOK, "")
	expect(t, e.do(req{method: "POST", path: "/api/search?q=hello", token: a.agent}), http.StatusMethodNotAllowed, "method_not_allowed")
}
