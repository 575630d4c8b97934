// Package poolstats exports a pgxpool's own counters to Prometheus: how
// many connections were acquired, how many acquisitions found no idle
// connection and waited, and for how long in all. A request that queues
// for a connection shows here before it shows anywhere else.
package poolstats

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

var (
	acquires = prometheus.NewDesc("smsinbox_db_pool_acquires_total",
		"Connections acquired from the pool.", []string{"pool"}, nil)
	waited = prometheus.NewDesc("smsinbox_db_pool_waited_acquires_total",
		"Acquisitions that found no idle connection and waited for one (or for a new one to connect).", []string{"pool"}, nil)
	waitSeconds = prometheus.NewDesc("smsinbox_db_pool_acquire_seconds_total",
		"Time spent acquiring connections, waits included.", []string{"pool"}, nil)
	conns = prometheus.NewDesc("smsinbox_db_pool_connections",
		"The pool's connections by state (acquired, idle) and its size (max).", []string{"pool", "state"}, nil)
)

// Collector reads its pools' statistics at every scrape, each labelled
// with its name. One collector holds every pool: a Prometheus registry
// takes each metric's description from one collector only.
type Collector struct {
	pools []named
}

type named struct {
	name string
	pool *pgxpool.Pool
}

// New is a collector without pools; Add adds them.
func New() *Collector { return &Collector{} }

// Add adds pool, labelled name ("primary", "queries", "reads"), and
// returns c. A nil pool is left out.
func (c *Collector) Add(name string, pool *pgxpool.Pool) *Collector {
	if pool != nil {
		c.pools = append(c.pools, named{name, pool})
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- acquires
	ch <- waited
	ch <- waitSeconds
	ch <- conns
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.pools {
		s := p.pool.Stat()
		ch <- prometheus.MustNewConstMetric(acquires, prometheus.CounterValue, float64(s.AcquireCount()), p.name)
		ch <- prometheus.MustNewConstMetric(waited, prometheus.CounterValue, float64(s.EmptyAcquireCount()), p.name)
		ch <- prometheus.MustNewConstMetric(waitSeconds, prometheus.CounterValue, s.AcquireDuration().Seconds(), p.name)
		ch <- prometheus.MustNewConstMetric(conns, prometheus.GaugeValue, float64(s.AcquiredConns()), p.name, "acquired")
		ch <- prometheus.MustNewConstMetric(conns, prometheus.GaugeValue, float64(s.IdleConns()), p.name, "idle")
		ch <- prometheus.MustNewConstMetric(conns, prometheus.GaugeValue, float64(s.MaxConns()), p.name, "max")
	}
}
