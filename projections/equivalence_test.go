package projections

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// oneByOne hides a projector's ApplyBatch: every event goes through Apply,
// the projector's statements as written for one event.
type oneByOne struct{ Projector }

// dumpReadModels renders every row of the projectors' tables, in a stable
// order.
func dumpReadModels(t *testing.T, pool *pgxpool.Pool, ps []Projector) string {
	t.Helper()
	var b strings.Builder
	for _, p := range ps {
		for _, table := range p.Tables() {
			b.WriteString("-- " + table + "\n")
			rows, err := pool.Query(context.Background(), `SELECT row_to_json(x)::text AS j FROM `+pgx.Identifier{table}.Sanitize()+` x ORDER BY j`)
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
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return b.String()
}

// project empties the projectors' tables and applies events to them
// through the live path (applyPage), in messages of the sizes next
// answers.
func project(t *testing.T, pool *pgxpool.Pool, ps []Projector, events []eventstore.RecordedEvent, next func() int) {
	t.Helper()
	ctx := context.Background()
	if _, err := RebuildAll(ctx, pool, emptyLog{}, ps, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	// Every projector at once, one transaction a message, as the Runner's
	// one reader applies them.
	after := eventstore.Start
	for i := 0; i < len(events); {
		chunk := events[i:min(i+next(), len(events))]
		if _, err := applyPage(ctx, pool, reader{topic: ReadModelsTopic, members: ps}, after, chunk); err != nil {
			t.Fatal(err)
		}
		after = chunk[len(chunk)-1].Position
		i += len(chunk)
	}
}

// emptyLog is a store whose log holds nothing: a rebuild over it only
// empties the tables.
type emptyLog struct{ eventstore.Store }

func (emptyLog) ReadAll(context.Context, eventstore.Position, eventstore.Filter) iter.Seq2[eventstore.RecordedEvent, error] {
	return func(func(eventstore.RecordedEvent, error) bool) {}
}

// Every projector leaves the same read models however the log reaches it:
// one event at a time through Apply (the reference), in messages of any
// size through the live path, or in a rebuild's pages. The generated log
// holds what set-based application must get right (see fixtureLog).
func TestProjectionsAgreeHoweverTheLogIsCut(t *testing.T) {
	pool, store := newStore(t)
	appendFixture(t, store, fixtureLog(42, 40, 2000))
	events := readLog(t, store)
	ctx := context.Background()
	// The log holds every event type the inbox reads, so that a type its
	// set-based path gets wrong (or a new one, which it must hand to
	// Apply) shows here.
	inLog := map[string]bool{}
	for _, e := range events {
		inLog[e.Type] = true
	}
	for _, typ := range conversation.EventTypes() {
		if (Inbox{}).handles(typ) && !inLog[typ] {
			t.Errorf("the generated log holds no %s, which the inbox reads: add it to fixtureLog", typ)
		}
	}

	var reference []Projector
	for _, p := range All() {
		reference = append(reference, oneByOne{p})
	}
	project(t, pool, reference, events, func() int { return 1 + len(events) })
	want := dumpReadModels(t, pool, All())
	if strings.Count(want, "\n") < 500 {
		t.Fatalf("the reference read models are nearly empty:\n%s", want)
	}

	rng := rand.New(rand.NewPCG(3, 4))
	for _, cut := range []struct {
		name string
		next func() int
	}{
		{"messages of 1 to 8 events", func() int { return 1 + rng.IntN(8) }},
		{"messages of 1 to 64 events", func() int { return 1 + rng.IntN(64) }},
		{"messages of 256 events", func() int { return 256 }},
	} {
		project(t, pool, All(), events, cut.next)
		if got := dumpReadModels(t, pool, All()); got != want {
			t.Fatalf("%s: the read models differ from the reference\n%s", cut.name, firstDifference(want, got))
		}
	}

	// A rebuild keeps state across its pages (the inbox's rows): pages
	// that cut the log anywhere, and one page of it all.
	for _, size := range []int{97, 1000, rebuildPage} {
		if _, err := rebuildAll(ctx, pool, store, All(), slog.New(slog.DiscardHandler), size); err != nil {
			t.Fatal(err)
		}
		if got := dumpReadModels(t, pool, All()); got != want {
			t.Fatalf("rebuild in pages of %d: the read models differ from the reference\n%s", size, firstDifference(want, got))
		}
	}
}

// firstDifference shows the first line where two dumps part.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, a, b)
		}
	}
	return ""
}
