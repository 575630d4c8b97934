package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
)

// TestUsageErrors: a command line smsinbox cannot run is a usageError (told
// plainly, exit status 2), --help is flag.ErrHelp (exit status 0), and
// neither touches a database or the network.
func TestUsageErrors(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		args []string
		says string // in a usageError; "" for flag.ErrHelp
	}{
		{nil, "usage: smsinbox COMMAND"},
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"simulate"}, "usage: smsinbox simulate inbound"},
		{[]string{"simulate", "inbound", "--to", "+12025550123"}, "--to and --from are required"},
		{[]string{"audit", "consent"}, "usage: smsinbox audit consent"},
		{[]string{"audit", "consent", "--company", "c", "--phone", "+12025550187", "--format", "xml"}, "--format must be json or csv"},
		{[]string{"simulate", "inbound", "--help"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			err := run(context.Background(), tt.args, logger)
			if tt.says == "" {
				if !errors.Is(err, flag.ErrHelp) {
					t.Fatalf("err %v, want flag.ErrHelp", err)
				}
				return
			}
			var u usageError
			if !errors.As(err, &u) || !strings.Contains(u.Error(), tt.says) {
				t.Fatalf("err %v, want a usage error saying %q", err, tt.says)
			}
		})
	}
}

// simulate signs as serve checks: with one Twilio credential and not the
// other it refuses (serve would not start), rather than signing with the
// sandbox's token.
func TestSimulateRefusesHalfTwilioCredentials(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("TWILIO_ACCOUNT_SID", "")
	t.Setenv("TWILIO_AUTH_TOKEN", "0123456789abcdef0123456789abcdef")
	port, err := pgserver.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"simulate", "inbound", "--to", "+12025550123", "--from", "+12025550187",
		"--body", "hi", "--url", "http://127.0.0.1:" + strconv.Itoa(port)}, logger)
	var u usageError
	if !errors.As(err, &u) || !strings.Contains(u.Error(), "TWILIO_ACCOUNT_SID is not set") {
		t.Fatalf("err %v, want a usage error naming TWILIO_ACCOUNT_SID", err)
	}
}
