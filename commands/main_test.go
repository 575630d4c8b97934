package commands_test

import (
	"testing"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// TestMain gives the tests that ask for a database (pgtest.NewPool: those
// that reach into the PostgreSQL store's table) a PostgreSQL server. The
// others run on the event store in memory and need none.
func TestMain(m *testing.M) { pgtest.Main(m) }
