// Package transient tells the errors that a retry can mend (the database
// restarting, a connection dropped, a serialization failure) from those that
// will fail again however often they are retried (a bug, a constraint, a
// document this code cannot read).
//
// The log's consumers use it to decide what to do with an event that failed:
// a transient failure is retried until the database is back, for as long as
// that takes; any other failure sets that one event aside so that the events
// after it still flow.
package transient

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// SQLSTATE codes, and classes (the first two characters), that a retry can
// mend.
var (
	retryableClasses = map[string]bool{
		"08": true, // connection exception
		"53": true, // insufficient resources (too many connections, disk full, out of memory)
		"57": true, // operator intervention (admin_shutdown, crash_shutdown, cannot_connect_now)
		"58": true, // system error (I/O)
	}
	retryableCodes = map[string]bool{
		"40001": true, // serialization_failure
		"40P01": true, // deadlock_detected
		"55P03": true, // lock_not_available
		"25006": true, // read_only_sql_transaction (a primary that became a standby mid-failover)
	}
)

// Mark makes err one that Is reports as transient: a failure this code
// knows a retry mends, though it comes from no database or network.
func Mark(err error) error { return marked{err} }

type marked struct{ error }

func (m marked) Unwrap() error { return m.error }

// Is reports whether err is one that trying again later can mend: the
// database or the network failed, not the work itself. A context that ended
// counts too: the work was stopped, not refused.
func Is(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if errors.As(err, new(marked)) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return retryableCodes[pgErr.Code] || (len(pgErr.Code) == 5 && retryableClasses[pgErr.Code[:2]])
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.Unavailable, codes.DeadlineExceeded, codes.Aborted, codes.ResourceExhausted:
			return true
		}
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
