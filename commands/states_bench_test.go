package commands

import (
	"slices"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// BenchmarkLongThread is the long-thread figure without HTTP: 3,000
// texts from one customer, one after another, and the median time to
// record the last 200 over the first 200's, for commands that fold the
// whole stream and for commands that start from remembered states. Run it
// with -benchtime 1x; ratio is the figure (target ≤ 1.5).
func BenchmarkLongThread(b *testing.B) {
	const texts, window = 3000, 200
	for _, tc := range []struct {
		name  string
		store func(*statesEnv) eventstore.Store
	}{
		{"whole-stream", func(e *statesEnv) eventstore.Store { return e.plain }},
		{"remembered-states", func(e *statesEnv) eventstore.Store { return e.a }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var first, last []time.Duration
			for b.Loop() {
				b.StopTimer()
				e := newStatesEnv(b)
				h := e.receive(tc.store(e))
				b.StartTimer()
				took := make([]time.Duration, texts)
				for i := range texts {
					start := time.Now()
					text(b, h, i+1)
					took[i] = time.Since(start)
				}
				first = append(first, took[:window]...)
				last = append(last, took[texts-window:]...)
			}
			median := func(d []time.Duration) time.Duration {
				d = slices.Clone(d)
				slices.Sort(d)
				return d[len(d)/2]
			}
			b.ReportMetric(float64(median(first).Microseconds())/1000, "first-ms")
			b.ReportMetric(float64(median(last).Microseconds())/1000, "last-ms")
			b.ReportMetric(float64(median(last))/float64(median(first)), "ratio")
		})
	}
}
