package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	pgstore "github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/audit"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/consent"
	"github.com/smsinbox/smsinbox/domain/phone"
)

func TestAuditConsentCommand(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	store, err := pgstore.New(ctx, pool, pgstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	create := commands.NewCreateCompanyHandler(store, clock, commands.RandomIDs)
	co, err := create.Handle(ctx, commands.CreateCompany{Name: "Acme", MessagingNumber: phone.MustParse("+12025550123", "")})
	if err != nil {
		t.Fatal(err)
	}
	texts := commands.NewQueueAutomatedTextHandler(commands.NewQueueOutboundHandler(store, clock))
	form := commands.NewSubmitFormHandler(store, clock, texts)
	customer := phone.MustParse("+12025550187", "")
	if _, err := form.Handle(ctx, commands.SubmitForm{
		CompanyID: co.Company.ID, Phone: customer, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		OptIn: true, App: "=cmd|calc", Actor: "user:u1"}); err == nil {
		t.Fatal("an app name that is a formula was accepted")
	}
	if _, err := form.Handle(ctx, commands.SubmitForm{
		CompanyID: co.Company.ID, Phone: customer, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		OptIn: true, App: "text_us_now", Actor: "user:u1"}); err != nil {
		t.Fatal(err)
	}
	inbound := commands.NewReceiveInboundHandler(commands.ReceiveInboundDeps{Store: store, Now: clock, Logger: discardLogger(), Texts: texts,
		CancelUnsent: commands.NewCancelUnsentHandler(store),
		Route: func(ctx context.Context, n phone.Number) (string, bool, error) {
			return commands.RouteNumber(ctx, store, n)
		}})
	for i, body := range []string{"YES", "=STOP"} { // "=STOP" is no keyword: an ordinary text
		now = now.Add(time.Minute)
		if _, err := inbound.Handle(ctx, commands.InboundText{MessageSID: "SM" + strings.Repeat("0", 31) + string(rune('1'+i)),
			From: string(customer), To: "+12025550123", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(time.Minute)
	if _, err := inbound.Handle(ctx, commands.InboundText{MessageSID: "SM" + strings.Repeat("0", 31) + "9",
		From: string(customer), To: "+12025550123", Body: "STOP"}); err != nil {
		t.Fatal(err)
	}

	// JSON: national number in the company's country; status at a past instant.
	var out bytes.Buffer
	if err := writeAudit(ctx, store, co.Company.ID, "(202) 555-0187", now.Add(-2*time.Minute), "json", &out, discardLogger()); err != nil {
		t.Fatal(err)
	}
	var a audit.Report
	if err := json.Unmarshal(out.Bytes(), &a); err != nil {
		t.Fatalf("%v: %s", err, out.Bytes())
	}
	if a.Phone != customer || a.StatusAt != "yes" || len(a.Events) != 3 || !a.Chain.Valid ||
		a.Events[2].Type != consent.TypeOptedOut || a.Events[2].AutomatedText == nil {
		t.Fatalf("audit %+v", a)
	}

	// CSV: a header and one row per entry.
	out.Reset()
	if err := writeAudit(ctx, store, co.Company.ID, string(customer), now, "csv", &out, discardLogger()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(out.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(auditCSVHeader, ",") ||
		rows[3][1] != consent.TypeOptedOut || rows[3][3] != "yes" || rows[3][4] != "no" || !strings.Contains(rows[3][8], "unsubscribed") ||
		rows[3][11] != "true" || !strings.HasPrefix(rows[1][7], "{") {
		t.Fatalf("csv %q", rows)
	}

	// Tampered: the answer is written, and the command fails.
	if _, err := pool.Exec(ctx, `UPDATE es_events SET data = replace(data::text, 'YES', 'NO')::json WHERE type = 'ConsentConfirmed'`); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = writeAudit(ctx, store, co.Company.ID, string(customer), now, "csv", &out, discardLogger())
	if !errors.Is(err, errChainBroken) || !strings.Contains(out.String(), ",false\r\n") {
		t.Fatalf("tampered: %v\n%s", err, out.String())
	}

	// Unknown company, bad phone.
	if err := writeAudit(ctx, store, "nope", string(customer), now, "json", &out, discardLogger()); err == nil {
		t.Fatal("unknown company answered")
	}
	if err := writeAudit(ctx, store, co.Company.ID, "555", now, "json", &out, discardLogger()); !errors.Is(err, phone.ErrInvalid) {
		t.Fatalf("bad phone: %v", err)
	}
}

func TestAuditUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, {"leads"}, {"consent"}, {"consent", "--company", "c"}, {"consent", "--phone", "+12025550187"},
		{"consent", "--company", "c", "--phone", "+12025550187", "--format", "xml"},
		{"consent", "--company", "c", "--phone", "+12025550187", "--at", "yesterday"},
		{"consent", "--company", "c", "--phone", "+12025550187", "extra"},
	} {
		if err := auditCommand(context.Background(), config{}, args, &bytes.Buffer{}, discardLogger()); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	if got := neutralise("=1+2"); got != "'=1+2" {
		t.Errorf("neutralise: %q", got)
	}
	if got := neutralise("Acme: hello"); got != "Acme: hello" {
		t.Errorf("neutralise: %q", got)
	}
}
