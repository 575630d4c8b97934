package twilio

import (
	"context"
	"log/slog"
)

// SandboxSender is the Sender without Twilio credentials: it sends nothing and
// answers as if Twilio had sent the text, with a fresh SID "SMsandbox" + 32
// hex digits and status "sent". The zero value is ready to use; Logger, when
// set, gets one Info line per message (SID and recipient, not the text).
type SandboxSender struct {
	Logger *slog.Logger
}

var _ Sender = SandboxSender{}

// Send validates m as RESTSender does and returns a made-up answer.
func (s SandboxSender) Send(ctx context.Context, m Outbound) (Sent, error) {
	if err := m.validate(); err != nil {
		return Sent{}, &SendError{Message: err.Error(), Err: err}
	}
	if err := ctx.Err(); err != nil {
		return Sent{}, &SendError{Message: "not sent: " + err.Error(), Retryable: true, Err: err}
	}
	sent := Sent{SID: NewSID("SMsandbox"), Status: "sent"}
	if s.Logger != nil {
		s.Logger.InfoContext(ctx, "sandbox: text not sent to Twilio", "sid", sent.SID, "to", m.To)
	}
	return sent, nil
}
