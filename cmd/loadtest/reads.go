package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// listRun is what the thread-list phase measured: the reads' latencies,
// the texts written meanwhile, and where the time went (the server's pool
// counters, the database sessions' wait events).
type listRun struct {
	lat    samples
	writes int64
	pools  string
	waits  *waitProfile
	timed  timings // each read's Server-Timing
}

// listUnderWrites reads the first page of the thread list from readers
// callers, as fast as answers come, for d, while four writers post texts.
func (e *env) listUnderWrites(ctx context.Context, readers int, d time.Duration) *listRun {
	r := &listRun{}
	before, _ := e.scrapePools(ctx)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	r.waits = e.sampleWaits(ctx)
	var writes atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, _, err := e.next(ctx); err == nil { // background writes: the reads are what is measured
					writes.Add(1)
				}
			}
		}()
	}
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if t, err := e.callTimed(ctx, "/api/threads?limit=50"); err == nil {
					r.lat.add(t.client)
					r.timed.add(t)
				}
			}
		}()
	}
	wg.Wait()
	r.writes = writes.Load()
	after, _ := e.scrapePools(context.WithoutCancel(ctx))
	r.pools = poolDelta(before, after)
	return r
}

// export is what Download All measured.
type export struct {
	rows        int
	took        time.Duration
	rssDeltaMiB float64
}

func (x export) rowsPerSecond() float64 { return float64(x.rows) / x.took.Seconds() }

// exportAll downloads every message of the company as CSV, counting rows,
// and the server's resident memory before and after.
func (e *env) exportAll(ctx context.Context) (export, error) {
	before := e.serverRSS()
	// A million rows on a busy machine outlast the client's 60 s bound
	// for a call: this one has ten minutes.
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	client := *e.client
	client.Timeout = 0
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/api/messages/export.csv", nil)
	if err != nil {
		return export{}, err
	}
	req.Header.Set("Authorization", "Bearer "+e.userToken)
	began := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return export{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return export{}, fmt.Errorf("Download All answered %d", resp.StatusCode)
	}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	rows := -1 // the header
	for lines.Scan() {
		rows++
	}
	if err := lines.Err(); err != nil {
		return export{}, err
	}
	took := time.Since(began)
	return export{rows: rows, took: took, rssDeltaMiB: e.serverRSS() - before}, nil
}

// topUpMessages copies messages into the read model (not the log) until
// the company has n, spread over its threads, so that Download All reads a
// million rows without a million webhooks. A rebuild, which comes after,
// leaves only what the log holds.
func (e *env) topUpMessages(ctx context.Context, n int) error {
	_, err := e.pool.Exec(ctx, `
WITH t AS (SELECT id, company_id, customer_phone, row_number() OVER (ORDER BY id) - 1 AS k FROM threads WHERE company_id = $1),
     c AS (SELECT count(*) AS threads, (SELECT count(*) FROM messages WHERE company_id = $1) AS messages FROM t)
INSERT INTO messages (id, thread_id, company_id, direction, from_number, to_number, body, status, app, created_at, position)
SELECT gen_random_uuid(), t.id, t.company_id, CASE WHEN i % 2 = 0 THEN 'outbound' ELSE 'inbound' END,
       t.customer_phone, $3, 'Copied message ' || i || ', with "quotes" and a comma, about the appointment',
       CASE WHEN i % 2 = 0 THEN 'delivered' ELSE 'received' END, 'sms',
       now() - interval '1 second' * i, -i
FROM c CROSS JOIN generate_series(1, greatest(0, $2 - c.messages)) i
JOIN t ON t.k = i % c.threads`,
		e.companyID, n, companyNumber)
	if err != nil {
		return fmt.Errorf("top up the messages: %w", err)
	}
	_, err = e.pool.Exec(ctx, `ANALYZE messages`)
	return err
}
