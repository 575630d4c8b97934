package poolstats_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/adapters/postgres/poolstats"
)

// Two pools register as one collector, each labelled with its name, and
// an acquisition counts on its own pool only.
func TestPoolsCountTheirOwnAcquisitions(t *testing.T) {
	primary, queries := pgtest.NewPool(t), pgtest.NewPool(t)
	reg := prometheus.NewRegistry()
	reg.MustRegister(poolstats.New().Add("primary", primary).Add("queries", queries).Add("reads", nil))
	if err := queries.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP smsinbox_db_pool_acquires_total Connections acquired from the pool.
# TYPE smsinbox_db_pool_acquires_total counter
smsinbox_db_pool_acquires_total{pool="primary"} 0
smsinbox_db_pool_acquires_total{pool="queries"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "smsinbox_db_pool_acquires_total"); err != nil {
		t.Error(err)
	}
}
