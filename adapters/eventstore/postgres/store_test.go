package postgres

import (
	"testing"

	"github.com/smsinbox/smsinbox/adapters/eventstore/contract"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestContract runs the shared contract against PostgreSQL. Each client has
// a pool and a writer of its own, as a separate process would.
func TestContract(t *testing.T) {
	url := pgtest.NewDatabase(t)
	open := func(t *testing.T) eventstore.Store {
		t.Helper()
		_, s := openStore(t, url, Config{})
		return s
	}
	contract.Run(t, open, contract.Options{})
}
