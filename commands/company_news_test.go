package commands_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// roundTrips is a pgx tracer that records each round trip a pool's
// connections make to PostgreSQL: a statement, or a batch (one round trip
// however many statements it holds). The store's announcement of appends
// to other processes (NOTIFY, on its own schedule) and its LISTEN are left
// out: they serve the other processes, not the command.
type roundTrips struct {
	mu    sync.Mutex
	trips []roundTrip
}

type roundTrip struct {
	sql  string
	args []any
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if !strings.Contains(d.SQL, "pg_notify") && !strings.Contains(d.SQL, "LISTEN") {
		r.mu.Lock()
		r.trips = append(r.trips, roundTrip{sql: d.SQL, args: d.Args})
		r.mu.Unlock()
	}
	return ctx
}

func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	r.mu.Lock()
	r.trips = append(r.trips, roundTrip{sql: "batch"})
	r.mu.Unlock()
	return ctx
}

func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// take answers the round trips since the last take: how many in all, and
// how many of them read stream.
func (r *roundTrips) take(stream eventstore.StreamID) (all, reads int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range r.trips {
		if len(t.args) > 0 && t.args[0] == string(stream) {
			reads++
		}
	}
	all = len(r.trips)
	r.trips = nil
	return all, reads
}

// newTracedConsentEnv is newConsentEnvOnPostgres on a pool whose round
// trips are recorded, with what a server remembers: states (WithStates),
// routes and company states.
func newTracedConsentEnv(t *testing.T) (*consentEnv, *roundTrips) {
	t.Helper()
	trips := &roundTrips{}
	pool := pgtest.NewTracedPool(t, trips)
	store, err := pgstore.New(context.Background(), pool, pgstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	states := commands.WithStates(store, 0)
	e := consentEnvOn(t, states)
	e.pool = pool
	e.inbound.Route = commands.NewRoutes(states).Route
	e.inbound.Companies = commands.NewCompanyStates(states)
	return e, trips
}

// anotherProcess is a second event store client on e's database: what
// another server, whose memory this process does not share, appends with.
func anotherProcess(t *testing.T, e *consentEnv) *handlers {
	t.Helper()
	other, err := pgstore.New(context.Background(), e.pool, pgstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return handlersOn(other)
}

// An inbound text looks at its company's settings (consent texts,
// auto-reply) without reading the company's stream while it has not moved:
// the text's commit tells the stream's version. A text costs two round
// trips, its thread's read and its commit. Once another process changes
// the company, the next text reads the company once, and none after.
func TestInboundReadsTheCompanyOnlyWhenItMoved(t *testing.T) {
	e, trips := newTracedConsentEnv(t)
	ctx := context.Background()
	companyStream := company.StreamID(e.company)
	e.text(t, numA, "Hello", "") // the first: the company is read, statements prepared
	e.text(t, numA, "Hello again", "")
	trips.take(companyStream)
	for i := range 3 {
		e.text(t, numA, "Is Tuesday ok?", "")
		if all, reads := trips.take(companyStream); all != 2 || reads != 0 {
			t.Fatalf("text %d: %d round trips, %d of them reads of the company's stream; want 2 (the thread's read, the commit), none of the company", i+1, all, reads)
		}
	}
	name := "Acme Dental"
	if _, err := anotherProcess(t, e).update.Handle(ctx, commands.UpdateCompany{CompanyID: e.company, Name: &name}); err != nil {
		t.Fatal(err)
	}
	trips.take(companyStream)
	e.text(t, numA, "Is Wednesday ok?", "")
	if _, reads := trips.take(companyStream); reads != 1 {
		t.Fatalf("the text after another process renamed the company read its stream %d times, want 1", reads)
	}
	e.text(t, numA, "Or Thursday?", "")
	if _, reads := trips.take(companyStream); reads != 0 {
		t.Fatalf("the next text read the company's stream %d times, want 0", reads)
	}
}

// A remembered company state never outlives a change that committed
// before a text: another process renames the company and turns its
// auto-reply on, and the next text's consent reply and auto-reply are
// decided on the new state, though this process remembered the old one.
func TestInboundDecidesOnAnotherProcessesCompanyChange(t *testing.T) {
	e, _ := newTracedConsentEnv(t)
	ctx := context.Background()
	e.submit(t, true)
	e.text(t, numA, "YES", "")
	e.text(t, numA, "HELP", "") // remembered: Acme, no auto-reply
	other := anotherProcess(t, e)
	name := "Acme Dental"
	if _, err := other.update.Handle(ctx, commands.UpdateCompany{CompanyID: e.company, Name: &name}); err != nil {
		t.Fatal(err)
	}
	e.text(t, numA, "HELP", "")
	help := e.texts.texts[len(e.texts.texts)-1]
	if help.Kind != consent.TextHelpReply || !strings.Contains(help.Body, "Acme Dental") {
		t.Fatalf("the help reply after the rename is %q (%s), want it to name Acme Dental", help.Body, help.Kind)
	}
	closed, err := autoreply.New(true, "{{company_name}}: closed.", nil) // no hours: always closed
	if err != nil {
		t.Fatal(err)
	}
	set := commands.NewSetAutoReplyHandler(other.store, fixedClock(&e.now))
	if _, err := set.Handle(ctx, commands.SetAutoReply{CompanyID: e.company, Settings: closed}); err != nil {
		t.Fatal(err)
	}
	e.text(t, numA, "Are you open?", "")
	if replies := e.autoReplies(t); len(replies) != 1 || replies[0].Body != "Acme Dental: closed." {
		t.Fatalf("auto-replies %+v, want one from Acme Dental", replies)
	}
}
