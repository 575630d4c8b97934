package commands

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkReceiveInbound is the webhook's command without HTTP, wired as
// the server wires it (remembered states, routes and company states), on
// PostgreSQL: each text from a new customer, as the load tool sends them,
// one at a time (c1) and sixteen at once (c16).
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
			if tc.parallelism == 0 {
				for b.Loop() {
					handle()
				}
				return
			}
			b.SetParallelism(tc.parallelism) // × GOMAXPROCS callers
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					handle()
				}
			})
		})
	}
}
