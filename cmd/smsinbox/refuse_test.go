package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgserver"
	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
)

// TestServeRefusesUnsafeConfiguration runs the binary as an operator would.
// One Twilio credential without the other must not fall back to the sandbox
// (whose webhook token "sandbox" anyone can sign with), and a short
// ADMIN_TOKEN can be guessed: `smsinbox serve` refuses to start, exits
// non-zero and names the variable to fix. The database is real and ready,
// so a serve that does not refuse starts (it says "smsinbox is serving",
// and is stopped).
func TestServeRefusesUnsafeConfiguration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := smsinboxBinary(t)
	dbURL := pgtest.NewDatabase(t)
	tests := []struct {
		name string
		env  []string
		says string // on stderr
	}{
		{"account SID without auth token", []string{"TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef"}, "TWILIO_AUTH_TOKEN is not set"},
		{"auth token without account SID", []string{"TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef"}, "TWILIO_ACCOUNT_SID is not set"},
		{"short admin token", []string{"ADMIN_TOKEN=adm"}, "ADMIN_TOKEN is 3 characters long; it needs at least 32"},
		{"admin token one short", []string{"ADMIN_TOKEN=" + strings.Repeat("x", 31)}, "ADMIN_TOKEN is 31 characters long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			port, err := pgserver.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "serve")
			cmd.Env = append(cleanEnv(), append(tc.env, "DATABASE_URL="+dbURL, fmt.Sprintf("LISTEN_ADDR=127.0.0.1:%d", port))...)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			var said []string
			started := false
			for lines := bufio.NewScanner(stderr); lines.Scan(); {
				said = append(said, lines.Text())
				if strings.Contains(lines.Text(), "smsinbox is serving") {
					started = true
					_ = cmd.Process.Kill()
				}
			}
			err = cmd.Wait()
			if started {
				t.Fatalf("serve started:\n%s", strings.Join(said, "\n"))
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() == 0 {
				t.Fatalf("serve ended with %v, want a non-zero exit status:\n%s", err, strings.Join(said, "\n"))
			}
			if out := strings.Join(said, "\n"); !strings.Contains(out, tc.says) {
				t.Fatalf("stderr does not say %q:\n%s", tc.says, out)
			}
			t.Logf("exit status %d: %s", exit.ExitCode(), strings.Join(said, " | "))
		})
	}
}

// cleanEnv is the test's environment without smsinbox's own variables.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "DATABASE_URL", "EVENTSTORE_URL", "LISTEN_ADDR", "PUBLIC_URL", "ADMIN_TOKEN",
			"TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_URL", "READ_DATABASE_URL":
		default:
			out = append(out, kv)
		}
	}
	return out
}
