package app_test

// End-to-end tests of the team inbox's assignment and notes, through HTTP
// against the whole app: POST /api/threads/{id}/assign, POST
// /api/threads/{id}/notes, GET /api/users and the thread list's assignee
// filter.

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/projections"
)

// teamThread is the part of a Thread (and its detail) the team inbox adds to.
type teamThread struct {
	ID                 string    `json:"id"`
	CustomerPhone      string    `json:"customer_phone"`
	AssigneeID         *string   `json:"assignee_id"`
	Unread             bool      `json:"unread"`
	LastActivityAt     time.Time `json:"last_activity_at"`
	LastMessagePreview string    `json:"last_message_preview"`
	Messages           []message `json:"messages"`
	Notes              []note    `json:"notes"`
}

type note struct {
	ID         string    `json:"id"`
	AuthorID   string    `json:"author_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

// team is company A with a user of every role and a customer (cust1) who
// texted, and company B with an agent and a customer (cust2) who texted.
type team struct {
	e                                *env
	a, b                             company
	admin, agent, agent2, compliance user
	light, liveChat, bAgent          user
	threadA, threadB                 string
}

func newTeam(t *testing.T) *team {
	e := newEnv(t)
	tm := &team{e: e, a: e.createCompany("Acme Dental", numA), b: e.createCompany("Bolt Gym", numB)}
	tm.admin, tm.agent, tm.agent2 = e.newUser(tm.a.ID, "admin"), e.newUser(tm.a.ID, "agent"), e.newUser(tm.a.ID, "agent")
	tm.compliance, tm.light, tm.liveChat = e.newUser(tm.a.ID, "compliance"), e.newUser(tm.a.ID, "light"), e.newUser(tm.a.ID, "live_chat")
	tm.bAgent = e.newUser(tm.b.ID, "agent")
	e.text(numA, cust1, "Is Tuesday free?")
	e.text(numB, cust2, "Can I move my class?")
	tm.threadA = e.mustThread(tm.agent.Token, cust1).ID
	tm.threadB = e.mustThread(tm.bAgent.Token, cust2).ID
	return tm
}

// assign posts {"user_id": userID} (nil: null) to thread id as token.
func (tm *team) assign(token, id string, userID *string) response {
	tm.e.t.Helper()
	return tm.e.do(req{method: "POST", path: "/api/threads/" + id + "/assign", token: token, body: map[string]any{"user_id": userID}})
}

// detail reads a thread after every write so far.
func (tm *team) detail(token, id string) teamThread {
	tm.e.t.Helper()
	return tm.e.teamDetail(token, id)
}

// teamDetail reads a thread after every write so far.
func (e *env) teamDetail(token, id string) teamThread {
	e.t.Helper()
	r := e.do(req{method: "GET", path: "/api/threads/" + id, token: token, header: minPosHeader(e.head())})
	expect(e.t, r, http.StatusOK, "")
	var th teamThread
	r.json(e.t, &th)
	return th
}

// listed are the phones of the Inbox's threads filtered by query, read
// after every write so far, walking every page of size limit.
func (tm *team) listed(token, query string, limit int) []string {
	tm.e.t.Helper()
	var out []string
	cursor := ""
	for range 100 {
		q := query + "&limit=" + strconv.Itoa(limit)
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		r := tm.e.do(req{method: "GET", path: "/api/threads?" + q, token: token, header: minPosHeader(tm.e.head())})
		expect(tm.e.t, r, http.StatusOK, "")
		var page struct {
			Threads    []teamThread `json:"threads"`
			NextCursor *string      `json:"next_cursor"`
		}
		r.json(tm.e.t, &page)
		for _, th := range page.Threads {
			out = append(out, th.CustomerPhone)
		}
		if page.NextCursor == nil {
			return out
		}
		cursor = *page.NextCursor
	}
	tm.e.t.Fatalf("more than 100 pages")
	return nil
}

func assigneeOf(th teamThread) string {
	if th.AssigneeID == nil {
		return "<none>"
	}
	return *th.AssigneeID
}

func TestAssignThread(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e

	if th := tm.detail(tm.agent.Token, tm.threadA); th.AssigneeID != nil {
		t.Fatalf("a new thread is assigned to %s", *th.AssigneeID)
	}
	// An agent assigns it to another agent.
	r := tm.assign(tm.agent.Token, tm.threadA, &tm.agent2.ID)
	expect(t, r, http.StatusOK, "")
	pos := checkPosition(t, r)
	if th := tm.detail(tm.agent.Token, tm.threadA); assigneeOf(th) != tm.agent2.ID {
		t.Fatalf("assignee %s, want %s", assigneeOf(th), tm.agent2.ID)
	}
	// Again: nothing new, the same position.
	r = tm.assign(tm.admin.Token, tm.threadA, &tm.agent2.ID)
	expect(t, r, http.StatusOK, "")
	if again := checkPosition(t, r); again != pos {
		t.Fatalf("assigning the assignee again answered %s, want %s (nothing recorded)", again, pos)
	}
	// An admin reassigns it to the compliance officer (who has Messages access).
	expect(t, tm.assign(tm.admin.Token, tm.threadA, &tm.compliance.ID), http.StatusOK, "")
	if th := tm.detail(tm.compliance.Token, tm.threadA); assigneeOf(th) != tm.compliance.ID {
		t.Fatalf("assignee %s, want %s", assigneeOf(th), tm.compliance.ID)
	}

	// Whom a thread cannot be assigned to: one answer for all.
	removed := e.newUser(tm.a.ID, "agent")
	expect(t, e.removeUser(tm.a.ID, removed.ID), http.StatusOK, "")
	for name, id := range map[string]string{
		"a light user": tm.light.ID, "a live_chat user": tm.liveChat.ID, "another company's user": tm.bAgent.ID,
		"an unknown ID": "no-such-user", "a removed user": removed.ID, "an empty ID": "",
	} {
		r := tm.assign(tm.agent.Token, tm.threadA, &id)
		expect(t, r, http.StatusBadRequest, "invalid_assignee")
		if strings.Contains(string(r.body), id) && id != "" {
			t.Errorf("%s: the answer repeats the ID: %s", name, r.body)
		}
	}
	// The assignee stayed.
	if th := tm.detail(tm.agent.Token, tm.threadA); assigneeOf(th) != tm.compliance.ID {
		t.Fatalf("a refused assignment changed the assignee to %s", assigneeOf(th))
	}

	// Bodies that name no one.
	for _, body := range []string{`{}`, `{"user_id":5}`, `{"user_id":["x"]}`} {
		r := e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/assign", token: tm.agent.Token, body: body})
		expect(t, r, http.StatusBadRequest, "invalid_request")
	}
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/assign", token: tm.agent.Token}), http.StatusBadRequest, "empty_body")
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/assign", token: tm.agent.Token, body: `{"user":null}`}), http.StatusBadRequest, "unknown_field")

	// null unassigns; twice changes nothing.
	expect(t, tm.assign(tm.agent.Token, tm.threadA, nil), http.StatusOK, "")
	if th := tm.detail(tm.agent.Token, tm.threadA); th.AssigneeID != nil {
		t.Fatalf("unassigned thread has assignee %s", *th.AssigneeID)
	}
	expect(t, tm.assign(tm.agent.Token, tm.threadA, nil), http.StatusOK, "")

	// Roles: only admin and agent assign.
	for _, u := range []user{tm.compliance, tm.light, tm.liveChat} {
		expect(t, tm.assign(u.Token, tm.threadA, &tm.agent.ID), http.StatusForbidden, "forbidden")
	}
	// Tenancy: another company's thread is 404, whoever the body names; a
	// user of the caller's company on it too.
	expect(t, tm.assign(tm.bAgent.Token, tm.threadA, &tm.bAgent.ID), http.StatusNotFound, "not_found")
	expect(t, tm.assign(tm.agent.Token, tm.threadB, &tm.agent.ID), http.StatusNotFound, "not_found")
	expect(t, tm.assign(tm.agent.Token, tm.threadB, &tm.bAgent.ID), http.StatusNotFound, "not_found")
	expect(t, tm.assign(tm.agent.Token, "not-a-uuid", &tm.agent.ID), http.StatusNotFound, "not_found")
	for _, id := range []string{"no-such-user", tm.light.ID} {
		expect(t, tm.assign(tm.agent.Token, tm.threadB, &id), http.StatusNotFound, "not_found")
	}
	// A body that names no one is malformed, whatever the thread.
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + tm.threadB + "/assign", token: tm.agent.Token, body: `{"user_id":5}`}), http.StatusBadRequest, "invalid_request")
	if th := tm.detail(tm.bAgent.Token, tm.threadB); th.AssigneeID != nil {
		t.Fatalf("company B's thread was assigned to %s", *th.AssigneeID)
	}
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/assign", body: map[string]any{"user_id": nil}}), http.StatusUnauthorized, "unauthorized")

	// Each change is an event of the conversation, by its user.
	types := []string{}
	for rec, err := range e.app.Store.ReadStream(context.Background(), conversation.StreamID(tm.a.ID, cust1), 0) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, rec.Type)
	}
	want := []string{"MessageReceived", "ThreadAssigned", "ThreadAssigned", "ThreadUnassigned"}
	if !slices.Equal(types, want) {
		t.Fatalf("conversation events %v, want %v", types, want)
	}
}

func TestThreadListAssigneeFilter(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	// Seven threads: cust1 and three more are the agent's, two agent2's, one no one's.
	others := []string{cust3, cust4, cust5, "+13035550144", "+14045550155", "+15125550166"}
	for i, c := range others {
		e.clock.Advance(time.Minute)
		e.text(numA, c, "hello "+strconv.Itoa(i))
	}
	ids := map[string]string{cust1: tm.threadA}
	for _, c := range others {
		ids[c] = e.mustThread(tm.agent.Token, c).ID
	}
	for _, c := range []string{cust1, cust3, cust4, cust5} {
		expect(t, tm.assign(tm.admin.Token, ids[c], &tm.agent.ID), http.StatusOK, "")
	}
	for _, c := range others[3:5] {
		expect(t, tm.assign(tm.admin.Token, ids[c], &tm.agent2.ID), http.StatusOK, "")
	}
	// Newest activity first, paged 2 at a time: the filter keeps the order and the paging.
	mine := []string{cust5, cust4, cust3, cust1}
	cases := []struct {
		name, token, query string
		want               []string
	}{
		{"me (the agent)", tm.agent.Token, "assignee=me", mine},
		{"me (agent2)", tm.agent2.Token, "assignee=me", []string{others[4], others[3]}},
		{"me (the admin, who has none)", tm.admin.Token, "assignee=me", nil},
		{"unassigned", tm.agent.Token, "assignee=unassigned", []string{others[5]}},
		{"a user", tm.compliance.Token, "assignee=" + tm.agent.ID, mine},
		{"all", tm.agent.Token, "assignee=all", []string{others[5], others[4], others[3], cust5, cust4, cust3, cust1}},
		{"no filter", tm.agent.Token, "folder=inbox", []string{others[5], others[4], others[3], cust5, cust4, cust3, cust1}},
		{"another company's user", tm.agent.Token, "assignee=" + tm.bAgent.ID, nil},
		{"archived and mine", tm.agent.Token, "folder=archived&assignee=me", nil},
	}
	for _, c := range cases {
		if got := tm.listed(c.token, c.query, 2); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// Archived threads keep their assignee and are filtered in their folder.
	e.command(tm.agent.Token, ids[cust3], "archive")
	if got := tm.listed(tm.agent.Token, "folder=archived&assignee=me", 2); !slices.Equal(got, []string{cust3}) {
		t.Errorf("archived and mine: %v", got)
	}
	if got := tm.listed(tm.agent.Token, "assignee=me", 2); !slices.Equal(got, []string{cust5, cust4, cust1}) {
		t.Errorf("inbox and mine after archiving: %v", got)
	}
	// Company B sees none of A's threads whatever it filters on.
	if got := tm.listed(tm.bAgent.Token, "assignee="+tm.agent.ID, 2); len(got) != 0 {
		t.Errorf("B filtering on A's agent: %v", got)
	}
	if got := tm.listed(tm.bAgent.Token, "assignee=unassigned", 2); !slices.Equal(got, []string{cust2}) {
		t.Errorf("B's unassigned: %v", got)
	}
}

// A staff reply to an unassigned thread assigns it to the sender, in the
// reply's own append; a reply to an assigned thread changes nothing.
func TestReplyAssignsAnUnassignedThread(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	e.giveConsent(tm.a.ID, numA, cust1, true)

	e.mustReply(tm.agent.Token, tm.threadA, "Tuesday at 10 works.")
	if th := tm.detail(tm.agent.Token, tm.threadA); assigneeOf(th) != tm.agent.ID {
		t.Fatalf("after the agent's reply the assignee is %s, want %s", assigneeOf(th), tm.agent.ID)
	}
	e.mustReply(tm.agent2.Token, tm.threadA, "See you then.")
	if th := tm.detail(tm.agent.Token, tm.threadA); assigneeOf(th) != tm.agent.ID {
		t.Fatalf("a reply to an assigned thread reassigned it to %s", assigneeOf(th))
	}
	expect(t, tm.assign(tm.admin.Token, tm.threadA, nil), http.StatusOK, "")
	e.mustReply(tm.agent2.Token, tm.threadA, "Anything else?")
	if th := tm.detail(tm.agent.Token, tm.threadA); assigneeOf(th) != tm.agent2.ID {
		t.Fatalf("after agent2's reply to the unassigned thread the assignee is %s", assigneeOf(th))
	}
	// The assignment rode on the reply's append: the queued text and its
	// assignment are next to each other, the assignment by the sender.
	var types []string
	var last conversation.ThreadAssigned
	for rec, err := range e.app.Store.ReadStream(context.Background(), conversation.StreamID(tm.a.ID, cust1), 0) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, rec.Type)
		if rec.Type == conversation.TypeThreadAssigned {
			ev, err := conversation.Decode(rec.Type, rec.Data)
			if err != nil {
				t.Fatal(err)
			}
			last = ev.(conversation.ThreadAssigned)
		}
	}
	want := []string{"MessageReceived", "OutboundMessageQueued", "ThreadAssigned", "OutboundMessageQueued", "ThreadUnassigned", "OutboundMessageQueued", "ThreadAssigned"}
	var got []string
	for _, typ := range types {
		if strings.HasPrefix(typ, "OutboundSend") || typ == "OutboundMessageSent" || typ == "OutboundMessageStatusChanged" {
			continue // the sender's progress, interleaved
		}
		got = append(got, typ)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if last.AssigneeID != tm.agent2.ID || last.By != tm.agent2.ID || last.ReplyID.String() == "" {
		t.Fatalf("reply's assignment %+v", last)
	}
}

// A removed user's threads become unassigned (by the reactor).
func TestRemovedUsersThreadsBecomeUnassigned(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	e.text(numA, cust3, "me too")
	other := e.mustThread(tm.agent.Token, cust3).ID
	expect(t, tm.assign(tm.admin.Token, tm.threadA, &tm.agent2.ID), http.StatusOK, "")
	expect(t, tm.assign(tm.admin.Token, other, &tm.agent.ID), http.StatusOK, "")

	r := e.removeUser(tm.a.ID, tm.agent2.ID)
	expect(t, r, http.StatusOK, "")
	removal, err := strconv.ParseUint(checkPosition(t, r), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the reactor to have handled the removal, then for the read models.
	reactor := projections.Progress{Pool: e.pool, Names: []string{projections.UnassignRemovedReactorName}, Notifier: e.app.Notifier}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := reactor.WaitFor(ctx, eventstore.Position(removal)); err != nil {
		t.Fatalf("the reactor did not pass the removal: %v", err)
	}
	if th := tm.detail(tm.agent.Token, tm.threadA); th.AssigneeID != nil {
		t.Fatalf("the removed user's thread is still assigned to %s", *th.AssigneeID)
	}
	if th := tm.detail(tm.agent.Token, other); assigneeOf(th) != tm.agent.ID {
		t.Fatalf("another user's thread lost its assignee: %s", assigneeOf(th))
	}
	if got := tm.listed(tm.agent.Token, "assignee=unassigned", 10); !slices.Equal(got, []string{cust1}) {
		t.Fatalf("unassigned after the removal: %v", got)
	}
	evs := conversationEvents[conversation.ThreadUnassigned](e, tm.a.ID, cust1, conversation.TypeThreadUnassigned)
	if len(evs) != 1 || evs[0].Reason != conversation.UnassignedUserRemoved || evs[0].Previous != tm.agent2.ID {
		t.Fatalf("unassignments %+v", evs)
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	e.command(tm.agent.Token, tm.threadA, "read")
	before := tm.detail(tm.agent.Token, tm.threadA)

	e.clock.Advance(time.Hour)
	r := e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/notes", token: tm.agent.Token, body: map[string]any{"body": "She prefers mornings."}})
	expect(t, r, http.StatusCreated, "")
	checkPosition(t, r)
	var added struct {
		NoteID string `json:"note_id"`
	}
	r.json(t, &added)
	e.clock.Advance(time.Minute)
	longest := strings.Repeat("é", 2000)
	expect(t, e.do(req{method: "POST", path: "/api/threads/" + tm.threadA + "/notes", token: tm.admin.Token, body: map[string]any{"body": longest}}), http.StatusCreated, "")

	th := tm.detail(tm.compliance.Token, tm.threadA)
	if len(th.Notes) != 2 {
		t.Fatalf("notes %+v", th.Notes)
	}
	n := th.Notes[0]
	if n.ID != added.NoteID || n.AuthorID != tm.agent.ID || n.AuthorName != "A agent" || n.Body != "She prefers mornings." ||
		!n.CreatedAt.Equal(e.clock.Now().Add(-time.Minute)) {
		t.Fatalf("first note %+v", n)
	}
	if th.Notes[1].Body != longest || th.Notes[1].AuthorID != tm.admin.ID {
		t.Fatalf("second note by %s, %d characters", th.Notes[1].AuthorID, len([]rune(th.Notes[1].Body)))
	}
	// Not a message: the thread reads as before (unread, activity, preview, messages).
	if th.Unread != before.Unread || !th.LastActivityAt.Equal(before.LastActivityAt) ||
		th.LastMessagePreview != before.LastMessagePreview || len(th.Messages) != len(before.Messages) {
		t.Fatalf("a note changed the thread: before %+v after %+v", before, th)
	}
	listed, _ := threadByPhone(e.inbox(tm.agent.Token), cust1)
	if listed.Unread || listed.LastMessagePreview != "Is Tuesday free?" || !listed.LastActivityAt.Equal(before.LastActivityAt) {
		t.Fatalf("the list shows the note: %+v", listed)
	}
	// Never in an export; never queued as a text.
	for _, path := range []string{"/api/threads/" + tm.threadA + "/export.csv", "/api/messages/export.csv"} {
		r, rows := e.export(tm.agent.Token, path)
		if strings.Contains(string(r.body), "mornings") || len(rows) != 1 {
			t.Fatalf("%s shows the note (%d rows): %s", path, len(rows), r.body)
		}
	}
	if q := e.queued(tm.a.ID, cust1); len(q) != 0 {
		t.Fatalf("texts queued: %+v", q)
	}
	// Company B reads its own thread without them.
	if th := tm.detail(tm.bAgent.Token, tm.threadB); len(th.Notes) != 0 {
		t.Fatalf("B's thread has notes %+v", th.Notes)
	}
}

func TestNoteRefusals(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	post := func(token, id string, body any) response {
		return e.do(req{method: "POST", path: "/api/threads/" + id + "/notes", token: token, body: body})
	}
	for name, body := range map[string]any{
		"empty": map[string]any{"body": ""}, "blank": map[string]any{"body": " \n\t"},
		"2,001 characters": map[string]any{"body": strings.Repeat("x", 2001)}, "no body field": map[string]any{},
		"null": map[string]any{"body": nil},
	} {
		if r := post(tm.agent.Token, tm.threadA, body); r.status != http.StatusBadRequest || r.errorCode() != "invalid_request" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	expect(t, post(tm.agent.Token, tm.threadA, `{"body":5}`), http.StatusBadRequest, "invalid_field")
	expect(t, post(tm.agent.Token, tm.threadA, `{"body":"x","pinned":true}`), http.StatusBadRequest, "unknown_field")
	expect(t, post(tm.agent.Token, tm.threadA, nil), http.StatusBadRequest, "empty_body")
	for _, u := range []user{tm.compliance, tm.light, tm.liveChat} {
		expect(t, post(u.Token, tm.threadA, map[string]any{"body": "x"}), http.StatusForbidden, "forbidden")
	}
	expect(t, post(tm.agent.Token, tm.threadB, map[string]any{"body": "x"}), http.StatusNotFound, "not_found")
	expect(t, post(tm.bAgent.Token, tm.threadA, map[string]any{"body": "x"}), http.StatusNotFound, "not_found")
	expect(t, post("", tm.threadA, map[string]any{"body": "x"}), http.StatusUnauthorized, "unauthorized")
	if th := tm.detail(tm.agent.Token, tm.threadA); len(th.Notes) != 0 {
		t.Fatalf("a refused note was recorded: %+v", th.Notes)
	}
}

func TestListUsers(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	e := tm.e
	removed := e.newUser(tm.a.ID, "agent")
	r := e.removeUser(tm.a.ID, removed.ID)
	expect(t, r, http.StatusOK, "")
	type listedUser struct {
		ID, Name, Role string
		Assignable     bool
	}
	var answer struct {
		Users []listedUser `json:"users"`
	}
	for _, u := range []user{tm.admin, tm.agent, tm.compliance} {
		r := e.do(req{method: "GET", path: "/api/users", token: u.Token, header: minPosHeader(e.head())})
		expect(t, r, http.StatusOK, "")
		r.json(t, &answer)
		var ids []string
		for _, lu := range answer.Users {
			ids = append(ids, lu.ID)
			if lu.Name == "" || lu.Role == "" {
				t.Errorf("user %+v has no name or role", lu)
			}
			if want := lu.Role == "admin" || lu.Role == "agent" || lu.Role == "compliance"; lu.Assignable != want {
				t.Errorf("user %+v: assignable %v, want %v", lu, lu.Assignable, want)
			}
		}
		want := []string{tm.admin.ID, tm.agent.ID, tm.agent2.ID, tm.compliance.ID, tm.light.ID, tm.liveChat.ID}
		slices.Sort(ids)
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("users %v, want the company's current ones %v", ids, want)
		}
		if strings.Contains(string(r.body), tm.bAgent.ID) || strings.Contains(string(r.body), removed.ID) {
			t.Fatalf("A's list names B's user or the removed one: %s", r.body)
		}
	}
	for _, u := range []user{tm.light, tm.liveChat} {
		expect(t, e.do(req{method: "GET", path: "/api/users", token: u.Token}), http.StatusForbidden, "forbidden")
	}
	expect(t, e.do(req{method: "GET", path: "/api/users"}), http.StatusUnauthorized, "unauthorized")
}

// The live stream carries assignment changes: the thread's frame shows its
// new assignee.
func TestLiveAssignment(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	s := tm.e.events(tm.agent.Token, "", nil)
	s.start()
	expect(t, tm.assign(tm.admin.Token, tm.threadA, &tm.agent2.ID), http.StatusOK, "")
	s.until("the assignment's frame", func(f sseFrame) bool {
		return f.Event == "thread" && strings.Contains(f.Data, `"assignee_id":"`+tm.agent2.ID+`"`)
	})
	expect(t, tm.assign(tm.admin.Token, tm.threadA, nil), http.StatusOK, "")
	s.until("the unassignment's frame", func(f sseFrame) bool {
		return f.Event == "thread" && strings.Contains(f.Data, `"assignee_id":null`) && strings.Contains(f.Data, tm.threadA)
	})
}
