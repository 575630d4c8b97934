package twilio_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/adapters/twilio"
	"github.com/smsinbox/smsinbox/adapters/twilio/twiliofake"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)
	httpDate := func(t time.Time) string { return t.Format(http.TimeFormat) }
	tests := []struct {
		name, value, date string
		want              time.Duration
	}{
		{"absent", "", "", 0},
		{"seconds", "120", "", 2 * time.Minute},
		{"seconds with spaces", " 7 ", "", 7 * time.Second},
		{"zero", "0", "", 0},
		{"negative", "-5", "", 0},
		{"huge seconds are bounded", "99999999999999", "", 24 * time.Hour},
		{"an HTTP date, from now", httpDate(now.Add(90 * time.Second)), "", 90 * time.Second},
		{"an HTTP date, from the answer's Date", httpDate(now.Add(time.Hour + 30*time.Second)), httpDate(now.Add(time.Hour)), 30 * time.Second},
		{"an unreadable Date: from now", httpDate(now.Add(time.Minute)), "yesterday", time.Minute},
		{"an RFC 850 date", now.Add(time.Minute).Format("Monday, 02-Jan-06 15:04:05 GMT"), "", time.Minute},
		{"a past date", httpDate(now.Add(-time.Minute)), "", 0},
		{"unreadable", "soon", "", 0},
	}
	for _, tt := range tests {
		if got := twilio.RetryAfter(tt.value, tt.date, now); got != tt.want {
			t.Errorf("%s: RetryAfter(%q, %q) = %s, want %s", tt.name, tt.value, tt.date, got, tt.want)
		}
	}
}

// A 429 or 503 with Retry-After: the SendError says how long Twilio asked to
// wait, and keeps its code.
func TestRESTSenderRetryAfter(t *testing.T) {
	date := time.Date(2030, 3, 4, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		status     int
		code       int
		retryAfter string
		want       time.Duration
	}{
		{"429 in seconds", 429, 20429, "30", 30 * time.Second},
		{"503 as a date", 503, 0, date.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute},
		{"400 is not retried: no wait", 400, 21211, "30", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := twiliofake.New(t, accountSID, authToken)
			f.FailNextRetryAfter(1, tc.status, tc.code, "Too Many Requests", tc.retryAfter, date)
			_, err := newSender(t, f, nil).Send(t.Context(), outbound())
			se := sendErr(t, err)
			if se.Status != tc.status || se.Code != tc.code || se.RetryAfter != tc.want {
				t.Fatalf("SendError %+v, want status %d code %d retry after %s", se, tc.status, tc.code, tc.want)
			}
		})
	}
}
