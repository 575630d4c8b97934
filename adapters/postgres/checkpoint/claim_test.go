package checkpoint

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// standingBy tells, through a channel, when a claim says it stands by.
type standingBy struct {
	slog.Handler
	said chan struct{}
}

func (standingBy) Enabled(context.Context, slog.Level) bool { return true }

func (h standingBy) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "another instance runs this consumer of the log; standing by" {
		select {
		case h.said <- struct{}{}:
		default:
		}
	}
	return nil
}

// A group's claim takes every member's lock or none: while another
// session holds one member, the claim stands by holding none of them; once
// it is free, the claim holds them all and resumes after the lowest of
// their checkpoints.
func TestGroupClaimTakesEveryLockOrNone(t *testing.T) {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	for name, pos := range map[string]int{"a": 7, "b": 3, "c": 9} {
		if err := Ensure(ctx, pool, name); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, `UPDATE projection_checkpoints SET position = $2 WHERE projector = $1`, name, pos); err != nil {
			t.Fatal(err)
		}
	}
	other, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	if _, err := other.Exec(ctx, `SELECT pg_advisory_lock($1)`, LockKey("b")); err != nil {
		t.Fatal(err)
	}

	said := make(chan struct{}, 1)
	logger := slog.New(standingBy{Handler: slog.DiscardHandler, said: said})
	claim := GroupClaimer(pool, logger, ClaimTiming{Standby: 10 * time.Millisecond},
		func(topic string) []string { return map[string][]string{"g": {"a", "b", "c"}}[topic] })
	type claimed struct {
		after   uint64
		release func()
		err     error
	}
	got := make(chan claimed, 1)
	go func() {
		after, _, release, err := claim(ctx, "g")
		got <- claimed{uint64(after), release, err}
	}()
	<-said // it has tried, found b held, and given back what it took
	st, err := Standings(ctx, pool, []string{"a", "c"})
	if err != nil {
		t.Fatal(err)
	}
	if st["a"].Held || st["c"].Held {
		t.Fatalf("standing by, the claim holds a or c: %+v", st)
	}

	if _, err := other.Exec(ctx, `SELECT pg_advisory_unlock($1)`, LockKey("b")); err != nil {
		t.Fatal(err)
	}
	c := <-got
	if c.err != nil {
		t.Fatal(c.err)
	}
	defer c.release()
	if c.after != 3 {
		t.Errorf("the claim resumes after %d, want the lowest checkpoint, 3", c.after)
	}
	st, err = Standings(ctx, pool, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b", "c"} {
		if !st[n].Held {
			t.Errorf("%s is not held once the claim is made", n)
		}
	}
}
