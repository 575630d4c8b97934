package twilio

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter bounds a Retry-After: a larger one is read as this.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads an HTTP Retry-After header value (RFC 9110, 10.2.3):
// either a number of seconds, or an HTTP date, which is taken relative to the
// answer's Date header (date) when it has a readable one, so that the two
// clocks' difference does not matter, else to now. It returns 0 for an absent,
// unreadable or past value, and at most 24 hours.
func RetryAfter(value, date string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(value, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return min(time.Duration(min(secs, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	at, err := http.ParseTime(value)
	if err != nil {
		return 0
	}
	if d, err := http.ParseTime(strings.TrimSpace(date)); err == nil {
		now = d
	}
	return min(max(at.Sub(now), 0), maxRetryAfter)
}
