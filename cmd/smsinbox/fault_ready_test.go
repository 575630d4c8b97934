package main

// The fault tests' watch on /readyz: what each server answered, and when;
// and whether it ever answered ready while a consumer of the log was
// claimed by no one.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// readySample is one answer of a server's /readyz.
type readySample struct {
	server string
	began  time.Time // the probe
	at     time.Time // its answer
	ok     bool
}

// readyWatch asks each watched server's /readyz every 25 ms (the pace of
// the probe, as a load balancer's) until stopped. Around each probe it
// looks at pg_locks: a server that answers ready while, before and after
// its answer, some consumer's lock is held by no session has lied.
type readyWatch struct {
	e       *faultEnv
	stopped chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	samples []readySample
	lies    []string
	sampled change // at each sample
}

func (e *faultEnv) watchReady(servers ...*serverProc) *readyWatch {
	w := &readyWatch{e: e, stopped: make(chan struct{})}
	for _, s := range servers {
		w.wg.Go(func() { w.probe(s) })
	}
	e.t.Cleanup(w.stop)
	return w
}

func (w *readyWatch) probe(s *serverProc) {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-w.stopped:
			return
		case <-tick.C:
		}
		began := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		before, errBefore := w.e.unheld(ctx)
		ok := w.e.ready(ctx, s)
		at := time.Now()
		after, errAfter := w.e.unheld(ctx)
		cancel()
		w.mu.Lock()
		w.samples = append(w.samples, readySample{server: s.name, began: began, at: at, ok: ok})
		if ok && errBefore == nil && errAfter == nil {
			for _, name := range before {
				if slices.Contains(after, name) {
					w.lies = append(w.lies, fmt.Sprintf("%s answered ready at %s while no session held consumer %s",
						s.name, at.Format("15:04:05.000"), name))
				}
			}
		}
		w.mu.Unlock()
		w.sampled.notify()
	}
}

func (w *readyWatch) stop() {
	if !closed(w.stopped) {
		close(w.stopped)
	}
	w.wg.Wait()
}

// recovery reads the watch of server since from: whether it answered not
// ready at some point, and when it next answered ready after that. It
// first waits for a probe of server that began after now (the caller has
// just seen the server ready), so that the watch has seen it too.
func (w *readyWatch) recovery(server string, since time.Time) (sawNotReady bool, readyAt time.Time) {
	now := time.Now()
	w.sampled.await(func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for i := len(w.samples) - 1; i >= 0 && w.samples[i].at.After(now); i-- {
			if w.samples[i].server == server && w.samples[i].began.After(now) {
				return true
			}
		}
		return false
	}, w.stopped)
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.samples {
		if s.server != server || s.at.Before(since) {
			continue
		}
		if !s.ok {
			sawNotReady = true
			readyAt = time.Time{}
		} else if sawNotReady && readyAt.IsZero() {
			readyAt = s.at
		}
	}
	return sawNotReady, readyAt
}

// checkTruthful reports every time a server answered ready while a
// consumer was claimed by no one.
func (w *readyWatch) checkTruthful() int {
	w.e.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.lies) > 0 {
		w.e.t.Errorf("/readyz answered ready while a consumer of the log was down, %d times: %s",
			len(w.lies), strings.Join(w.lies[:min(5, len(w.lies))], "; "))
	}
	return len(w.lies)
}
