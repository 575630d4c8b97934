// Command loadtest measures smsinbox black-box, as an operator would: it
// starts what it needs as the tests do (a private PostgreSQL cluster unless
// DATABASE_URL is set, the real `smsinbox serve` binary, a fake Twilio on
// loopback), drives it over HTTP with signed webhooks and dashboard reads,
// measures pgbench's one-row INSERT rate on the same database in the same
// run as the yardstick, and prints each figure beside its target.
//
//	go run ./cmd/loadtest                 # every figure, about four minutes
//	go run ./cmd/loadtest -phase 4s -threads 5000 -long 1000   # a quicker run
//
// Every loop is bounded in time and in requests, and every address is on
// loopback. Figures vary between runs on a shared machine: the load average
// is printed beside them, and a comparison holds only within one run.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// options are the run's sizes and durations.
type options struct {
	phase      time.Duration // each timed phase
	threads    int           // customers (threads) seeded before the reads
	messages   int           // texts seeded in all (at least one a thread)
	only       map[string]bool
	long       int   // texts in the one long thread
	rates      []int // texts/s at which lag is measured
	serverLogs bool
	// bin is a smsinbox binary to run instead of one built from the
	// working tree: an older build, for a before/after pair.
	bin string
	// webhooksOnly measures the webhook rows alone (the ack rates, their
	// p99, the long thread): a quicker run when working on that path.
	webhooksOnly bool
	bulkOnly     bool     // only the bulk paths: seeding, Download All, rebuild
	exportRows   int      // messages Download All reads, topped up in the read model
	serverEnv    []string // KEY=VALUE pairs added to the server's environment
	// compare is a second smsinbox binary whose thread list is measured
	// beside the first's on the same seeded data (ABBA).
	compare string
}

func main() {
	var o options
	flag.DurationVar(&o.phase, "phase", 8*time.Second, "length of each timed phase")
	flag.IntVar(&o.threads, "threads", 20000, "threads (customers) seeded before the thread-list and export figures")
	flag.IntVar(&o.long, "long", 3000, "texts in the one long thread (first 200 vs last 200)")
	rate1 := flag.Int("rate-low", 300, "the lower texts/s rate at which lag is measured")
	rate2 := flag.Int("rate-high", 1000, "the higher texts/s rate at which lag is measured")
	flag.IntVar(&o.messages, "messages", 0, "texts seeded in all, spread evenly over the threads, straight into the event store (0: one a thread)")
	only := flag.String("only", "", "comma-separated figures to measure, of "+strings.Join(figureNames, ",")+" (empty: all)")
	flag.StringVar(&o.bin, "bin", "", "run this smsinbox binary instead of building ./cmd/smsinbox (a before/after pair)")
	flag.BoolVar(&o.serverLogs, "server-logs", false, "pass the server's logs through to stderr")
	flag.BoolVar(&o.webhooksOnly, "webhooks-only", false, "measure only the webhook rows (ack rates, ack p99, the long thread)")
	flag.BoolVar(&o.bulkOnly, "bulk-only", false, "measure only the bulk paths: seed the threads, then Download All and rebuild")
	flag.IntVar(&o.exportRows, "export-rows", 0, "top the company's messages up to this many before Download All, copied straight into the read model (0: the texts the run posted)")
	flag.StringVar(&o.compare, "compare", "", "measure the thread list again with this smsinbox binary on the same seeded data (first, this, this, first)")
	serverEnv := flag.String("server-env", "", "comma-separated KEY=VALUE pairs added to the server's environment (GOGC=200,…): an A/B of a setting on one binary")
	flag.Parse()
	if *serverEnv != "" {
		o.serverEnv = strings.Split(*serverEnv, ",")
	}
	o.rates = []int{*rate1, *rate2}
	if o.webhooksOnly {
		*only = "raw,webhooks,long"
	}
	if *only != "" {
		o.only = map[string]bool{}
		for _, f := range strings.Split(*only, ",") {
			if !slices.Contains(figureNames, f) {
				fmt.Fprintf(os.Stderr, "loadtest: -only: no figure %q (want %s)\n", f, strings.Join(figureNames, ","))
				os.Exit(2)
			}
			o.only[f] = true
		}
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, logger); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// longThread adds the one-long-thread row.
func longThread(ctx context.Context, env *env, o options, r *report, step func(string)) error {
	step("one long thread")
	ratio, first, last, err := env.longThread(ctx, o.long)
	if err != nil {
		return err
	}
	r.add(fmt.Sprintf("median ack, last 200 ÷ first 200 of %d texts in one thread", o.long),
		fmt.Sprintf("%.2f (%s → %s)", ratio, ms(first), ms(last)), "≤ 1.5")
	return nil
}

func run(ctx context.Context, o options, logger *slog.Logger) error {
	env, err := startEnv(ctx, o, logger)
	if err != nil {
		return err
	}
	defer env.Close()

	r := &report{started: time.Now()}
	err = measure(ctx, env, o, r, logger)
	r.note("statements slower than 25 ms in the server's log: " + env.slowStatements())
	if err != nil {
		_ = r.print(os.Stdout) // what was measured before the failure, if stdout takes it
		return err
	}
	return r.print(os.Stdout)
}

// figureNames are the figures -only chooses from, in the order measured.
var figureNames = []string{"raw", "webhooks", "lag", "list", "long", "export", "rebuild"}

// wants reports whether the run measures figure.
func (o options) wants(figure string) bool { return o.only == nil || o.only[figure] }

// measure runs the phases in order, each adding its rows to r.
func measure(ctx context.Context, env *env, o options, r *report, logger *slog.Logger) error {
	step := func(name string) { logger.Info("phase", "name", name, "load_average", loadAverage()) }

	if o.bulkOnly {
		step("seeding threads")
		if err := env.seed(ctx, o.threads); err != nil {
			return err
		}
		return measureBulk(ctx, env, o, r, step)
	}
	var raw1, raw16 float64
	if o.wants("raw") || o.wants("webhooks") {
		step("raw INSERT (pgbench)")
		var err error
		if raw1, err = env.pgbench(ctx, 1, o.phase); err != nil {
			return err
		}
		if raw16, err = env.pgbench(ctx, 16, o.phase); err != nil {
			return err
		}
		r.add("raw INSERT tx/s (pgbench), c1 / c16", fmt.Sprintf("%.0f / %.0f", raw1, raw16), "")
	}

	if o.wants("webhooks") {
		step("webhooks, concurrency 1")
		cpu0 := env.cpuNow()
		c1 := env.hammer(ctx, 1, o.phase, o.threads)
		cpu1 := env.cpuNow()
		step("webhooks, concurrency 16")
		c16 := env.hammer(ctx, 16, o.phase, o.threads)
		cpu16 := env.cpuNow()
		r.note("CPU per acked text at c1: " + perText(cpu0, cpu1, c1.acked) + "; at c16: " + perText(cpu1, cpu16, c16.acked))
		r.add("webhooks acked/s ÷ raw INSERT tx/s, c1", fmt.Sprintf("%.2f (%.0f vs %.0f)", c1.rate()/raw1, c1.rate(), raw1), "≥ 0.5")
		r.add("the same at c16", fmt.Sprintf("%.2f (%.0f vs %.0f)", c16.rate()/raw16, c16.rate(), raw16), "≥ 0.5")
		r.add("webhook ack p99 at c16", ms(c16.latencies.p(99)), "< 20 ms")
		if c1.failed+c16.failed > 0 {
			r.note(fmt.Sprintf("webhooks not acknowledged: %d at c1, %d at c16", c1.failed, c16.failed))
		}
	}

	if o.wants("lag") || o.wants("list") || o.wants("export") || o.wants("rebuild") {
		if o.messages > 0 {
			per := max(1, o.messages/o.threads)
			step(fmt.Sprintf("seeding %d threads of %d texts into the event store", o.threads, per))
			began := time.Now()
			if err := env.seedLog(ctx, o.threads, per); err != nil {
				return err
			}
			r.note(fmt.Sprintf("seeded %d threads × %d texts through the event store, projected, in %s", o.threads, per, time.Since(began).Round(time.Second)))
		} else {
			step("seeding threads")
			if err := env.seed(ctx, o.threads); err != nil {
				return err
			}
		}
	}
	if o.wants("lag") {
		for _, rate := range o.rates {
			step(fmt.Sprintf("lag at %d texts/s", rate))
			cpu0 := env.cpuNow()
			probe := env.probe(ctx)
			lag := env.lag(ctx, rate, o.phase, o.threads)
			probe.end(env)
			r.note(fmt.Sprintf("CPU per text at %d/s: %s", rate, perText(cpu0, env.cpuNow(), int64(lag.achieved*o.phase.Seconds()))))
			r.add(fmt.Sprintf("lag webhook 200 → visible, p99, at %d/s", rate),
				fmt.Sprintf("%s (p50 %s; achieved %.0f/s; ack p99 %s; %d sampled)", ms(lag.visible.p(99)), ms(lag.visible.p(50)),
					lag.achieved, ms(lag.acks.p(99)), lag.visible.n()), "< 50 ms at 1,000/s")
			what := fmt.Sprintf("lag at %d/s", rate)
			r.note(what + ", where the samples' time went: " + env.lagParts(ctx, lag.sampled()))
			r.note(what + ", the reads of the thread: " + lag.reads.String())
			probe.report(ctx, env, r, what, "%FROM messages WHERE company_id = $1 AND thread_id = $2%")
		}
	}

	if o.wants("list") {
		if o.compare == "" {
			measureList(ctx, env, r, step, o.phase, "")
		} else {
			// ABBA on the same seeded data: the first binary, the other
			// twice, the first again, each its own server.
			bins := []string{env.bin, o.compare, o.compare, env.bin}
			for i, bin := range bins {
				if err := env.restartWith(ctx, bin); err != nil {
					return err
				}
				measureList(ctx, env, r, step, o.phase, fmt.Sprintf(" [%d: %s]", i+1, filepath.Base(bin)))
			}
		}
	}

	if o.wants("long") {
		if err := longThread(ctx, env, o, r, step); err != nil {
			return err
		}
	}

	return measureBulk(ctx, env, o, r, step)
}

// measureBulk measures Download All and rebuild (those of them the run
// wants): the last phases, which stop the server.
func measureBulk(ctx context.Context, env *env, o options, r *report, step func(string)) error {
	if o.wants("export") {
		// The export is timed alone: once the read models have applied
		// every text the run posted (the phases before leave a backlog),
		// so that neither the projectors' catching up nor a top-up that
		// counted the messages too early is in its figure.
		step("waiting for the read models before Download All")
		began := time.Now()
		if err := env.waitProjected(ctx); err != nil {
			return err
		}
		r.note(fmt.Sprintf("Download All waited %s for the read models to apply what the run posted", time.Since(began).Round(time.Millisecond)))
		if o.exportRows > 0 {
			step("topping up the messages")
			if err := env.topUpMessages(ctx, o.exportRows); err != nil {
				return err
			}
		}
		step("Download All")
		exp, err := env.exportAll(ctx)
		if err != nil {
			return err
		}
		r.add(fmt.Sprintf("Download All, %d rows", exp.rows),
			fmt.Sprintf("%.0f rows/s (server RSS %+.1f MiB)", exp.rowsPerSecond(), exp.rssDeltaMiB), "≥ 400,000 rows/s, memory flat")
		// The first read of rows written moments before also marks each
		// one's visibility in its page (PostgreSQL's hint bits: a write
		// per page) while autovacuum has not yet been by; a company's
		// history is mostly old rows. The same export again shows the
		// difference.
		step("Download All again")
		again, err := env.exportAll(ctx)
		if err != nil {
			return err
		}
		r.note(fmt.Sprintf("Download All again, the same %d rows: %.0f rows/s (server RSS %+.1f MiB)", again.rows, again.rowsPerSecond(), again.rssDeltaMiB))
	}

	if o.wants("rebuild") {
		step("rebuild")
		events, took, err := env.rebuild(ctx)
		if err != nil {
			return err
		}
		r.add(fmt.Sprintf("smsinbox rebuild, %d events", events), fmt.Sprintf("%.0f events/s (%s)", float64(events)/took.Seconds(), took.Round(time.Millisecond)), "≥ 50,000 events/s")
	}
	r.note("load average at the end: " + loadAverage())
	return nil
}

// measureList adds the thread list's row and notes, label after its name.
func measureList(ctx context.Context, env *env, r *report, step func(string), d time.Duration, label string) {
	step("thread list under writes" + label)
	probe := env.probe(ctx)
	list := env.listUnderWrites(ctx, 8, d)
	probe.end(env)
	var messages int64
	_ = env.pool.QueryRow(ctx, `SELECT count(*) FROM messages`).Scan(&messages)
	r.add(fmt.Sprintf("thread list first page p99, 8 readers, %d threads / %d messages%s", env.threadsSeen(), messages, label),
		fmt.Sprintf("%s (p50 %s, %d reads, %d texts written meanwhile)", ms(list.lat.p(99)), ms(list.lat.p(50)), list.lat.n(), list.writes),
		"< 10 ms at 100,000 threads")
	what := "thread list" + label
	r.note(what + ", the server's pools: " + list.pools)
	r.note(what + ", database sessions: " + list.waits.String())
	r.note(what + ", where the reads' time went (Server-Timing): " + list.timed.String())
	probe.report(ctx, env, r, what, "%ORDER BY last_activity_at DESC, id DESC LIMIT%")
}
