package app_test

import (
	"strings"
	"testing"

	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// The sandbox is for no Twilio credentials at all: one without the other is
// refused, naming the missing variable, and never falls back to the sandbox
// (whose webhook token "sandbox" anyone can sign with). An ADMIN_TOKEN is
// unset (admin API off) or at least 32 characters.
func TestConfigSandboxAndValidate(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"
	tests := []struct {
		name    string
		cfg     app.Config
		sandbox bool
		refused string // in Validate's error; "" when valid
	}{
		{"no credentials: sandbox", app.Config{}, true, ""},
		{"both credentials: Twilio", app.Config{TwilioSID: sid, TwilioToken: token}, false, ""},
		{"account SID only", app.Config{TwilioSID: sid}, false, "TWILIO_AUTH_TOKEN is not set"},
		{"auth token only", app.Config{TwilioToken: token}, false, "TWILIO_ACCOUNT_SID is not set"},
		{"no admin token: admin API off", app.Config{AdminToken: ""}, true, ""},
		{"admin token of 32 characters", app.Config{AdminToken: strings.Repeat("a", 32)}, true, ""},
		{"admin token of 31 characters", app.Config{AdminToken: strings.Repeat("a", 31)}, true, "ADMIN_TOKEN is 31 characters long"},
		{"admin token of 32 bytes but 16 characters", app.Config{AdminToken: strings.Repeat("é", 16)}, true, "ADMIN_TOKEN is 16 characters long"},
		{"issue 11's admin token", app.Config{AdminToken: "adm"}, true, "ADMIN_TOKEN is 3 characters long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.Sandbox(); got != tc.sandbox {
				t.Errorf("Sandbox() = %v, want %v", got, tc.sandbox)
			}
			err := tc.cfg.Validate()
			switch {
			case tc.refused == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
				t.Fatalf("Validate() = %v, want an error saying %q", err, tc.refused)
			}
			if tc.refused != "" {
				if _, err := app.New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.refused) {
					t.Fatalf("app.New = %v, want refused saying %q", err, tc.refused)
				}
			}
		})
	}
}
