package app

import (
	"context"
	"regexp"

	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/smsinbox/smsinbox/adapters/postgres/dbtime"
)

// goRuntimeMetrics adds to the Go collector's default series the runtime's
// own histograms of what makes a request wait without doing anything: how
// long goroutines stood runnable before they ran (/sched/latencies), the
// stop-the-world pauses (/sched/pauses), and the CPU the garbage collector
// took beside the process's (/cpu/classes). A tail that no pool wait and
// no statement explains shows here (docs/decisions/0037).
var goRuntimeMetrics = collectors.WithGoCollectorRuntimeMetrics(
	collectors.MetricsGC,
	collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/sched/(latencies|pauses/total/gc):seconds$`)},
	collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/cpu/classes/(gc/total|total|idle):cpu-seconds$`)},
)

// dbTimer measures a request's database work for its Server-Timing header.
func dbTimer(ctx context.Context) (context.Context, func() string) {
	ctx, t := dbtime.Start(ctx)
	return ctx, t.ServerTiming
}
