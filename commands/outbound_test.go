package commands_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

var outCustomer = phone.MustParse("+1 312 555 0111", "")

// outboundEnv is a company (numA) and its customer on a store.
type outboundEnv struct {
	*handlers
	companyID string
}

func newOutboundEnv(t *testing.T) *outboundEnv {
	h := newHandlers(t)
	return &outboundEnv{handlers: h, companyID: h.mustCreate(t, "Acme", numA).Company.ID}
}

func (e *outboundEnv) clock() func() time.Time { return fixedClock(&e.now) }

var testConsent = commands.Decider[consent.State, consent.Event, consent.Command]{
	Evolve: consent.Evolve, Decide: consent.Decide, Decode: consent.Decode, SchemaVersion: consent.SchemaVersion,
}

// consentTo gives the customer consent yes (or only pending) on numA.
func (e *outboundEnv) consentTo(t *testing.T, yes bool) {
	t.Helper()
	stream := consent.StreamID(e.companyID, outCustomer)
	cmds := []consent.Command{consent.RequestConsent{CompanyID: e.companyID, CustomerPhone: outCustomer, MessagingNumber: numA, App: "form", At: e.now}}
	if yes {
		cmds = append(cmds, consent.ReceiveInbound{CompanyID: e.companyID, CustomerPhone: outCustomer, MessagingNumber: numA, To: numA,
			MessageSID: "SMyes", Body: "YES", At: e.now})
	}
	for _, c := range cmds {
		if _, err := commands.Execute(context.Background(), e.store, testConsent, stream, c, eventstore.Metadata{}); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *outboundEnv) request(id uuid.UUID, automated bool) commands.QueueOutbound {
	app := commands.AppDashboard
	if automated {
		app = "automated"
	}
	return commands.QueueOutbound{CompanyID: e.companyID, Customer: outCustomer, Body: "hello", App: app,
		Automated: automated, MessageID: id, Actor: "user:1"}
}

func (e *outboundEnv) ref(id uuid.UUID) commands.MessageRef {
	return commands.MessageRef{CompanyID: e.companyID, Customer: outCustomer, MessageID: id}
}

// start runs StartSend with the checks read from the store, and reports
// whether it recorded an attempt.
func (e *outboundEnv) start(ctx context.Context, now func() time.Time, id uuid.UUID) (bool, error) {
	checks, err := commands.SendChecksFor(ctx, e.store, e.ref(id))
	if err != nil {
		return false, err
	}
	ev, err := commands.NewStartSendHandler(e.store, now).Handle(ctx, commands.StartSend{MessageRef: e.ref(id), Checks: checks})
	_, ok := ev.(conversation.OutboundSendAttempted)
	return ok, err
}

func (e *outboundEnv) types(t *testing.T) []string {
	t.Helper()
	var out []string
	for rec, err := range e.store.ReadStream(context.Background(), conversation.StreamID(e.companyID, outCustomer), 0) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rec.Type)
	}
	return out
}

func (e *outboundEnv) message(t *testing.T, id uuid.UUID) conversation.OutboundMessage {
	t.Helper()
	m, err := commands.LoadOutbound(context.Background(), e.store, e.ref(id))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestQueueOutboundNeedsConsentForStaff(t *testing.T) {
	e := newOutboundEnv(t)
	ctx := context.Background()
	id := uuid.New()
	if _, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, e.request(id, false)); !errors.Is(err, consent.ErrConsentRequired) {
		t.Fatalf("no consent: %v", err)
	}
	e.consentTo(t, false)
	if _, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, e.request(id, false)); !errors.Is(err, consent.ErrConsentRequired) {
		t.Fatalf("pending: %v", err)
	}
	if got := e.types(t); len(got) != 0 {
		t.Fatalf("a refused text recorded %v", got)
	}
	// Automated texts go out whatever the consent.
	auto := uuid.New()
	if _, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, e.request(auto, true)); err != nil {
		t.Fatal(err)
	}
	e.consentTo(t, true)
	pos, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, e.request(id, false))
	if err != nil || pos == 0 {
		t.Fatalf("yes: %d %v", pos, err)
	}
	// A retry records nothing and answers the stream's position.
	again, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, e.request(id, false))
	if err != nil || again != pos {
		t.Fatalf("retry: %d %v, want %d", again, err, pos)
	}
	if got := e.types(t); !slices.Equal(got, []string{"OutboundMessageQueued", "OutboundMessageQueued"}) {
		t.Fatalf("events %v", got)
	}
	m := e.message(t, id)
	if m.From != numA || m.To != outCustomer || m.Status != conversation.StatusQueued || m.Automated || m.App != "dashboard" || !m.QueuedAt.Equal(t0) {
		t.Fatalf("message %+v", m)
	}

	// The company's messaging number changes: consent stayed with the old one.
	if _, err := e.change.Handle(ctx, commands.ChangeMessagingNumber{CompanyID: e.companyID, MessagingNumber: numB}); err != nil {
		t.Fatal(err)
	}
	if _, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, e.request(uuid.New(), false)); !errors.Is(err, consent.ErrConsentRequired) {
		t.Fatalf("after a number change: %v", err)
	}
	if _, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, commands.QueueOutbound{CompanyID: "nope", Customer: outCustomer, Body: "x", App: "a", MessageID: uuid.New()}); err == nil {
		t.Fatal("a text for a company that does not exist")
	}
}

// Two copies of the same automated text, at once, record one message.
func TestQueueOutboundConcurrentRetries(t *testing.T) {
	e := newOutboundEnv(t)
	id := uuid.New()
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(context.Background(), e.request(id, true)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := e.types(t); len(got) != 1 {
		t.Fatalf("events %v", got)
	}
}

func TestSendSteps(t *testing.T) {
	e := newOutboundEnv(t)
	ctx := context.Background()
	id := uuid.New()
	if _, err := commands.NewQueueOutboundHandler(e.store, e.clock()).Handle(ctx, e.request(id, true)); err != nil {
		t.Fatal(err)
	}
	now := e.clock()
	ok, err := e.start(ctx, now, id)
	if err != nil || !ok {
		t.Fatalf("start: %v %v", ok, err)
	}
	// In flight: no second attempt.
	if ok, err := e.start(ctx, now, id); err != nil || ok {
		t.Fatalf("second start: %v %v", ok, err)
	}
	if _, err := commands.NewDeferSendHandler(e.store, now).Handle(ctx, commands.DeferSend{MessageRef: e.ref(id), HTTPStatus: 503, Reason: "Twilio answered 503", Policy: conversation.RetryPolicy{}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.start(ctx, now, id); err != nil || !ok {
		t.Fatalf("start after a deferral: %v %v", ok, err)
	}
	if _, err := commands.NewRecordSendResultHandler(e.store, now).Handle(ctx, commands.RecordSendResult{MessageRef: e.ref(id), SID: "SM1", TwilioStatus: "queued"}); err != nil {
		t.Fatal(err)
	}
	// A sender that stopped half-way does it again: nothing new.
	if _, err := commands.NewRecordSendResultHandler(e.store, now).Handle(ctx, commands.RecordSendResult{MessageRef: e.ref(id), SID: "SM1", TwilioStatus: ""}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.start(ctx, now, id); err != nil || ok {
		t.Fatalf("start once Twilio has it: %v %v", ok, err)
	}
	if got := e.types(t); !slices.Equal(got, []string{"OutboundMessageQueued", "OutboundSendAttempted", "OutboundSendDeferred",
		"OutboundSendAttempted", "OutboundMessageSent"}) {
		t.Fatalf("events %v", got)
	}
	m := e.message(t, id)
	if m.SID != "SM1" || m.Status != conversation.StatusSending || m.Attempts != 2 || m.InFlight {
		t.Fatalf("message %+v", m)
	}
	if _, err := commands.LoadOutbound(ctx, e.store, e.ref(uuid.New())); !errors.Is(err, conversation.ErrMessageNotFound) {
		t.Fatalf("unknown message: %v", err)
	}
}

func TestStatusCallbackBeforeAndAfterTheSID(t *testing.T) {
	e := newOutboundEnv(t)
	ctx := context.Background()
	now := e.clock()
	status := commands.NewRecordStatusCallbackHandler(e.store, now)
	id := uuid.New()
	if _, err := commands.NewQueueOutboundHandler(e.store, now).Handle(ctx, e.request(id, true)); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.start(ctx, now, id); err != nil || !ok {
		t.Fatal(ok, err)
	}
	// Twilio calls back before its answer is recorded: kept, once.
	for _, st := range []string{"sent", "sent", "undelivered"} {
		sc := commands.StatusCallback{MessageSID: "SM1", MessageStatus: st}
		if st == "undelivered" {
			sc.ErrorCode = 30003
		}
		if _, err := status.Handle(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	if m := e.message(t, id); m.Status != conversation.StatusSending {
		t.Fatalf("a kept callback changed the message: %+v", m)
	}
	if _, err := commands.NewRecordSendResultHandler(e.store, now).Handle(ctx, commands.RecordSendResult{MessageRef: e.ref(id), SID: "SM1", TwilioStatus: "queued"}); err != nil {
		t.Fatal(err)
	}
	if m := e.message(t, id); m.Status != conversation.StatusUndelivered || m.ErrorCode != 30003 {
		t.Fatalf("kept callbacks not applied: %+v", m)
	}
	// Later callbacks apply directly; a final status stands.
	if _, err := status.Handle(ctx, commands.StatusCallback{MessageSID: "SM1", MessageStatus: "delivered"}); err != nil {
		t.Fatal(err)
	}
	if m := e.message(t, id); m.Status != conversation.StatusUndelivered {
		t.Fatalf("a final status moved: %+v", m)
	}
	var sidTypes []string
	for rec, err := range e.store.ReadStream(ctx, conversation.SIDStreamID("SM1"), 0) {
		if err != nil {
			t.Fatal(err)
		}
		sidTypes = append(sidTypes, rec.Type)
	}
	if !slices.Equal(sidTypes, []string{"StatusCallbackKept", "StatusCallbackKept", "MessageSIDAssigned"}) {
		t.Fatalf("SID index %v", sidTypes)
	}
	if got := e.types(t); !slices.Equal(got, []string{"OutboundMessageQueued", "OutboundSendAttempted", "OutboundMessageSent",
		"OutboundMessageStatusChanged", "OutboundMessageStatusChanged"}) {
		t.Fatalf("events %v", got)
	}
}

// Callbacks racing the recording of the SID: each is applied, whichever wins.
func TestStatusCallbacksRaceTheSID(t *testing.T) {
	for round := range 5 {
		e := newOutboundEnv(t)
		ctx := context.Background()
		now := e.clock()
		id := uuid.New()
		if _, err := commands.NewQueueOutboundHandler(e.store, now).Handle(ctx, e.request(id, true)); err != nil {
			t.Fatal(err)
		}
		if ok, err := e.start(ctx, now, id); err != nil || !ok {
			t.Fatal(ok, err)
		}
		status := commands.NewRecordStatusCallbackHandler(e.store, now)
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := commands.NewRecordSendResultHandler(e.store, now).Handle(ctx, commands.RecordSendResult{MessageRef: e.ref(id), SID: "SMrace", TwilioStatus: "queued"}); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			if _, err := status.Handle(ctx, commands.StatusCallback{MessageSID: "SMrace", MessageStatus: "delivered"}); err != nil {
				t.Error(err)
			}
		})
		wg.Wait()
		if m := e.message(t, id); m.Status != conversation.StatusDelivered {
			t.Fatalf("round %d: %+v", round, m)
		}
	}
}
