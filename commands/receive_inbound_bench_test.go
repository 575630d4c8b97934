package commands

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time this process has used (user and system): what a
// benchmark's operations cost in CPU, which other processes' load on the
// machine moves far less than their wall time.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// BenchmarkReceiveInbound is the webhook's command without HTTP, wired as
// the server wires it (remembered states, routes and company states), on
// PostgreSQL: each text from a new customer, as the load tool sends them,
// one at a time (c1) and sixteen at once (c16). cpu-us/op is this
// process's CPU time a text (PostgreSQL's not included).
func BenchmarkReceiveInbound(b *testing.B) {
	for _, tc := range []struct {
		name        string
		parallelism int
	}{{"c1", 0}, {"c16", 8}} {
		b.Run(tc.name, func(b *testing.B) {
			e := newStatesEnv(b)
			h := NewReceiveInboundHandler(ReceiveInboundDeps{Store: e.a, Logger: slog.New(slog.DiscardHandler),
				CancelUnsent: NewCancelUnsentHandler(e.a), Now: time.Now,
				Route: NewRoutes(e.a).Route, Companies: NewCompanyStates(e.a)})
			var next atomic.Int64
			handle := func() {
				i := next.Add(1)
				_, err := h.Handle(context.Background(), InboundText{MessageSID: fmt.Sprintf("SM%032x", i),
					From: fmt.Sprintf("+1202%07d", 2000000+i), To: statesNumber, Body: "Is Tuesday at 10 still ok for the cleaning?"})
				if err != nil {
					b.Error(err)
				}
			}
			handle() // the company and the statements, once
			b.ReportAllocs()
			began := next.Load()
			cpu := cpuTime(b)
			if tc.parallelism == 0 {
				for b.Loop() {
					handle()
				}
			} else {
				b.SetParallelism(tc.parallelism) // × GOMAXPROCS callers
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						handle()
					}
				})
			}
			b.ReportMetric(float64((cpuTime(b)-cpu).Microseconds())/float64(next.Load()-began), "cpu-us/op")
		})
	}
}
