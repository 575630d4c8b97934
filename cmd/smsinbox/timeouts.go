package main

import (
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

// httpTimeouts reads the HTTP server's timeouts from the environment
// (HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT, HTTP_IDLE_TIMEOUT: Go durations
// such as 15s); an unset one takes app.DefaultTimeouts'. A value that is not
// a positive duration is an error: a mistyped limit must not silently become
// the default.
func httpTimeouts(getenv func(string) string) (app.Timeouts, error) {
	t := app.DefaultTimeouts
	for _, v := range []struct {
		name string
		to   *time.Duration
	}{{"HTTP_READ_TIMEOUT", &t.Read}, {"HTTP_WRITE_TIMEOUT", &t.Write}, {"HTTP_IDLE_TIMEOUT", &t.Idle}} {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return app.Timeouts{}, usageError(fmt.Sprintf("%s=%q: want a positive duration such as 15s", v.name, s))
		}
		*v.to = d
	}
	return t, nil
}
