package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/audit"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/lead"
	"github.com/smsinbox/smsinbox/domain/phone"
)

var cust = phone.MustParse("+1 312 555 0111", "")

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// textLog is a QueueAutomatedText handler that records what it is asked
// to queue.
type textLog struct {
	mu    sync.Mutex
	texts []commands.QueueAutomatedText
	fail  error
}

func (l *textLog) Handle(_ context.Context, t commands.QueueAutomatedText) (eventstore.Position, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return 0, l.fail
	}
	l.texts = append(l.texts, t)
	return 0, nil
}

func (l *textLog) kinds() []consent.AutomatedText {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []consent.AutomatedText
	for _, t := range l.texts {
		out = append(out, t.Kind)
	}
	return out
}

// consentEnv is a company (Acme, numA) on a store, with the consent use cases.
type consentEnv struct {
	*handlers
	pool    *pgxpool.Pool // the store's database, for newConsentEnvOnPostgres only
	company string
	texts   *textLog
	inbound *commands.ReceiveInboundHandler
	form    *commands.SubmitFormHandler
	n       int
}

func newConsentEnv(t *testing.T) *consentEnv { return consentEnvOn(t, newStore(t)) }

// newConsentEnvOnPostgres is newConsentEnv on the PostgreSQL store, for the
// tests that reach into its table.
func newConsentEnvOnPostgres(t *testing.T) *consentEnv {
	t.Helper()
	pool := pgtest.NewPool(t)
	store, err := pgstore.New(context.Background(), pool, pgstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := consentEnvOn(t, store)
	e.pool = pool
	return e
}

func consentEnvOn(t *testing.T, store eventstore.Store) *consentEnv {
	t.Helper()
	h := handlersOn(store)
	clock := fixedClock(&h.now)
	e := &consentEnv{handlers: h, texts: &textLog{}}
	e.company = h.mustCreate(t, "Acme", numA).Company.ID
	e.inbound = commands.NewReceiveInboundHandler(commands.ReceiveInboundDeps{Store: store, Now: clock, Logger: discard(),
		Route: func(ctx context.Context, n phone.Number) (string, bool, error) {
			return commands.RouteNumber(ctx, store, n)
		},
		Texts: e.texts, CancelUnsent: commands.NewCancelUnsentHandler(store)})
	e.form = commands.NewSubmitFormHandler(store, clock, e.texts)
	return e
}

// text delivers an inbound text from cust to number (OptOutType optOut).
func (e *consentEnv) text(t *testing.T, to phone.Number, body, optOut string) (string, commands.InboundResult) {
	t.Helper()
	e.n++
	sid := fmt.Sprintf("SM%032d", e.n)
	res, err := e.inbound.Handle(context.Background(), commands.InboundText{
		MessageSID: sid, From: string(cust), To: string(to), Body: body, OptOutType: optOut,
	})
	if err != nil {
		t.Fatalf("inbound %q: %v", body, err)
	}
	return sid, res
}

func (e *consentEnv) submit(t *testing.T, optIn bool) commands.FormResult {
	t.Helper()
	res, err := e.form.Handle(context.Background(), commands.SubmitForm{
		CompanyID: e.company, Phone: cust, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		OptIn: optIn, App: "text_us_now", IP: "203.0.113.9", UserAgent: "Mozilla/5.0", Actor: "user:u1",
	})
	if err != nil {
		t.Fatalf("form: %v", err)
	}
	return res
}

func (e *consentEnv) events(t *testing.T) []eventstore.RecordedEvent {
	t.Helper()
	var out []eventstore.RecordedEvent
	for rec, err := range e.store.ReadStream(context.Background(), consent.StreamID(e.company, cust), 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

func (e *consentEnv) types(t *testing.T) string {
	t.Helper()
	var s []string
	for _, rec := range e.events(t) {
		s = append(s, rec.Type)
	}
	return strings.Join(s, " ")
}

func (e *consentEnv) audit(t *testing.T, at time.Time) audit.Report {
	t.Helper()
	a, err := audit.Consent(context.Background(), e.store, e.company, cust, at)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	return a
}

func (e *consentEnv) state(t *testing.T) consent.State {
	t.Helper()
	s, err := commands.LoadConsent(context.Background(), e.store, consent.StreamID(e.company, cust))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDoubleOptIn(t *testing.T) {
	e := newConsentEnv(t)
	res := e.submit(t, true)
	if res.Consent != consent.StatusPending || res.LeadID != lead.ID(e.company, cust) || res.LeadID.Version() != 5 {
		t.Fatalf("form: %+v", res)
	}
	if got := e.texts.kinds(); len(got) != 1 || got[0] != consent.TextConfirmationRequest {
		t.Fatalf("texts %v, want the confirmation request", got)
	}
	req := e.texts.texts[0]
	if req.Hidden || req.Customer != cust || req.CompanyID != e.company || !strings.HasPrefix(req.Body, "Acme: Reply YES") {
		t.Fatalf("confirmation request %+v", req)
	}
	e.now = e.now.Add(time.Minute)
	e.text(t, numA, " yes! ", "")
	if s := e.state(t); s.Status != consent.StatusYes || s.MessagingNumber != numA {
		t.Fatalf("after YES: %+v", s)
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed" {
		t.Fatalf("events %s", got)
	}
	if len(e.texts.kinds()) != 1 {
		t.Fatalf("YES queued a text: %v", e.texts.kinds())
	}
	// The form was kept in the lead's stream.
	var forms []string
	for rec, err := range e.store.ReadStream(context.Background(), lead.StreamID(e.company, cust), 0) {
		if err != nil {
			t.Fatal(err)
		}
		forms = append(forms, rec.Type+" "+string(rec.Data))
	}
	// The form, then the lead it created.
	if len(forms) != 2 || !strings.Contains(forms[0], `"email":"ada@example.com"`) || !strings.Contains(forms[0], `"opt_in":true`) ||
		!strings.HasPrefix(forms[1], "LeadCreated ") || !strings.Contains(forms[1], `"source":"app:text_us_now"`) {
		t.Fatalf("lead stream %v", forms)
	}
}

func TestFormAgainWhilePendingQueuesTheSameRequest(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.now = e.now.Add(time.Minute)
	res := e.submit(t, true)
	if res.Consent != consent.StatusPending || e.types(t) != "ConsentRequested" {
		t.Fatalf("second form: %+v, events %s", res, e.types(t))
	}
	// Queued again under the same message ID: the queue records it once.
	if len(e.texts.texts) != 2 || e.texts.texts[0].MessageID != e.texts.texts[1].MessageID {
		t.Fatalf("texts %+v", e.texts.texts)
	}
	// Without the box ticked: nothing asked, consent as it was.
	res = e.submit(t, false)
	if res.Consent != consent.StatusPending || len(e.texts.texts) != 2 {
		t.Fatalf("form without opt-in: %+v, %d texts", res, len(e.texts.texts))
	}
}

func TestFormWithMessagesOffAsksNothing(t *testing.T) {
	e := newConsentEnv(t)
	off := false
	if _, err := e.update.Handle(context.Background(), commands.UpdateCompany{CompanyID: e.company, SMSEnabled: &off}); err != nil {
		t.Fatal(err)
	}
	res := e.submit(t, true)
	if res.Consent != consent.StatusNo || len(e.texts.texts) != 0 || e.types(t) != "" {
		t.Fatalf("form with Messages off: %+v, texts %v, events %q", res, e.texts.kinds(), e.types(t))
	}
	// STOP is honoured all the same, and confirmed.
	e.submit(t, false)
	e.text(t, numA, "STOP", "")
	if e.types(t) != "OptedOut" {
		t.Fatalf("events %q", e.types(t))
	}
}

func TestFormValidation(t *testing.T) {
	e := newConsentEnv(t)
	good := commands.SubmitForm{CompanyID: e.company, Phone: cust, FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", OptIn: true, App: "text_us_now", Actor: "user:u1"}
	for _, tc := range []struct {
		name   string
		change func(*commands.SubmitForm)
		target error
	}{
		{"no first name", func(f *commands.SubmitForm) { f.FirstName = "  " }, lead.ErrInvalidForm},
		{"no last name", func(f *commands.SubmitForm) { f.LastName = "" }, lead.ErrInvalidForm},
		{"long name", func(f *commands.SubmitForm) { f.FirstName = strings.Repeat("a", 101) }, lead.ErrInvalidForm},
		{"control character", func(f *commands.SubmitForm) { f.LastName = "Love\x07lace" }, lead.ErrInvalidForm},
		{"no email", func(f *commands.SubmitForm) { f.Email = "" }, lead.ErrInvalidEmail},
		{"no at", func(f *commands.SubmitForm) { f.Email = "ada.example.com" }, lead.ErrInvalidEmail},
		{"no domain dot", func(f *commands.SubmitForm) { f.Email = "ada@localhost" }, lead.ErrInvalidEmail},
		{"display name", func(f *commands.SubmitForm) { f.Email = "Ada <ada@example.com>" }, lead.ErrInvalidEmail},
		{"two ats", func(f *commands.SubmitForm) { f.Email = "ada@b@example.com" }, lead.ErrInvalidEmail},
		{"space", func(f *commands.SubmitForm) { f.Email = "a da@example.com" }, lead.ErrInvalidEmail},
		{"bad domain", func(f *commands.SubmitForm) { f.Email = "ada@exa_mple.com" }, lead.ErrInvalidEmail},
		{"no app", func(f *commands.SubmitForm) { f.App = "" }, lead.ErrInvalidForm},
		{"odd app", func(f *commands.SubmitForm) { f.App = "text us now" }, lead.ErrInvalidForm},
		{"smsinbox's automated texts", func(f *commands.SubmitForm) { f.App = "automated" }, lead.ErrInvalidForm},
		{"smsinbox's dashboard", func(f *commands.SubmitForm) { f.App = " Dashboard " }, lead.ErrInvalidForm},
		{"bad ip", func(f *commands.SubmitForm) { f.IP = "300.1.1.1" }, lead.ErrInvalidForm},
		{"long user agent", func(f *commands.SubmitForm) { f.UserAgent = strings.Repeat("x", 513) }, lead.ErrInvalidForm},
	} {
		f := good
		tc.change(&f)
		if _, err := e.form.Handle(context.Background(), f); !errors.Is(err, tc.target) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.target)
		}
	}
	if e.types(t) != "" || len(e.texts.texts) != 0 {
		t.Fatalf("a refused form recorded %q", e.types(t))
	}
	f := good
	f.IP, f.Email = "2001:db8::1", "ada.lovelace+forms@mail.example.co.uk"
	if _, err := e.form.Handle(context.Background(), f); err != nil {
		t.Fatalf("good form: %v", err)
	}
}

func TestStopStartAndOptOutConfirmationOnce(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	sid, _ := e.text(t, numA, "Stop.", "")
	e.text(t, numA, "STOP", "") // no change: recorded, no second confirmation
	e.text(t, numA, "START", "")
	e.text(t, numA, "help", "")
	want := []consent.AutomatedText{consent.TextConfirmationRequest, consent.TextOptOutConfirmation, consent.TextResubscribed, consent.TextHelpReply}
	if got := e.texts.kinds(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("texts %v, want %v", got, want)
	}
	stop := e.texts.texts[1]
	if !stop.Hidden || stop.CorrelationID != sid || !strings.Contains(stop.Body, "unsubscribed") {
		t.Fatalf("opt-out confirmation %+v", stop)
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed OptedOut OptedOut OptedIn HelpRequested" {
		t.Fatalf("events %s", got)
	}
	if s := e.state(t); s.Status != consent.StatusYes {
		t.Fatalf("state %+v", s)
	}
}

func TestYesNeverRequestedIsAnOrdinaryMessage(t *testing.T) {
	e := newConsentEnv(t)
	e.text(t, numA, "YES", "")
	e.text(t, numA, "START", "")
	if e.types(t) != "" || len(e.texts.texts) != 0 || e.state(t).Status != consent.StatusNo {
		t.Fatalf("events %q texts %v", e.types(t), e.texts.kinds())
	}
}

func TestTwilioAnsweredSendsNothing(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	e.text(t, numA, "ARRET", twilio.OptOutStop) // a custom keyword Twilio knew
	e.text(t, numA, "START", twilio.OptOutStart)
	e.text(t, numA, "HELP", twilio.OptOutHelp)
	if got := e.texts.kinds(); len(got) != 1 {
		t.Fatalf("texts %v, want only the confirmation request", got)
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed OptedOut OptedIn HelpRequested" {
		t.Fatalf("events %s", got)
	}
}

func TestInboundRetryRecordsOnceAndQueuesAgain(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	// The queue fails: the webhook fails (Twilio delivers it again).
	e.texts.fail = errors.New("queue down")
	in := commands.InboundText{MessageSID: "SMretry", From: string(cust), To: string(numA), Body: "STOP"}
	if _, err := e.inbound.Handle(context.Background(), in); err == nil {
		t.Fatal("a failed queue did not fail the webhook")
	}
	e.texts.fail = nil
	for range 2 {
		if _, err := e.inbound.Handle(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed OptedOut" {
		t.Fatalf("events %s", got)
	}
	// Both retries queue the same message: the queue keeps it once.
	kinds := e.texts.kinds()
	if len(kinds) != 3 || kinds[1] != consent.TextOptOutConfirmation || e.texts.texts[1].MessageID != e.texts.texts[2].MessageID {
		t.Fatalf("texts %v", kinds)
	}
	// A later text supersedes it: a retry then queues nothing.
	e.text(t, numA, "START", "")
	n := len(e.texts.texts)
	if _, err := e.inbound.Handle(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	if len(e.texts.texts) != n {
		t.Fatalf("a superseded retry queued %v", e.texts.kinds()[n:])
	}
}

func TestConcurrentDuplicateWebhooks(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	in := commands.InboundText{MessageSID: "SMdup", From: string(cust), To: string(numA), Body: "YES"}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.inbound.Handle(context.Background(), in)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed" {
		t.Fatalf("events %s", got)
	}
	if a := e.audit(t, e.now); !a.Chain.Valid {
		t.Fatalf("chain %+v", a.Chain)
	}
}

func TestStopToFormerNumberAndMessagesOff(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	off := false
	if _, err := e.update.Handle(context.Background(), commands.UpdateCompany{CompanyID: e.company, SMSEnabled: &off}); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.Add(time.Hour)
	if _, err := e.change.Handle(context.Background(), commands.ChangeMessagingNumber{CompanyID: e.company, MessagingNumber: numB}); err != nil {
		t.Fatal(err)
	}
	// The lazy path: the next command voids the consent on numA first.
	e.now = e.now.Add(time.Hour)
	e.text(t, numA, "STOP", "")
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed ConsentVoided OptedOut" {
		t.Fatalf("events %s", got)
	}
	evs := e.events(t)
	stop, _ := consent.Decode(evs[3].Type, evs[3].Data)
	if ev := stop.(consent.OptedOut); ev.MessagingNumber != numB || ev.Inbound.To != numA || ev.StatusBefore != consent.StatusNo {
		t.Fatalf("STOP to the former number: %+v", ev)
	}
	// no → no: no confirmation.
	if got := e.texts.kinds(); len(got) != 1 {
		t.Fatalf("texts %v", got)
	}
}

// changeNumber changes the company's number at the env's clock and returns
// the MessagingNumberChanged event as recorded.
func (e *consentEnv) changeNumber(t *testing.T, to phone.Number) (company.MessagingNumberChanged, eventstore.RecordedEvent) {
	t.Helper()
	if _, err := e.change.Handle(context.Background(), commands.ChangeMessagingNumber{CompanyID: e.company, MessagingNumber: to}); err != nil {
		t.Fatal(err)
	}
	_, recs := read(t, e.store, company.StreamID(e.company))
	rec := recs[len(recs)-1]
	ev, err := company.Decode(rec.Type, rec.Data)
	if err != nil {
		t.Fatal(err)
	}
	return ev.(company.MessagingNumberChanged), rec
}

func TestNumberChangeVoidsConsent(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	e.now = e.now.Add(time.Hour)
	changeAt := e.now
	change, rec := e.changeNumber(t, numB)

	// Before the reactor: the audit shows the change from the company's stream.
	a := e.audit(t, changeAt.Add(time.Minute))
	if a.StatusAt != "no" || a.MessagingNumberAt != numB || len(a.Events) != 3 {
		t.Fatalf("audit before the reactor: %+v", a)
	}
	if x := a.Events[2]; x.Type != "MessagingNumberChanged" || x.StatusBefore != "yes" || x.StatusAfter != "no" ||
		x.Actor != "system" || !x.OccurredAt.Equal(changeAt) || x.MessagingNumber != string(numB) {
		t.Fatalf("number change entry %+v", x)
	}
	if a := e.audit(t, changeAt.Add(-time.Second)); a.StatusAt != "yes" || a.MessagingNumberAt != numA {
		t.Fatalf("before the change: %s on %s", a.StatusAt, a.MessagingNumberAt)
	}

	// The reactor's void, twice (redelivery): one ConsentVoided at the change's time.
	e.now = e.now.Add(time.Hour)
	for range 2 {
		if _, err := commands.NewVoidConsentOnNumberChangeHandler(e.store).Handle(context.Background(), commands.VoidConsentOnNumberChange{Change: change, CausedBy: rec.ID, Customer: cust}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed ConsentVoided" {
		t.Fatalf("events %s", got)
	}
	a = e.audit(t, e.now)
	if len(a.Events) != 3 || !a.Chain.Valid {
		t.Fatalf("audit after the reactor: %+v", a)
	}
	if x := a.Events[2]; x.Type != consent.TypeConsentVoided || x.StatusBefore != "yes" || x.StatusAfter != "no" ||
		x.Actor != "system" || !x.OccurredAt.Equal(changeAt) || !strings.Contains(string(x.Evidence), string(numA)) {
		t.Fatalf("void entry %+v %s", x, x.Evidence)
	}
	if s := e.state(t); s.Status != consent.StatusNo || s.MessagingNumber != numB {
		t.Fatalf("state %+v", s)
	}
	// A late reaction to an older change leaves a consent on a newer number alone.
	e.changeNumber(t, numC)
	e.text(t, numC, "hello", "") // any command voids a consent on a former number
	e.submit(t, true)
	if _, err := commands.NewVoidConsentOnNumberChangeHandler(e.store).Handle(context.Background(), commands.VoidConsentOnNumberChange{Change: change, CausedBy: rec.ID, Customer: cust}); err != nil {
		t.Fatal(err)
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed ConsentVoided ConsentVoided ConsentRequested" {
		t.Fatalf("events %s", got)
	}
	a = e.audit(t, e.now)
	if len(a.Events) != 5 || len(a.MessagingNumbers) != 3 || a.StatusAt != "pending" || a.MessagingNumberAt != numC {
		t.Fatalf("audit %+v", a)
	}
}

func TestAuditEqualsConsentEvents(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.now = e.now.Add(time.Minute)
	e.text(t, numA, "YES", "")
	e.now = e.now.Add(time.Minute)
	sid, _ := e.text(t, numA, "STOP", "")
	e.now = e.now.Add(time.Minute)
	e.text(t, numA, "HELP", "")
	e.now = e.now.Add(time.Minute)
	e.text(t, numA, "START", "")

	a := e.audit(t, e.now)
	recs := e.events(t)
	if len(a.Events) != len(recs) || !a.Chain.Valid || a.Chain.Length != len(recs) || a.Chain.BrokenAt != nil {
		t.Fatalf("audit %d entries, chain %+v; %d events", len(a.Events), a.Chain, len(recs))
	}
	for i, rec := range recs {
		ev, _ := consent.Decode(rec.Type, rec.Data)
		c := ev.Base()
		x := a.Events[i]
		if x.Type != rec.Type || !x.OccurredAt.Equal(rec.OccurredAt) || x.StatusBefore != c.StatusBefore.String() ||
			x.StatusAfter != c.StatusAfter.String() || x.MessagingNumber != string(c.MessagingNumber) || x.Actor != c.Actor ||
			x.EventID != rec.ID || x.StreamVersion != rec.Version {
			t.Errorf("entry %d %+v, event %s %+v", i, x, rec.Type, c)
		}
		ev2, _ := json.Marshal(ev.Evidence())
		if string(x.Evidence) != string(ev2) {
			t.Errorf("entry %d evidence %s, want %s", i, x.Evidence, ev2)
		}
	}
	form := a.Events[0]
	if form.Actor != "user:u1" || !strings.Contains(string(form.Evidence), `"app":"text_us_now"`) ||
		!strings.Contains(string(form.Evidence), `"ip":"203.0.113.9"`) || !strings.Contains(string(form.Evidence), `"user_agent":"Mozilla/5.0"`) {
		t.Errorf("form entry %+v %s", form, form.Evidence)
	}
	stop := a.Events[2]
	if stop.AutomatedText == nil || stop.AutomatedText.Kind != "opt_out_confirmation" || stop.AutomatedText.ShownInThread ||
		!strings.Contains(stop.AutomatedText.Text, "unsubscribed") || stop.AutomatedText.TwilioSID != nil ||
		!strings.Contains(string(stop.Evidence), sid) || stop.Actor != "customer:"+string(cust) {
		t.Errorf("opt-out entry %+v", stop)
	}
	// Status at instants: before anything, at each step, between steps.
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{t0.Add(-time.Nanosecond), "no"}, {t0, "pending"}, {t0.Add(90 * time.Second), "yes"},
		{t0.Add(2 * time.Minute), "no"}, {t0.Add(3*time.Minute + time.Second), "no"}, {t0.Add(4 * time.Minute), "yes"},
	} {
		if got := e.audit(t, tc.at).StatusAt; got != tc.want {
			t.Errorf("status at %v: %s, want %s", tc.at, got, tc.want)
		}
	}
}

func TestAuditFindsTheConfirmationSID(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	e.text(t, numA, "STOP", "")
	stop := e.texts.texts[1]
	// What the outbound sender records once Twilio answers.
	doc, _ := json.Marshal(map[string]any{"message_id": stop.MessageID, "twilio_sid": "SMtwilio0001", "company_id": e.company})
	if _, err := e.store.Append(context.Background(), eventstore.StreamID("conversation-"+e.company+"-"+string(cust)), eventstore.Any(),
		eventstore.EventData{ID: uuid.New(), Type: "OutboundMessageSent", SchemaVersion: 1, Data: doc, OccurredAt: e.now}); err != nil {
		t.Fatal(err)
	}
	a := e.audit(t, e.now)
	x := a.Events[2].AutomatedText
	if x == nil || x.TwilioSID == nil || *x.TwilioSID != "SMtwilio0001" || x.MessageID != stop.MessageID {
		t.Fatalf("opt-out text %+v", x)
	}
	if a.Events[0].AutomatedText.TwilioSID != nil {
		t.Fatalf("confirmation request has a SID")
	}
}

func TestHashChain(t *testing.T) {
	e := newConsentEnv(t)
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	e.text(t, numA, "STOP", "")
	recs := e.events(t)
	prev := ""
	for i, rec := range recs {
		stored := consent.StoredEvent{Type: rec.Type, Data: rec.Data, OccurredAt: rec.OccurredAt}
		link := consent.ReadLink(stored)
		if !link.Sealed || link.PrevHash != prev {
			t.Fatalf("event %d: %+v, want prev %q", i, link, prev)
		}
		if link.Hash != consent.EventHash(stored) {
			t.Fatalf("event %d hash", i)
		}
		prev = link.Hash
	}
	// The documents still decode to the domain's events.
	for _, rec := range recs {
		if _, err := consent.Decode(rec.Type, rec.Data); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTamperingIsDetected edits the PostgreSQL store's rows behind its back,
// as someone with access to the database could: it runs on PostgreSQL.
func TestTamperingIsDetected(t *testing.T) {
	for _, tc := range []struct {
		name    string
		version int
		sql     string
		broken  int
	}{
		// Edit the middle event's status: its seal no longer matches.
		{"edit data", 1, `UPDATE es_events SET data = replace(data::text, '"status_after":"yes"', '"status_after":"pending"')::json WHERE event_id = $1`, 1},
		// Reformat through jsonb (same meaning, other bytes).
		{"reformat", 0, `UPDATE es_events SET data = (data::jsonb)::json WHERE event_id = $1`, 0},
		// Edit the last event, which no successor covers: the seal shows it.
		{"edit the last", 2, `UPDATE es_events SET data = replace(data::text, 'STOP', 'HELLO')::json WHERE event_id = $1`, 2},
		// Move an event in time.
		{"edit time", 1, `UPDATE es_events SET occurred_at = occurred_at - interval '1 day' WHERE event_id = $1`, 1},
		// Not JSON that decodes any more.
		{"garble", 1, `UPDATE es_events SET data = '{"status_after": 7}' WHERE event_id = $1`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newConsentEnvOnPostgres(t)
			e.submit(t, true)
			e.text(t, numA, "YES", "")
			e.text(t, numA, "STOP", "")
			if a := e.audit(t, e.now); !a.Chain.Valid {
				t.Fatalf("chain broken before tampering: %+v", a.Chain)
			}
			target := e.events(t)[tc.version]
			tag, err := e.pool.Exec(context.Background(), tc.sql, target.ID)
			if err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("tamper: %v %v", tag, err)
			}
			a := e.audit(t, e.now)
			if a.Chain.Valid || a.Chain.BrokenAt == nil || *a.Chain.BrokenAt != tc.broken || a.Chain.Reason == "" {
				t.Fatalf("chain %+v, want broken at %d", a.Chain, tc.broken)
			}
			if len(a.Events) != 3 {
				t.Fatalf("the audit lost entries: %d", len(a.Events))
			}
		})
	}
}

func TestAuditOfAStranger(t *testing.T) {
	e := newConsentEnv(t)
	a := e.audit(t, e.now)
	if a.StatusAt != "no" || len(a.Events) != 0 || !a.Chain.Valid || a.MessagingNumberAt != numA || len(a.MessagingNumbers) != 1 {
		t.Fatalf("audit %+v", a)
	}
	if _, err := audit.Consent(context.Background(), e.store, "no-such-company", cust, e.now); !errors.Is(err, company.ErrCompanyNotFound) {
		t.Fatalf("unknown company: %v", err)
	}
}

// Twilio's 21610 on an outbound message: a carrier-level opt-out in the
// chain, recorded once however often the sender retries, no text; from a
// former number of the company, nothing.
func TestRecordCarrierOptOut(t *testing.T) {
	e := newConsentEnv(t)
	ctx := context.Background()
	e.submit(t, true)
	e.now = e.now.Add(time.Minute)
	e.text(t, numA, "YES", "")
	texts := len(e.texts.kinds())
	e.now = e.now.Add(time.Minute)
	ref := commands.MessageRef{CompanyID: e.company, Customer: cust, MessageID: uuid.New()}
	optOut := commands.NewRecordCarrierOptOutHandler(e.store, fixedClock(&e.now))
	for range 2 { // the sender's retry records nothing new
		if _, err := optOut.Handle(ctx, commands.RecordCarrierOptOut{MessageRef: ref, From: numA, ErrorCode: twilio.OptedOutCode}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.types(t); got != "ConsentRequested ConsentConfirmed OptedOut" {
		t.Fatalf("events %s", got)
	}
	recs := e.events(t)
	last := recs[len(recs)-1]
	if last.ID != consent.CarrierOptOutEventID(ref.MessageID, consent.TypeOptedOut) || last.Metadata.Actor != consent.ActorTwilio {
		t.Fatalf("event %s, actor %q", last.ID, last.Metadata.Actor)
	}
	ev, err := consent.Decode(last.Type, last.Data)
	if err != nil {
		t.Fatal(err)
	}
	out := ev.(consent.OptedOut)
	if out.Actor != consent.ActorTwilio || out.StatusBefore != consent.StatusYes || out.AutomatedText != consent.TextNone ||
		out.Carrier == nil || out.Carrier.ErrorCode != twilio.OptedOutCode || out.Carrier.MessageID != ref.MessageID {
		t.Fatalf("OptedOut %+v", out)
	}
	if s := e.state(t); s.Status != consent.StatusNo || !s.OptedOut {
		t.Fatalf("state %+v", s)
	}
	if a := e.audit(t, e.now); !a.Chain.Valid || a.Chain.Length != 3 || a.Events[2].Actor != consent.ActorTwilio {
		t.Fatalf("audit chain %+v, entries %+v", a.Chain, a.Events)
	}
	if got := len(e.texts.kinds()); got != texts {
		t.Fatalf("%d texts queued, want %d", got, texts)
	}
	// START restores consent; the old refusal, recorded again, changes nothing.
	e.now = e.now.Add(time.Minute)
	e.text(t, numA, "START", "")
	if _, err := optOut.Handle(ctx, commands.RecordCarrierOptOut{MessageRef: ref, From: numA, ErrorCode: twilio.OptedOutCode}); err != nil {
		t.Fatal(err)
	}
	if s := e.state(t); s.Status != consent.StatusYes {
		t.Fatalf("after START and a repeated refusal: %+v", s)
	}
	// A refusal of a text from a former number records nothing.
	before := e.types(t)
	e.changeNumber(t, numB)
	former := commands.MessageRef{CompanyID: e.company, Customer: cust, MessageID: uuid.New()}
	if _, err := optOut.Handle(ctx, commands.RecordCarrierOptOut{MessageRef: former, From: numA, ErrorCode: twilio.OptedOutCode}); err != nil {
		t.Fatal(err)
	}
	if got := e.types(t); got != before {
		t.Fatalf("events %s after a refusal from a former number, want %s", got, before)
	}
}
