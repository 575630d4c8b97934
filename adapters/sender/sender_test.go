package sender

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Twilio's answers that surely did not take the text, as carrierAnswer
// reads them for conversation.CarrierAnswer's rules.
func TestSurelyNotTaken(t *testing.T) {
	surelyNotTaken := func(err error) bool {
		return carrierAnswer(err).Meaning() == conversation.AnswerSurelyNotTaken
	}
	refused := &twilio.SendError{Retryable: true, Err: &net.OpError{Op: "dial", Err: errors.New("x")}}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"429", &twilio.SendError{Status: 429, Retryable: true}, true},
		{"500", &twilio.SendError{Status: 500, Code: 20500, Retryable: true}, true},
		{"503", &twilio.SendError{Status: 503, Retryable: true}, true},
		{"400", &twilio.SendError{Status: 400, Code: 21211}, false},
		{"21610", &twilio.SendError{Status: 400, Code: 21610}, false},
		{"2xx without SID", &twilio.SendError{Status: 201}, false},
		{"no answer", &twilio.SendError{Retryable: true, Err: errors.New("EOF")}, false},
		{"a dial error of another kind", refused, false},
		{"not a SendError", errors.New("x"), false},
	}
	for _, tt := range tests {
		if got := surelyNotTaken(tt.err); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	// A refused connection, as RESTSender reports it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	rest, err := twilio.NewRESTSender("AC1", "token1", "http://"+addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = rest.Send(context.Background(), twilio.Outbound{From: "+12025550123", To: "+12025550187", Body: "x"})
	if !surelyNotTaken(err) {
		t.Fatalf("connection refused: %v", err)
	}
}

func TestBackoff(t *testing.T) {
	s := &Sender{cfg: Config{Backoff: 100 * time.Millisecond, MaxBackoff: time.Second}}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, s.backoff(n))
	}
	want := []time.Duration{100, 200, 400, 800, 1000, 1000}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(got, want) {
		t.Fatalf("backoff %v, want %v", got, want)
	}
}

// refusing is a Twilio that is not there: every connection is refused.
type refusing struct{ calls int }

func (r *refusing) Send(context.Context, twilio.Outbound) (twilio.Sent, error) {
	r.calls++
	return twilio.Sent{}, &twilio.SendError{Retryable: true, Message: "connection refused",
		Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}
}

// When Twilio never takes the text, it is attempted MaxAttempts times, then
// recorded failed.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	pool := pgtest.NewPool(t)
	store, err := pgstore.New(context.Background(), pool, pgstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	create := commands.NewCreateCompanyHandler(store, time.Now, commands.RandomIDs)
	co, err := create.Handle(ctx, commands.CreateCompany{Name: "Acme", MessagingNumber: phone.MustParse("+12025550123", "")})
	if err != nil {
		t.Fatal(err)
	}
	customer := phone.MustParse("+12025550187", "")
	id := uuid.New()
	if _, err := commands.NewQueueOutboundHandler(store, time.Now).Handle(ctx, commands.QueueOutbound{CompanyID: co.Company.ID, Customer: customer,
		Body: "hi", App: "automated", Automated: true, MessageID: id}); err != nil {
		t.Fatal(err)
	}
	tw := &refusing{}
	s, err := New(Config{Pool: pool, Store: store, Twilio: tw, Steps: stepsOn(store, time.Now), MaxAttempts: 3, Backoff: time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w := newWakes()
	w.followLog(ctx, t, store)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	ref := commands.MessageRef{CompanyID: co.Company.ID, Customer: customer, MessageID: id}
	var m conversation.OutboundMessage
	w.until(t, "the text failed", func() bool {
		if m, err = commands.LoadOutbound(ctx, store, ref); err != nil {
			t.Fatal(err)
		}
		return m.Status.Final()
	})
	cancel()
	<-done
	if m.Status != conversation.StatusFailed || m.Attempts != 3 || tw.calls != 3 {
		t.Fatalf("message %+v after %d calls", m, tw.calls)
	}
	var reason string
	for rec, err := range store.ReadStream(context.Background(), conversation.StreamID(co.Company.ID, customer), 0) {
		if err != nil {
			t.Fatal(err)
		}
		if rec.Type == conversation.TypeOutboundMessageFailed {
			ev, _ := conversation.Decode(rec.Type, rec.Data)
			reason = ev.(conversation.OutboundMessageFailed).Reason
		}
	}
	if !strings.Contains(reason, "3 attempts") {
		t.Fatalf("reason %q", reason)
	}
}

// stepsOn are the send steps on store and the clock now, as the application
// wires them but for its logging and metrics.
func stepsOn(store eventstore.Store, now func() time.Time) Steps {
	return Steps{
		Start:          commands.NewStartSendHandler(store, now),
		RecordResult:   commands.NewRecordSendResultHandler(store, now),
		Defer:          commands.NewDeferSendHandler(store, now),
		OutcomeUnknown: commands.NewRecordOutcomeUnknownHandler(store, now),
		Expire:         commands.NewExpireOutcomeHandler(store, now),
		Fail:           commands.NewFailSendHandler(store, now),
		CarrierOptOut:  commands.NewRecordCarrierOptOutHandler(store, now),
	}
}
