package main

import (
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/cmd/smsinbox/app"
)

func TestHTTPTimeoutsFromEnvironment(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(name string) string { return vars[name] }
	}
	got, err := httpTimeouts(env(nil))
	if err != nil || got != app.DefaultTimeouts {
		t.Fatalf("unset: %+v, %v; want the defaults", got, err)
	}
	got, err = httpTimeouts(env(map[string]string{"HTTP_READ_TIMEOUT": "2s", "HTTP_IDLE_TIMEOUT": "1m"}))
	want := app.DefaultTimeouts
	want.Read, want.Idle = 2*time.Second, time.Minute
	if err != nil || got != want {
		t.Fatalf("set: %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"15", "-1s", "0s", "soon"} {
		if _, err := httpTimeouts(env(map[string]string{"HTTP_WRITE_TIMEOUT": bad})); err == nil {
			t.Errorf("HTTP_WRITE_TIMEOUT=%q accepted", bad)
		}
	}
}
