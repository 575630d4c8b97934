package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"strings"
	"testing"
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
