package commands_test

import (
	"testing"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// TestMain gives the package's tests a PostgreSQL server (pgtest.NewPool).
func TestMain(m *testing.M) { pgtest.Main(m) }
