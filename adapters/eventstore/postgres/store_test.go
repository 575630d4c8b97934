package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

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
		pool, err := pgxpool.New(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		s, err := New(context.Background(), pool, Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close(); pool.Close() })
		return s
	}
	contract.Run(t, open, contract.Options{})
}
