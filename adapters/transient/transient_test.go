package transient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestIs(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"admin shutdown (a restart)", &pgconn.PgError{Code: "57P01"}, true},
		{"cannot connect now (starting up)", &pgconn.PgError{Code: "57P03"}, true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"too many connections", &pgconn.PgError{Code: "53300"}, true},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true},
		{"deadlock", &pgconn.PgError{Code: "40P01"}, true},
		{"unique violation: the work itself", &pgconn.PgError{Code: "23505"}, false},
		{"undefined column: a bug", &pgconn.PgError{Code: "42703"}, false},
		{"wrapped admin shutdown", fmt.Errorf("inbox: at 12: %w", &pgconn.PgError{Code: "57P01"}), true},
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"connection reset", syscall.ECONNRESET, true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"conn closed", pgconn.ErrConnClosed, true},
		{"context canceled", context.Canceled, true},
		{"gRPC unavailable (EventStoreDB down)", status.Error(codes.Unavailable, "down"), true},
		{"gRPC invalid argument", status.Error(codes.InvalidArgument, "bad"), false},
		{"marked by its code", fmt.Errorf("recorder: %w", Mark(errors.New("checkpoint behind"))), true},
		{"the same error unmarked", errors.New("checkpoint behind"), false},
		{"a decoding error", errors.New("json: cannot unmarshal"), false},
	} {
		if got := Is(c.err); got != c.want {
			t.Errorf("%s: Is(%v) = %v, want %v", c.name, c.err, got, c.want)
		}
	}
}
