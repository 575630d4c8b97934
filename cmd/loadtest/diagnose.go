package main

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// poolCounters are the server's database pool counters (its /metrics,
// adapters/postgres/poolstats) of one pool.
type poolCounters struct{ acquires, waited, seconds float64 }

// scrapePools reads the pool counters from the server's /metrics, by pool.
func (e *env) scrapePools(ctx context.Context) (map[string]poolCounters, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]poolCounters{}
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		name, rest, ok := strings.Cut(lines.Text(), `{pool="`)
		if !ok {
			continue
		}
		pool, value, ok := strings.Cut(rest, `"} `)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		c := out[pool]
		switch name {
		case "smsinbox_db_pool_acquires_total":
			c.acquires = v
		case "smsinbox_db_pool_waited_acquires_total":
			c.waited = v
		case "smsinbox_db_pool_acquire_seconds_total":
			c.seconds = v
		}
		out[pool] = c
	}
	return out, lines.Err()
}

// poolDelta says, per pool, what was acquired between two scrapes: how
// many, how many waited, and the mean acquisition time.
func poolDelta(before, after map[string]poolCounters) string {
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(after)) {
		a, b := after[name], before[name]
		n := a.acquires - b.acquires
		if n <= 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %.0f acquires, %.1f %% waited, mean acquire %.3f ms",
			name, n, 100*(a.waited-b.waited)/n, 1000*(a.seconds-b.seconds)/n))
	}
	if len(parts) == 0 {
		return "no pool counters (a server without adapters/postgres/poolstats)"
	}
	return strings.Join(parts, "; ")
}

// waitProfile samples pg_stat_activity while it runs: what the database's
// active sessions were doing (CPU, or the wait event they waited on),
// separately for the thread-list queries and for everything else.
type waitProfile struct {
	mu      sync.Mutex
	samples int
	list    map[string]int
	other   map[string]int
}

// sampleWaits samples every 5 ms until ctx ends.
func (e *env) sampleWaits(ctx context.Context) *waitProfile {
	w := &waitProfile{list: map[string]int{}, other: map[string]int{}}
	go func() {
		for ctx.Err() == nil {
			rows, err := e.pool.Query(ctx, `SELECT coalesce(wait_event_type || ':' || wait_event, 'running'),
				query LIKE '%FROM threads%' AND query LIKE '%ORDER BY last_activity_at DESC, id DESC LIMIT%'
				FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND datname = current_database()`)
			if err == nil {
				w.mu.Lock()
				w.samples++
				for rows.Next() {
					var what string
					var list bool
					if rows.Scan(&what, &list) == nil {
						if list {
							w.list[what]++
						} else {
							w.other[what]++
						}
					}
				}
				w.mu.Unlock()
				rows.Close()
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return w
}

// String is the profile: each state's share of the samples of that kind.
func (w *waitProfile) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	top := func(m map[string]int) string {
		total := 0
		for _, n := range m {
			total += n
		}
		keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return m[b] - m[a] })
		var parts []string
		for _, k := range keys[:min(len(keys), 5)] {
			parts = append(parts, fmt.Sprintf("%s %.0f %%", k, 100*float64(m[k])/float64(total)))
		}
		return fmt.Sprintf("%d seen: %s", total, strings.Join(parts, ", "))
	}
	return fmt.Sprintf("%d samples; thread list sessions %s; other sessions %s", w.samples, top(w.list), top(w.other))
}
