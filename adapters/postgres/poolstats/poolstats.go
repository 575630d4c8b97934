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

// Collector reads pool's statistics at every scrape, labelled name.
type Collector struct {
	name string
	pool *pgxpool.Pool
}

// New is the collector of pool, labelled name ("primary", "reads").
func New(name string, pool *pgxpool.Pool) *Collector { return &Collector{name: name, pool: pool} }

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- acquires
	ch <- waited
	ch <- waitSeconds
	ch <- conns
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(acquires, prometheus.CounterValue, float64(s.AcquireCount()), c.name)
	ch <- prometheus.MustNewConstMetric(waited, prometheus.CounterValue, float64(s.EmptyAcquireCount()), c.name)
	ch <- prometheus.MustNewConstMetric(waitSeconds, prometheus.CounterValue, s.AcquireDuration().Seconds(), c.name)
	ch <- prometheus.MustNewConstMetric(conns, prometheus.GaugeValue, float64(s.AcquiredConns()), c.name, "acquired")
	ch <- prometheus.MustNewConstMetric(conns, prometheus.GaugeValue, float64(s.IdleConns()), c.name, "idle")
	ch <- prometheus.MustNewConstMetric(conns, prometheus.GaugeValue, float64(s.MaxConns()), c.name, "max")
}
