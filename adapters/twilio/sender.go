package twilio

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sender sends one text. Implementations never retry: a caller that wants a
// second attempt decides so from the error, through its own records, to keep
// sending at most once.
type Sender interface {
	// Send sends m. Every error it returns is a *SendError.
	Send(ctx context.Context, m Outbound) (Sent, error)
}

// Outbound is a text to send.
type Outbound struct {
	From           string   // the company's current messaging number (E.164)
	To             string   // the customer (E.164)
	Body           string   // the text; may be empty only when MediaURLs is not
	StatusCallback string   // URL for status callbacks ({PUBLIC_URL}/webhooks/twilio/status); "" for none
	MediaURLs      []string // optional media for an MMS
}

// validate checks what must hold before anything is sent.
func (m Outbound) validate() error {
	switch {
	case strings.TrimSpace(m.From) == "":
		return errors.New("outbound message without From")
	case strings.TrimSpace(m.To) == "":
		return errors.New("outbound message without To")
	case m.Body == "" && len(m.MediaURLs) == 0:
		return errors.New("outbound message without Body or media")
	}
	return nil
}

// Sent is Twilio's answer to a send.
type Sent struct {
	SID       string // the message's SID ("SM…"), which status callbacks name
	Status    string // e.g. "queued" (Twilio) or "sent" (sandbox)
	ErrorCode int    // Twilio's error code when its answer carries one, else 0
}

// OptedOutCode is Twilio's error 21610: the recipient has opted out (replied
// STOP) and Twilio refuses to text them.
const OptedOutCode = 21610

// SendError is the error of a failed send.
//
// Retryable reports a transient failure (no answer: network error, timeout,
// cancellation; or HTTP 429 or 5xx). When Status is 0 there was no answer and
// Twilio may nevertheless have accepted the message: the outcome is unknown
// (except when ctx was done before the request, which Message says: "not
// sent").
// Any other 4xx (a Twilio error code such as 21610, 21211) and every failure
// before sending (invalid message) are permanent.
type SendError struct {
	Code      int    // Twilio's error code (e.g. 21610), 0 when none
	Status    int    // the HTTP status of Twilio's answer, 0 when there was none
	Message   string // what went wrong, for a person
	Retryable bool
	// RetryAfter is how long Twilio asked the caller to wait before trying
	// again (its Retry-After header, in seconds or as an HTTP date), 0 when
	// it did not say.
	RetryAfter time.Duration
	Err        error // the underlying error, if any
}

func (e *SendError) Error() string {
	var b strings.Builder
	b.WriteString("twilio: send failed")
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != 0 {
		fmt.Fprintf(&b, ": error %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Retryable {
		b.WriteString(" (retryable")
		if e.RetryAfter > 0 {
			fmt.Fprintf(&b, " after %s", e.RetryAfter)
		}
		b.WriteString(")")
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *SendError) Unwrap() error { return e.Err }

// IsOptedOut reports whether err is Twilio's refusal to text a recipient who
// opted out (error 21610).
func IsOptedOut(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Code == OptedOutCode
}

// IsRetryable reports whether err is a *SendError marked Retryable.
func IsRetryable(err error) bool {
	var se *SendError
	return errors.As(err, &se) && se.Retryable
}

// retryableStatus reports whether an HTTP status is worth another attempt.
func retryableStatus(status int) bool {
	return status == 429 || status >= 500
}
