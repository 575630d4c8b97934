package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/projections"
)

// TestCrashWhileProjecting kills the server (SIGKILL) while its projectors
// work through a burst of events, starts it again, and checks that the read
// models it ends with equal those of a fresh `smsinbox rebuild`.
func TestCrashWhileProjecting(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(t)
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	// The burst: a company and 4,000 texts from 400 customers, some threads
	// archived and read, all appended before the server starts.
	total := burst(t, ctx, pool)

	bin := smsinboxBinary(t)
	port, _ := pgserver.FreePort()
	env := append(os.Environ(), "DATABASE_URL="+dbURL, fmt.Sprintf("LISTEN_ADDR=127.0.0.1:%d", port))

	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	checkpoint := func(name string) int64 {
		var p int64
		_ = pool.QueryRow(ctx, `SELECT coalesce((SELECT position FROM projection_checkpoints WHERE projector = $1), 0)`, name).Scan(&p)
		return p
	}

	// The server's projectors notify each commit (projections.NotifyChannel):
	// the test looks at the checkpoints again at each one.
	notifier := projections.NewNotifier(pool, discardLogger())
	nctx, stopNotifier := context.WithCancel(ctx)
	defer func() { stopNotifier(); <-notifier.Stopped() }()
	go func() { _ = notifier.Run(nctx) }()
	deadline := time.After(60 * time.Second)
	await := func(cond func() bool) {
		for {
			committed := notifier.Changed()
			if cond() {
				return
			}
			select {
			case <-committed:
			case <-deadline:
				return // the checks below say what went wrong
			}
		}
	}

	server := start()
	await(func() bool { return checkpoint("inbox") >= total/4 })
	killedAt := checkpoint("inbox")
	_ = server.Process.Signal(syscall.SIGKILL)
	_ = server.Wait() // killed: its exit status says only that
	if killedAt == 0 || killedAt >= total {
		t.Fatalf("the kill came at checkpoint %d of %d: not in the middle of the burst", killedAt, total)
	}
	t.Logf("killed the server with the inbox projector at %d of %d events", killedAt, total)

	server = start()
	await(func() bool {
		return checkpoint("inbox") >= total && checkpoint("directory") >= total && checkpoint("search") >= total
	})
	_ = server.Process.Signal(syscall.SIGTERM)
	_ = server.Wait()
	if checkpoint("inbox") != total {
		t.Fatalf("after the restart the inbox projector reached %d of %d", checkpoint("inbox"), total)
	}
	afterCrash := dump(t, ctx, pool)

	out, err := exec.Command(bin, "rebuild").CombinedOutput()
	if err != nil {
		t.Fatalf("rebuild: %v\n%s", err, out)
	}
	rebuilt := dump(t, ctx, pool)
	if afterCrash != rebuilt {
		t.Fatalf("read models after the crash differ from a rebuild:\n--- after crash\n%.2000s\n--- rebuilt\n%.2000s", afterCrash, rebuilt)
	}
	var messages int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&messages); err != nil {
		t.Fatal(err)
	}
	if messages != 4000 {
		t.Fatalf("messages = %d, want 4000", messages)
	}
}

func burst(t *testing.T, ctx context.Context, pool *pgxpool.Pool) int64 {
	t.Helper()
	store, err := postgres.New(ctx, pool, postgres.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	clock := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { clock = clock.Add(time.Second); return clock }
	create := commands.NewCreateCompanyHandler(store, now, commands.RandomIDs)
	company, err := create.Handle(ctx, commands.CreateCompany{Name: "Acme", MessagingNumber: phone.MustParse("+12025550123", "US")})
	if err != nil {
		t.Fatal(err)
	}
	receive := commands.NewReceiveInboundHandler(commands.ReceiveInboundDeps{Store: store, Now: now, Logger: discardLogger(),
		CancelUnsent: commands.NewCancelUnsentHandler(store),
		Route: func(ctx context.Context, n phone.Number) (string, bool, error) {
			return commands.RouteNumber(ctx, store, n)
		}})
	change := commands.NewChangeThreadHandler(store, now)
	for i := 0; i < 4000; i++ {
		from := fmt.Sprintf("+1202555%04d", i%400)
		if _, err := receive.Handle(ctx, commands.InboundText{MessageSID: fmt.Sprintf("SM%032d", i), From: from, To: "+12025550123",
			Body: strings.Repeat("x", i%50) + "hello"}); err != nil {
			t.Fatal(err)
		}
		if i%7 == 0 {
			action := []commands.ThreadAction{commands.Archive, commands.MarkRead, commands.Unarchive, commands.MarkUnread}[i%4]
			if _, err := change.Handle(ctx, commands.ChangeThread{CompanyID: company.Company.ID, Customer: phone.Number(from), Action: action, Actor: "user:test"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return int64(head)
}

// dump renders every read-model row in a stable order.
func dump(t *testing.T, ctx context.Context, pool *pgxpool.Pool) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT row_to_json(c)::text FROM (SELECT * FROM companies ORDER BY id) c`,
		`SELECT row_to_json(u)::text FROM (SELECT * FROM users ORDER BY id) u`,
		`SELECT row_to_json(th)::text FROM (SELECT * FROM threads ORDER BY id) th`,
		`SELECT row_to_json(m)::text FROM (SELECT * FROM messages ORDER BY id) m`,
		`SELECT row_to_json(s)::text FROM (SELECT * FROM search_messages ORDER BY message_id) s`,
		`SELECT row_to_json(s)::text FROM (SELECT * FROM search_threads ORDER BY thread_id) s`,
	} {
		rows, err := pool.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}
