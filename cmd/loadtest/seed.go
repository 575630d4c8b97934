package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sync"
	"time"

	"github.com/smsinbox/smsinbox/adapters/eventstore/postgres"
	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// seedLog gives every customer not texted yet a thread of perThread texts,
// appended straight to the event store (one append of perThread events per
// customer, 64 appends at a time, which the store commits in groups) rather
// than through the webhook: a million texts in minutes, not hours. The
// events are those the webhook would record for a first text and the ones
// after it (MessageReceived, nothing for consent: the bodies hold no
// keyword), so the projectors build the same read models from them. The
// server is stopped meanwhile, and the read models are built by `smsinbox
// rebuild` (which applies a million events in a few minutes, where the
// live projectors would take much longer); then the server starts again.
func (e *env) seedLog(ctx context.Context, threads, perThread int) error {
	if err := e.stopServer(); err != nil {
		e.log.Warn("the server's exit", "err", err)
	}
	if err := e.appendThreads(ctx, threads, perThread); err != nil {
		return err
	}
	e.log.Info("seeded the log; rebuilding the read models")
	cmd := exec.CommandContext(ctx, e.bin, "rebuild")
	cmd.Env = e.serverEnv
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("rebuild after seeding: %w\n%s", err, out)
	}
	// The consumers that are not projectors (the sender, the reactors of
	// number changes and removed users) would read the million texts only
	// to find nothing to do in them: texts without a keyword send nothing,
	// change no number and remove no user. They skip them here, with the
	// server stopped, as they would after reading them.
	if _, err := e.pool.Exec(ctx, `UPDATE projection_checkpoints SET position = (SELECT max(position) FROM es_events)
		WHERE position < (SELECT max(position) FROM es_events)`); err != nil {
		return err
	}
	if err := e.startServer(ctx); err != nil {
		return err
	}
	return e.waitProjected(ctx)
}

// appendThreads appends the texts of seedLog.
func (e *env) appendThreads(ctx context.Context, threads, perThread int) error {
	store, err := postgres.New(ctx, e.pool, postgres.Config{Logger: e.log})
	if err != nil {
		return err
	}
	defer store.Close()
	first := int(min(e.posted.Load(), int64(threads)))
	customers := make(chan int, 64)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	began := time.Now().Add(-time.Duration(threads*perThread) * time.Millisecond)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range customers {
				if err := appendThread(ctx, store, e.companyID, i, perThread, began); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
feed:
	for i := first; i < threads; i++ {
		select {
		case customers <- i:
		case err := <-errs:
			close(customers)
			wg.Wait()
			return fmt.Errorf("seeding: %w", err)
		case <-ctx.Done():
			break feed
		}
	}
	close(customers)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("seeding: %w", err)
	default:
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e.posted.Store(int64(threads))
	return nil
}

// appendThread appends perThread texts of customer i, the k-th received k
// milliseconds after the one before it.
func appendThread(ctx context.Context, store eventstore.Store, companyID string, i, perThread int, began time.Time) error {
	from := phone.Number(customer(i))
	events := make([]eventstore.EventData, perThread)
	for k := range events {
		messageSID := twilio.NewSID("SM")
		at := began.Add(time.Duration(i*perThread+k) * time.Millisecond).UTC()
		ev := conversation.MessageReceived{
			MessageID: commands.InboundMessageID(messageSID),
			Thread: conversation.Thread{ThreadID: conversation.ThreadID(companyID, from), CompanyID: companyID,
				CustomerPhone: from},
			MessagingNumber: companyNumber, MessageSID: messageSID, Body: fmt.Sprintf("Seeded text %d: is Tuesday ok?", k),
			App: "sms", ReceivedAt: at,
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		events[k] = eventstore.EventData{ID: conversation.InboundEventID(messageSID), Type: ev.EventType(),
			SchemaVersion: conversation.SchemaVersion, Data: data, OccurredAt: at,
			Metadata: eventstore.Metadata{CorrelationID: messageSID, Actor: "customer:" + string(from)}}
	}
	_, err := store.Append(ctx, conversation.StreamID(companyID, from), eventstore.NoStream(), events...)
	return err
}

// waitProjected waits until every consumer's checkpoint has reached the end
// of the log (polling: the load tool is outside the server).
func (e *env) waitProjected(ctx context.Context) error {
	var head int64
	if err := e.pool.QueryRow(ctx, `SELECT coalesce(max(position), 0) FROM es_events`).Scan(&head); err != nil {
		return err
	}
	for {
		var behind int
		if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM projection_checkpoints WHERE position < $1`, head).Scan(&behind); err != nil {
			return err
		}
		if behind == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
