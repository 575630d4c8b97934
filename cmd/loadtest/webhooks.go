package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// customer is the i-th customer's number: +1 202 NXX XXXX, NXX from 200.
func customer(i int) string { return fmt.Sprintf("+1202%03d%04d", 200+i/10000, i%10000) }

// post sends one signed inbound webhook from from and answers its
// MessageSid when it was acknowledged (200).
func (e *env) post(ctx context.Context, from, body string) (string, error) {
	params, err := twilio.NewInboundParams(companyNumber, from, body, e.accountSID)
	if err != nil {
		return "", err
	}
	resp, err := twilio.PostInbound(ctx, e.client, e.base, e.authToken, params)
	if err != nil {
		return "", err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return params.Get("MessageSid"), nil
}

// next posts the next text of the round robin over the run's customers.
func (e *env) next(ctx context.Context) (sid, from string, err error) {
	i := int(e.posted.Add(1)-1) % e.threads
	from = customer(i)
	sid, err = e.post(ctx, from, "Is Tuesday at 10 still ok for the cleaning?")
	return sid, from, err
}

// threadsSeen is how many threads the texts so far have opened.
func (e *env) threadsSeen() int { return int(min(e.posted.Load(), int64(e.threads))) }

// burst is what a closed-loop phase measured.
type burst struct {
	acked, failed int64
	took          time.Duration
	latencies     samples
}

func (b *burst) rate() float64 { return float64(b.acked) / b.took.Seconds() }

// hammer posts texts from concurrency callers, each as fast as its answers
// come, for d.
func (e *env) hammer(ctx context.Context, concurrency int, d time.Duration, _ int) *burst {
	b := &burst{}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var acked, failed atomic.Int64
	var wg sync.WaitGroup
	began := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if _, _, err := e.next(ctx); err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				b.latencies.add(time.Since(t0))
				acked.Add(1)
			}
		}()
	}
	wg.Wait()
	b.took = time.Since(began)
	b.acked, b.failed = acked.Load(), failed.Load()
	return b
}

// seed posts one text for every customer not texted yet, 16 at a time.
func (e *env) seed(ctx context.Context, threads int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e.posted.Load() < int64(threads) && ctx.Err() == nil {
				if _, _, err := e.next(ctx); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("seeding: %w", err)
	default:
		return ctx.Err()
	}
}

// lagRun is what an open-loop phase measured.
type lagRun struct {
	acks, visible samples
	achieved      float64
	mu            sync.Mutex
	samples       []lagSample // each sampled text's ack and first sight
	reads         timings     // the polls' reads of the thread
}

func (r *lagRun) sampled() []lagSample {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.samples)
}

// lag posts texts at rate per second for d (open loop: a text is due at its
// time whether or not the ones before were answered) and, for one text in
// ten, polls GET /api/threads/{id} from the moment the webhook answered 200
// until the message is there.
func (e *env) lag(ctx context.Context, rate int, d time.Duration, _ int) *lagRun {
	r := &lagRun{}
	due := make(chan int, 4096)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var wg sync.WaitGroup
	var acked atomic.Int64
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range due {
				t0 := time.Now()
				sid, from, err := e.next(ctx)
				if err != nil {
					continue
				}
				r.acks.add(time.Since(t0))
				acked.Add(1)
				if n%10 == 0 {
					acked := time.Now()
					if seen, ok := e.waitVisible(ctx, from, sid, &r.reads); ok {
						r.visible.add(seen)
						r.mu.Lock()
						r.samples = append(r.samples, lagSample{messageID: commands.InboundMessageID(sid).String(), acked: acked, seen: acked.Add(seen)})
						r.mu.Unlock()
					}
				}
			}
		}()
	}
	began := time.Now()
	interval := time.Second / time.Duration(rate)
	for n := 0; ctx.Err() == nil; n++ {
		if wait := time.Until(began.Add(time.Duration(n) * interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
		}
		select {
		case due <- n:
		case <-ctx.Done():
		}
	}
	close(due)
	wg.Wait()
	r.achieved = float64(acked.Load()) / time.Since(began).Seconds()
	return r
}

// waitVisible polls the thread of from until the message of sid is in it,
// and answers how long that took.
func (e *env) waitVisible(ctx context.Context, from, sid string, reads *timings) (time.Duration, bool) {
	began := time.Now()
	id := commands.InboundMessageID(sid).String()
	threadID := e.threadID(from)
	for ctx.Err() == nil && time.Since(began) < 10*time.Second {
		var th struct {
			Messages []struct{ ID string } `json:"messages"`
		}
		if err := e.callInto(context.WithoutCancel(ctx), "/api/threads/"+threadID, &th, reads); err == nil {
			for _, m := range th.Messages {
				if m.ID == id {
					return time.Since(began), true
				}
			}
		}
		time.Sleep(time.Millisecond) // the poll's pace: the read model sends nothing to wait on
	}
	return 0, false
}

// longThread posts n texts from one customer, one at a time, and compares
// the median ack of the last 200 with that of the first 200.
func (e *env) longThread(ctx context.Context, n int) (ratio float64, first, last time.Duration, err error) {
	from := "+12029990000"
	acks := make([]time.Duration, 0, n)
	for i := range n {
		t0 := time.Now()
		if _, err := e.post(ctx, from, fmt.Sprintf("Text %d of a long conversation", i)); err != nil {
			return 0, 0, 0, fmt.Errorf("long thread, text %d: %w", i, err)
		}
		acks = append(acks, time.Since(t0))
	}
	k := min(200, n/2)
	first, last = percentile(acks[:k], 50), percentile(acks[n-k:], 50)
	return float64(last) / float64(first), first, last, nil
}

// threadID is the thread of customer from (the same UUID the server
// derives from the company and the number).
func (e *env) threadID(from string) string {
	return conversation.ThreadID(e.companyID, phone.Number(from)).String()
}
