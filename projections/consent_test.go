package projections

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

var (
	cNumA = phone.MustParse("+1 202 555 0199", "")
	cNumB = phone.MustParse("+1 202 555 0188", "")
	cCust = phone.MustParse("+1 312 555 0111", "")
	cT0   = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
)

func consentChange(number phone.Number, before, after consent.Status, min int) consent.Change {
	return consent.Change{CompanyID: "co", CustomerPhone: cCust, MessagingNumber: number, StatusBefore: before,
		StatusAfter: after, Actor: "x", AutomatedText: consent.TextNone, At: cT0.Add(time.Duration(min) * time.Minute)}
}

// appendEvent records a domain event in its stream.
func appendEvent(t *testing.T, store eventstore.Store, stream eventstore.StreamID, e interface {
	EventType() string
	OccurredAt() time.Time
}) eventstore.Position {
	t.Helper()
	data, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	res, err := store.Append(context.Background(), stream, eventstore.Any(), eventstore.EventData{
		ID: uuid.New(), Type: e.EventType(), SchemaVersion: 1, Data: data, OccurredAt: e.OccurredAt()})
	if err != nil {
		t.Fatal(err)
	}
	return res.Position
}

type consentRow struct {
	Number, Status string
	Updated        time.Time
}

func readConsents(t *testing.T, q Queries) map[string]consentRow {
	t.Helper()
	rows, err := q.Pool.Query(context.Background(), `SELECT customer_phone, messaging_number, status, updated_at FROM consents ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]consentRow{}
	for rows.Next() {
		var phone string
		var r consentRow
		if err := rows.Scan(&phone, &r.Number, &r.Status, &r.Updated); err != nil {
			t.Fatal(err)
		}
		r.Updated = r.Updated.UTC()
		out[phone] = r
	}
	return out
}

func TestConsentProjector(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	q := Queries{Pool: pool}
	stream := consent.StreamID("co", cCust)
	step := func(e consent.Event, want consentRow) {
		t.Helper()
		appendEvent(t, store, stream, e)
		if _, err := Rebuild(ctx, pool, store, Consent{}, slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		got := readConsents(t, q)[string(cCust)]
		if got != want {
			t.Fatalf("after %s: %+v, want %+v", e.EventType(), got, want)
		}
	}
	step(consent.ConsentRequested{Change: consentChange(cNumA, consent.StatusNo, consent.StatusPending, 0)},
		consentRow{string(cNumA), "pending", cT0})
	step(consent.ConsentConfirmed{Change: consentChange(cNumA, consent.StatusPending, consent.StatusYes, 1)},
		consentRow{string(cNumA), "yes", cT0.Add(time.Minute)})
	// HELP changes nothing: updated_at stays.
	step(consent.HelpRequested{Change: consentChange(cNumA, consent.StatusYes, consent.StatusYes, 2)},
		consentRow{string(cNumA), "yes", cT0.Add(time.Minute)})
	step(consent.OptedOut{Change: consentChange(cNumA, consent.StatusYes, consent.StatusNo, 3)},
		consentRow{string(cNumA), "no", cT0.Add(3 * time.Minute)})
	// A second STOP: no → no, updated_at stays.
	step(consent.OptedOut{Change: consentChange(cNumA, consent.StatusNo, consent.StatusNo, 4)},
		consentRow{string(cNumA), "no", cT0.Add(3 * time.Minute)})
	step(consent.OptedIn{Change: consentChange(cNumA, consent.StatusNo, consent.StatusYes, 5)},
		consentRow{string(cNumA), "yes", cT0.Add(5 * time.Minute)})
	// A void moves the number even from no (here from yes).
	step(consent.ConsentVoided{Change: consentChange(cNumB, consent.StatusYes, consent.StatusNo, 6), NumberChange: consent.NumberChange{PreviousNumber: cNumA}},
		consentRow{string(cNumB), "no", cT0.Add(6 * time.Minute)})

	// Other events change nothing; the query reads the row on the current number only.
	appendEvent(t, store, "company-co", company.MessagingNumberChanged{CompanyID: "co", PreviousNumber: cNumB, MessagingNumber: cNumA, At: cT0.Add(7 * time.Minute)})
	if _, err := Rebuild(ctx, pool, store, Consent{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	v, err := q.Consent(ctx, "co", string(cCust), string(cNumB))
	if err != nil || v.Status != "no" || v.MessagingNumber != string(cNumB) || v.UpdatedAt == nil || !v.UpdatedAt.Equal(cT0.Add(6*time.Minute)) {
		t.Fatalf("consent on B: %+v %v", v, err)
	}
	appendEvent(t, store, stream, consent.OptedIn{Change: consentChange(cNumB, consent.StatusNo, consent.StatusYes, 8)})
	if _, err := Rebuild(ctx, pool, store, Consent{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if v, _ := q.Consent(ctx, "co", string(cCust), string(cNumA)); v.Status != "no" || v.UpdatedAt != nil || v.MessagingNumber != string(cNumA) {
		t.Fatalf("consent of a former number counts: %+v", v)
	}
	if v, _ := q.Consent(ctx, "co", "+13125550199", string(cNumB)); v.Status != "no" || v.UpdatedAt != nil {
		t.Fatalf("a stranger: %+v", v)
	}
	if v, _ := q.Consent(ctx, "other", string(cCust), string(cNumB)); v.Status != "no" {
		t.Fatalf("another company's customer: %+v", v)
	}
}

func TestThreadConsentFollowsTheCurrentNumber(t *testing.T) {
	pool, _ := setup(t)
	ctx := context.Background()
	q := Queries{Pool: pool}
	id := uuid.New()
	mustExec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(`INSERT INTO companies (id, name, messaging_number, time_zone, sms_enabled, country, created_at) VALUES ('co', 'Acme', $1, 'UTC', true, 'US', now())`, string(cNumA))
	mustExec(`INSERT INTO threads (id, company_id, customer_phone, last_activity_at) VALUES ($1, 'co', $2, now())`, id, string(cCust))
	badge := func() string {
		t.Helper()
		th, err := q.Thread(ctx, "co", id)
		if err != nil {
			t.Fatal(err)
		}
		threads, _, err := q.Threads(ctx, "co", false, 10, nil)
		if err != nil || len(threads) != 1 || threads[0].Consent != th.Consent {
			t.Fatalf("list %+v %v", threads, err)
		}
		return th.Consent
	}
	if got := badge(); got != "no" {
		t.Fatalf("no consent row: %s", got)
	}
	mustExec(`INSERT INTO consents VALUES ('co', $1, $2, 'yes', now())`, string(cCust), string(cNumA))
	if got := badge(); got != "yes" {
		t.Fatalf("yes on the current number: %s", got)
	}
	mustExec(`UPDATE companies SET messaging_number = $1`, string(cNumB))
	if got := badge(); got != "no" {
		t.Fatalf("yes on a former number: %s", got)
	}
	// Another company's consent of the same phone is not this thread's.
	mustExec(`INSERT INTO consents VALUES ('other', $1, $2, 'yes', now())`, string(cCust), string(cNumB))
	if got := badge(); got != "no" {
		t.Fatalf("another company's consent: %s", got)
	}
}

func TestConsentNumberReactor(t *testing.T) {
	pool, store := setup(t)
	ctx := context.Background()
	// Two customers on A, one already on B, one of another company on A.
	for i, c := range []struct {
		company string
		phone   string
		number  phone.Number
	}{{"co", "+13125550101", cNumA}, {"co", "+13125550102", cNumA}, {"co", "+13125550103", cNumB}, {"other", "+13125550104", cNumA}} {
		ch := consentChange(c.number, consent.StatusNo, consent.StatusPending, i)
		ch.CompanyID, ch.CustomerPhone = c.company, phone.Number(c.phone)
		appendEvent(t, store, consent.StreamID(c.company, phone.Number(c.phone)), consent.ConsentRequested{Change: ch})
	}
	pos := appendEvent(t, store, "company-co", company.MessagingNumberChanged{CompanyID: "co", PreviousNumber: cNumA, MessagingNumber: cNumB, At: cT0.Add(time.Hour)})

	var mu sync.Mutex
	var voided []string
	reactor := ConsentNumberReactor{MaxWait: 200 * time.Millisecond, Void: func(_ context.Context, ch company.MessagingNumberChanged, cause eventstore.RecordedEvent, customer phone.Number) error {
		mu.Lock()
		defer mu.Unlock()
		if ch.MessagingNumber != cNumB || cause.Position != pos {
			t.Errorf("void %+v at %d", ch, cause.Position)
		}
		voided = append(voided, string(customer))
		return nil
	}}
	var cause eventstore.RecordedEvent
	for rec, err := range store.ReadAll(ctx, pos-1, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		cause = rec
	}
	apply := func() error {
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return reactor.Apply(ctx, tx, cause) })
	}
	// The consent projector has not reached the change: the reactor waits, then fails (retried later).
	if _, err := pool.Exec(ctx, `INSERT INTO projection_checkpoints (projector, position) VALUES ('consent', 0)`); err != nil {
		t.Fatal(err)
	}
	if err := apply(); err == nil || len(voided) != 0 {
		t.Fatalf("the reactor did not wait for the consent projector: %v %v", err, voided)
	}
	if _, err := Rebuild(ctx, pool, store, Consent{}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if err := apply(); err != nil {
		t.Fatal(err)
	}
	if len(voided) != 2 || voided[0] != "+13125550101" || voided[1] != "+13125550102" {
		t.Fatalf("voided %v", voided)
	}
	// Other events: nothing.
	cause.Type = company.TypeCompanyUpdated
	voided = nil
	if err := apply(); err != nil || len(voided) != 0 {
		t.Fatalf("%v %v", err, voided)
	}
}
