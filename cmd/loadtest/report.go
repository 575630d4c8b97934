package main

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"text/tabwriter"
	"time"
)

// samples collects durations from many goroutines.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *samples) n() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

// p is the q-th percentile (nearest rank); 0 without samples.
func (s *samples) p(q float64) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return percentile(s.d, q)
}

func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	i := int(q/100*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// report is the table the run prints.
type report struct {
	started time.Time
	rows    [][3]string
	notes   []string
}

func (r *report) add(figure, measured, target string) {
	r.rows = append(r.rows, [3]string{figure, measured, target})
}

func (r *report) note(s string) { r.notes = append(r.notes, s) }

func (r *report) print(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "\nsmsinbox load test, %s, %s\n\n", r.started.UTC().Format(time.RFC3339), time.Since(r.started).Round(time.Second)); err != nil {
		return err
	}
	// A tabwriter keeps its rows until Flush, which reports a failed write.
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "figure\tmeasured\ttarget")
	for _, row := range r.rows {
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\n", row[0], row[1], row[2])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.notes {
		if _, err := fmt.Fprintln(w, "note:", n); err != nil {
			return err
		}
	}
	return nil
}
