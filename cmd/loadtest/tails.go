package main

// Where a tail's time goes: each read's Server-Timing header (the server's
// pool waits, statements and handler time), the database's side of a
// phase (checkpoints, WAL writes and syncs, autovacuum runs, the slowest
// statements), the Go runtime's (scheduling latency, GC), and for the lag,
// when each sampled text's projection committed.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// timing is one request as its client and its Server-Timing header saw it.
type timing struct {
	client, app, db, acquire time.Duration
	byPool                   map[string]time.Duration // acquire by pool
	gc                       int                      // garbage collections that ended during the handler
	statements               int                      // statements and batches the handler ran
	ok                       bool                     // the header was there
}

// parseServerTiming reads the header the server writes (adapters/httpapi,
// SERVER_TIMING): db-acquire;dur=…, db;dur=…, gc;desc="N", app;dur=….
func parseServerTiming(h string) timing {
	var t timing
	for _, metric := range strings.Split(h, ",") {
		parts := strings.Split(strings.TrimSpace(metric), ";")
		var dur time.Duration
		desc := ""
		for _, p := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			switch k {
			case "dur":
				f, _ := strconv.ParseFloat(v, 64)
				dur = time.Duration(f * float64(time.Millisecond))
			case "desc":
				desc = strings.Trim(v, `"`)
			}
		}
		if pool, ok := strings.CutPrefix(parts[0], "db-acquire-"); ok {
			if t.byPool == nil {
				t.byPool = map[string]time.Duration{}
			}
			t.byPool[pool] = dur
		}
		switch parts[0] {
		case "db-acquire":
			t.acquire, t.ok = dur, true
		case "db":
			t.db = dur
			t.statements, _ = strconv.Atoi(desc)
		case "app":
			t.app = dur
		case "gc":
			t.gc, _ = strconv.Atoi(desc)
		}
	}
	return t
}

// timings collects requests' timings from many goroutines.
type timings struct {
	mu sync.Mutex
	t  []timing
}

func (s *timings) add(t timing) {
	s.mu.Lock()
	s.t = append(s.t, t)
	s.mu.Unlock()
}

// String says where the slowest 1 % of the requests spent their time,
// beside the same for all of them: the medians of the client's time, the
// handler's (app), the statements' (db), the pool waits' (acquire), the
// client's time outside the handler, and the share that saw a GC end.
func (s *timings) String() string {
	s.mu.Lock()
	all := slices.Clone(s.t)
	s.mu.Unlock()
	if len(all) == 0 || !all[0].ok {
		return "no Server-Timing (a server without SERVER_TIMING)"
	}
	slices.SortFunc(all, func(a, b timing) int { return int(a.client - b.client) })
	k := max(1, len(all)/100)
	slow := all[len(all)-k:]
	var acq []time.Duration
	byPool := map[string][]time.Duration{}
	for _, t := range all {
		acq = append(acq, t.acquire)
		for p, d := range t.byPool {
			byPool[p] = append(byPool[p], d)
		}
	}
	pools := ""
	for _, p := range slices.Sorted(maps.Keys(byPool)) {
		w := byPool[p]
		w = append(w, make([]time.Duration, len(all)-len(w))...) // requests that took none of p
		pools += fmt.Sprintf(", %s p99 %s", p, ms(percentile(w, 99)))
	}
	return fmt.Sprintf("slowest 1 %% (%d): %s; all (%d): %s; pool wait p99 %s, max %s%s",
		len(slow), summarize(slow), len(all), summarize(all), ms(percentile(acq, 99)), ms(percentile(acq, 100)), pools)
}

func summarize(ts []timing) string {
	var client, app, db, acq, outside []time.Duration
	gc, statements := 0, 0
	for _, t := range ts {
		statements += t.statements
		client = append(client, t.client)
		app = append(app, t.app)
		db = append(db, t.db)
		acq = append(acq, t.acquire)
		outside = append(outside, t.client-t.app)
		if t.gc > 0 {
			gc++
		}
	}
	return fmt.Sprintf("median client %s = handler %s (db %s in %.1f statements, pool wait %s) + outside the handler %s; %.0f %% saw a GC end",
		ms(percentile(client, 50)), ms(percentile(app, 50)), ms(percentile(db, 50)), float64(statements)/float64(len(ts)), ms(percentile(acq, 50)),
		ms(percentile(outside, 50)), 100*float64(gc)/float64(len(ts)))
}

// callInto is a GET whose JSON answer is decoded into out and whose
// Server-Timing is added to reads.
func (e *env) callInto(ctx context.Context, path string, out any, reads *timings) error {
	t, body, err := e.get(ctx, path)
	if err != nil {
		return err
	}
	reads.add(t)
	return json.Unmarshal(body, out)
}

// callTimed is a GET whose answer is read whole and whose Server-Timing is
// kept.
func (e *env) callTimed(ctx context.Context, path string) (timing, error) {
	t, _, err := e.get(ctx, path)
	return t, err
}

func (e *env) get(ctx context.Context, path string) (timing, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+path, nil)
	if err != nil {
		return timing{}, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+e.userToken)
	t0 := time.Now()
	resp, err := e.client.Do(req)
	if err != nil {
		return timing{}, nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	t := parseServerTiming(resp.Header.Get("Server-Timing"))
	t.client = time.Since(t0)
	if err != nil {
		return t, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return t, nil, fmt.Errorf("GET %s: %d", path, resp.StatusCode)
	}
	return t, body, nil
}

// diagnostics turns on, in the load tool's own private cluster, what the
// tails are read from: pg_stat_statements, the commit time of every
// transaction (the lag's parts), and the time of WAL and data I/O. Both
// binaries of a -bin pair and pgbench run on the same settings.
func (e *env) diagnostics(ctx context.Context) error {
	if e.cluster == nil {
		return nil
	}
	for _, set := range []string{
		`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`,
		`ALTER SYSTEM SET track_commit_timestamp = on`,
		`ALTER SYSTEM SET track_wal_io_timing = on`,
		`ALTER SYSTEM SET track_io_timing = on`,
	} {
		if _, err := e.pool.Exec(ctx, set); err != nil {
			return fmt.Errorf("%s: %w", set, err)
		}
	}
	e.pool.Reset()
	if err := e.cluster.Restart(ctx, "fast"); err != nil {
		return err
	}
	_, err := e.pool.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS pg_stat_statements`)
	return err
}

// pgSnap is the database's cumulative counters at one moment.
type pgSnap struct {
	checkpoints, buffersCheckpoint, buffersBackend, walBuffersFull, walSync, walWrite int64
	walSyncMS, walWriteMS                                                             float64
	vacuums                                                                           map[string]int64
}

func (e *env) pgSnapshot(ctx context.Context) pgSnap {
	var s pgSnap
	_ = e.pool.QueryRow(ctx, `SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint, buffers_backend FROM pg_stat_bgwriter`).
		Scan(&s.checkpoints, &s.buffersCheckpoint, &s.buffersBackend)
	_ = e.pool.QueryRow(ctx, `SELECT wal_buffers_full, wal_sync, wal_write, wal_sync_time, wal_write_time FROM pg_stat_wal`).
		Scan(&s.walBuffersFull, &s.walSync, &s.walWrite, &s.walSyncMS, &s.walWriteMS)
	s.vacuums = map[string]int64{}
	rows, err := e.pool.Query(ctx, `SELECT relname, autovacuum_count + autoanalyze_count FROM pg_stat_user_tables`)
	if err == nil {
		for rows.Next() {
			var name string
			var n int64
			if rows.Scan(&name, &n) == nil {
				s.vacuums[name] = n
			}
		}
		rows.Close()
	}
	return s
}

// since says what the database did between before and s.
func (s pgSnap) since(before pgSnap) string {
	var vac []string
	for name, n := range s.vacuums {
		if d := n - before.vacuums[name]; d > 0 {
			vac = append(vac, fmt.Sprintf("%s %d", name, d))
		}
	}
	slices.Sort(vac)
	if len(vac) == 0 {
		vac = []string{"none"}
	}
	syncs := s.walSync - before.walSync
	perSync := 0.0
	if syncs > 0 {
		perSync = (s.walSyncMS - before.walSyncMS) / float64(syncs)
	}
	return fmt.Sprintf("checkpoints %d (%d buffers; %d written by backends); WAL syncs %d (mean %.2f ms), writes %d, wal_buffers full %d; autovacuum/analyze runs: %s",
		s.checkpoints-before.checkpoints, s.buffersCheckpoint-before.buffersCheckpoint, s.buffersBackend-before.buffersBackend,
		syncs, perSync, s.walWrite-before.walWrite, s.walBuffersFull-before.walBuffersFull, strings.Join(vac, ", "))
}

// resetStatements empties pg_stat_statements (false when it is not there).
func (e *env) resetStatements(ctx context.Context) bool {
	_, err := e.pool.Exec(ctx, `SELECT pg_stat_statements_reset()`)
	return err == nil
}

// statements is what pg_stat_statements saw since its reset: the statement
// matching like (its calls, mean, stddev and max execution time in the
// database), and the three with the longest single execution.
func (e *env) statements(ctx context.Context, like string) string {
	var parts []string
	var calls int64
	var mean, stddev, maxMS float64
	if err := e.pool.QueryRow(ctx, `SELECT sum(calls)::bigint, sum(mean_exec_time * calls) / sum(calls), max(stddev_exec_time), max(max_exec_time)
		FROM pg_stat_statements WHERE query LIKE $1`, like).Scan(&calls, &mean, &stddev, &maxMS); err == nil {
		parts = append(parts, fmt.Sprintf("the measured query in the database: %d calls, mean %.2f ms, stddev %.2f ms, max %.1f ms", calls, mean, stddev, maxMS))
	}
	rows, err := e.pool.Query(ctx, `SELECT left(regexp_replace(query, '\s+', ' ', 'g'), 70), calls, mean_exec_time, max_exec_time
		FROM pg_stat_statements ORDER BY max_exec_time DESC LIMIT 3`)
	if err == nil {
		for rows.Next() {
			var q string
			var n int64
			var m, mx float64
			if rows.Scan(&q, &n, &m, &mx) == nil {
				parts = append(parts, fmt.Sprintf("max %.1f ms (mean %.2f, %d calls): %s", mx, m, n, q))
			}
		}
		rows.Close()
	}
	if len(parts) == 0 {
		return "no pg_stat_statements"
	}
	return strings.Join(parts, "; ")
}

// goSnap is the server's Go runtime counters (its /metrics) at one moment.
type goSnap struct {
	hist     map[string][]bucket // histogram name → cumulative buckets
	counters map[string]float64
}

type bucket struct {
	le    float64
	count float64
}

// scrapeGo reads the Go runtime's series from the server's /metrics.
func (e *env) scrapeGo(ctx context.Context) goSnap {
	s := goSnap{hist: map[string][]bucket{}, counters: map[string]float64{}}
	req, err := http.NewRequestWithContext(ctx, "GET", e.base+"/metrics", nil)
	if err != nil {
		return s
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return s
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	for lines.Scan() {
		line := lines.Text()
		if !strings.HasPrefix(line, "go_") && !strings.HasPrefix(line, "process_") {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			continue
		}
		if h, le, ok := strings.Cut(name, `_bucket{le="`); ok {
			bound, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
			if err != nil {
				bound = math.Inf(1)
			}
			s.hist[h] = append(s.hist[h], bucket{bound, v})
			continue
		}
		s.counters[name] = v
	}
	return s
}

// quantile is the upper bound of the bucket holding the q-th quantile of
// what a histogram counted between before and s.
func (s goSnap) quantile(before goSnap, name string, q float64) (float64, float64) {
	b := s.hist[name]
	if len(b) == 0 {
		return 0, 0
	}
	old := map[float64]float64{}
	for _, x := range before.hist[name] {
		old[x.le] = x.count
	}
	total := b[len(b)-1].count - old[b[len(b)-1].le]
	if total <= 0 {
		return 0, 0
	}
	for _, x := range b {
		if x.count-old[x.le] >= q*total {
			return x.le, total
		}
	}
	return math.Inf(1), total
}

// since says what the server's Go runtime did between before and s.
func (s goSnap) since(before goSnap) string {
	if len(s.hist["go_sched_latencies_seconds"]) == 0 {
		return "no Go runtime histograms (an older server)"
	}
	sched99, n := s.quantile(before, "go_sched_latencies_seconds", 0.99)
	sched999, _ := s.quantile(before, "go_sched_latencies_seconds", 0.999)
	pause99, pauses := s.quantile(before, "go_sched_pauses_total_gc_seconds", 0.99)
	gcCPU := s.counters["go_cpu_classes_gc_total_cpu_seconds_total"] - before.counters["go_cpu_classes_gc_total_cpu_seconds_total"]
	allCPU := s.counters["go_cpu_classes_total_cpu_seconds_total"] - before.counters["go_cpu_classes_total_cpu_seconds_total"]
	idle := s.counters["go_cpu_classes_idle_cpu_seconds_total"] - before.counters["go_cpu_classes_idle_cpu_seconds_total"]
	gcShare := 0.0
	if busy := allCPU - idle; busy > 0 {
		gcShare = 100 * gcCPU / busy
	}
	cycles := s.counters["go_gc_cycles_total_gc_cycles_total"] - before.counters["go_gc_cycles_total_gc_cycles_total"]
	return fmt.Sprintf("goroutines runnable before running: p99 ≤ %.2f ms, p99.9 ≤ %.2f ms (%.0f waits); GC: %.0f cycles, %.0f stop-the-world pauses, p99 ≤ %.2f ms, %.0f %% of the server's busy CPU; heap goal %.0f MiB, resident %.0f MiB",
		1000*sched99, 1000*sched999, n, cycles, pauses, 1000*pause99, gcShare,
		s.counters["go_gc_heap_goal_bytes"]/(1<<20), s.counters["process_resident_memory_bytes"]/(1<<20))
}

// phaseProbe takes the database's and the runtime's counters before a
// phase and says, after it, what they did meanwhile.
type phaseProbe struct {
	cpu, cpuEnd cpuSnap
	pg          pgSnap
	goRT        goSnap
	hasPSS      bool
}

func (e *env) probe(ctx context.Context) *phaseProbe {
	p := &phaseProbe{hasPSS: e.resetStatements(ctx)}
	p.pg = e.pgSnapshot(ctx)
	p.goRT = e.scrapeGo(ctx)
	p.cpu = e.cpuSnapshot()
	return p
}

// end marks the end of the phase.
func (p *phaseProbe) end(e *env) { p.cpuEnd = e.cpuSnapshot() }

// report adds the phase's notes, prefixed by what.
func (p *phaseProbe) report(ctx context.Context, e *env, r *report, what, like string) {
	r.note(what + ", CPU: " + p.cpuEnd.since(p.cpu))
	r.note(what + ", the database: " + e.pgSnapshot(ctx).since(p.pg))
	if p.hasPSS {
		r.note(what + ", statements: " + e.statements(ctx, like))
	}
	r.note(what + ", the server's Go runtime: " + e.scrapeGo(ctx).since(p.goRT))
}

// lagSample is one sampled text of the lag phase.
type lagSample struct {
	messageID string
	acked     time.Time // when its webhook answered 200
	seen      time.Time // when a read of its thread first showed it
}

// lagParts splits the slowest 1 % of the lag samples (and all of them) at
// the commit of the projection that made each text visible, read from the
// database's commit timestamps: ack → projection commit is the pipeline's
// (the projectors' read of the log, their page, its commit), projection
// commit → seen the read path's (the load tool's next poll, sign-in, the
// read).
func (e *env) lagParts(ctx context.Context, ss []lagSample) string {
	type part struct{ total, project, read time.Duration }
	var parts []part
	for _, s := range ss {
		var committed *time.Time
		if err := e.pool.QueryRow(ctx, `SELECT pg_xact_commit_timestamp(xmin) FROM messages WHERE id = $1`, s.messageID).Scan(&committed); err != nil || committed == nil {
			continue
		}
		parts = append(parts, part{s.seen.Sub(s.acked), committed.Sub(s.acked), s.seen.Sub(*committed)})
	}
	if len(parts) == 0 {
		return "no commit timestamps (track_commit_timestamp is off)"
	}
	slices.SortFunc(parts, func(a, b part) int { return int(a.total - b.total) })
	sum := func(ps []part) string {
		var t, p, r []time.Duration
		for _, x := range ps {
			t, p, r = append(t, x.total), append(p, x.project), append(r, x.read)
		}
		return fmt.Sprintf("median %s = ack → projection committed %s (max %s) + committed → seen %s (max %s)",
			ms(percentile(t, 50)), ms(percentile(p, 50)), ms(percentile(p, 100)), ms(percentile(r, 50)), ms(percentile(r, 100)))
	}
	k := max(1, len(parts)/100)
	return fmt.Sprintf("slowest 1 %% (%d): %s; all (%d): %s", k, sum(parts[len(parts)-k:]), len(parts), sum(parts))
}

// slowStatements counts the server's "slow database call" lines
// (DATABASE_SLOW_STATEMENT) by pool and statement, the most frequent first.
func (e *env) slowStatements() string {
	b, err := os.ReadFile(filepath.Join(e.dir, "server.log"))
	if err != nil {
		return "no server log (-server-logs sends it to stderr)"
	}
	type key struct{ pool, sql string }
	count := map[key]int{}
	worst := map[key]time.Duration{}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"slow database call"`)) {
			continue
		}
		var l struct{ Pool, SQL, Duration string }
		if json.Unmarshal(line, &l) != nil {
			continue
		}
		k := key{l.Pool, shortSQL(l.SQL)}
		count[k]++
		if d, err := time.ParseDuration(l.Duration); err == nil && d > worst[k] {
			worst[k] = d
		}
	}
	if len(count) == 0 {
		return "none"
	}
	keys := slices.SortedFunc(maps.Keys(count), func(a, b key) int { return count[b] - count[a] })
	var parts []string
	for _, k := range keys[:min(5, len(keys))] {
		parts = append(parts, fmt.Sprintf("%d× (worst %s) %s: %s", count[k], ms(worst[k]), k.pool, k.sql))
	}
	return strings.Join(parts, "; ")
}

// shortSQL is a statement's start and the start of its FROM clause: enough
// to tell two reads of one table apart.
func shortSQL(sql string) string {
	cut := func(s string, n int) string {
		if len(s) > n {
			return s[:n] + "…"
		}
		return s
	}
	if head, from, ok := strings.Cut(sql, " FROM "); ok && len(head) > 30 {
		return cut(head, 30) + " FROM " + cut(from, 50)
	}
	return cut(sql, 80)
}

// cpuTimes is how long a set of processes' threads ran and how long they
// stood runnable waiting for a CPU (the kernel's schedstat), in all.
type cpuTimes struct{ ran, waited time.Duration }

// schedstat reads /proc/PID/task/*/schedstat of every thread of pids, by
// thread.
func schedstat(pids []int) map[string]cpuTimes {
	out := map[string]cpuTimes{}
	for _, pid := range pids {
		tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
		for _, t := range tasks {
			b, err := os.ReadFile(t)
			if err != nil {
				continue
			}
			f := strings.Fields(string(b))
			if len(f) < 2 {
				continue
			}
			ran, _ := strconv.ParseInt(f[0], 10, 64)
			waited, _ := strconv.ParseInt(f[1], 10, 64)
			out[t] = cpuTimes{time.Duration(ran), time.Duration(waited)}
		}
	}
	return out
}

// sinceThreads adds up what each thread did between two readings; a
// thread that ended meanwhile is left out (its last figures are gone), a
// new one counts from its start.
func sinceThreads(after, before map[string]cpuTimes) cpuTimes {
	var c cpuTimes
	for t, a := range after {
		b := before[t]
		c.ran += a.ran - b.ran
		c.waited += a.waited - b.waited
	}
	return c
}

// postgresPIDs are the private cluster's postmaster and its children (the
// backends, the WAL writer, the checkpointer…); none without a cluster.
func (e *env) postgresPIDs() []int {
	if e.cluster == nil {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(e.cluster.Dir, "data", "postmaster.pid"))
	if err != nil {
		return nil
	}
	first, _, _ := strings.Cut(string(b), "\n")
	postmaster, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return nil
	}
	pids := []int{postmaster}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, s := range stats {
		b, err := os.ReadFile(s)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …: comm may hold spaces, so read after ')'.
		_, rest, ok := strings.Cut(string(b), ") ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) > 1 && f[1] == strconv.Itoa(postmaster) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(s)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// cpuSnap is the server's and the database's CPU times at one moment.
type cpuSnap struct {
	at               time.Time
	server, database map[string]cpuTimes
}

func (e *env) cpuSnapshot() cpuSnap {
	s := cpuSnap{at: time.Now(), database: schedstat(e.postgresPIDs())}
	if e.server != nil {
		s.server = schedstat([]int{e.server.Process.Pid})
	}
	return s
}

// since says, per second of the phase, how many CPU-seconds the server's
// and the database's threads ran and how many they stood runnable waiting
// for a CPU: time that no pool counter or statement timing shows as such.
func (s cpuSnap) since(before cpuSnap) string {
	secs := s.at.Sub(before.at).Seconds()
	f := func(a, b map[string]cpuTimes) string {
		d := sinceThreads(a, b)
		return fmt.Sprintf("ran %.2f cores, waited for a CPU %.2f cores", d.ran.Seconds()/secs, d.waited.Seconds()/secs)
	}
	return fmt.Sprintf("server %s; PostgreSQL %s (the machine has %d cores; load average %s)",
		f(s.server, before.server), f(s.database, before.database), runtime.NumCPU(), loadAverage())
}

// restartWith stops the server and starts bin on the same database (the
// same one when it already runs bin).
func (e *env) restartWith(ctx context.Context, bin string) error {
	if e.server != nil && e.bin == bin {
		return nil
	}
	if err := e.stopServer(); err != nil {
		e.log.Warn("the server's exit", "err", err)
	}
	e.bin = bin
	return e.startServer(ctx)
}
