package app_test

import (
	"context"
	"time"
)

// until waits until cond holds, looking again each time the app's consumers
// move on: a projector or reactor commits (the Notifier), or the sender
// writes its checkpoint. Whatever a test waits for (a read model, an event
// the sender or a reactor appends, a request the fake Twilio recorded before
// the sender appended its outcome) comes with one of those. The bound is
// against a hung test, not a measure of speed.
func (e *env) until(what string, cond func() bool) {
	e.t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		committed, checkpointed := e.app.Notifier.Changed(), e.app.Sender.Checkpointed()
		if cond() {
			return
		}
		select {
		case <-committed:
		case <-checkpointed:
		case <-deadline:
			e.t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// settled waits until every consumer of the log (projectors, reactors, the
// sender) has handled every event in it, and the log has stopped growing
// (a reactor or the sender appends, and they handle that too). What a
// consumer would still have done is done: a test can then assert that
// something did not happen.
func (e *env) settled() {
	e.t.Helper()
	e.until("every consumer at the log's head", func() bool {
		ctx := context.Background()
		head, err := e.app.Store.Head(ctx)
		if err != nil {
			e.t.Fatalf("head: %v", err)
		}
		var lowest, consumers int64
		if err := e.pool.QueryRow(ctx, `SELECT coalesce(min(position), 0), count(*) FROM projection_checkpoints`).Scan(&lowest, &consumers); err != nil {
			e.t.Fatalf("checkpoints: %v", err)
		}
		return consumers > 0 && uint64(lowest) >= uint64(head)
	})
}
