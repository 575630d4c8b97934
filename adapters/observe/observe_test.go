package observe_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/smsinbox/smsinbox/adapters/observe"
)

// Greet is a command for the fake handler.
type Greet struct{ Name string }

var errNoName = errors.New("no name")

// greeter answers "hello NAME", and fails on an empty name.
type greeter struct{ calls int }

func (g *greeter) Handle(_ context.Context, c Greet) (string, error) {
	g.calls++
	if c.Name == "" {
		return "", errNoName
	}
	return "hello " + c.Name, nil
}

func TestObservedPassesThroughLogsAndCounts(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := prometheus.NewRegistry()
	m, err := observe.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	inner := &greeter{}
	h := observe.Observed(logger, m, inner)

	got, err := h.Handle(context.Background(), Greet{Name: "Ann"})
	if err != nil || got != "hello Ann" {
		t.Fatalf("Handle(Ann) = %q, %v; want the inner handler's answer", got, err)
	}
	if _, err := h.Handle(context.Background(), Greet{}); !errors.Is(err, errNoName) {
		t.Fatalf("Handle() error %v, want the inner handler's %v", err, errNoName)
	}
	if inner.calls != 2 {
		t.Fatalf("the inner handler ran %d times, want 2", inner.calls)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("logged %d lines, want one a command:\n%s", len(lines), logs.String())
	}
	for i, want := range [][]string{
		{"level=DEBUG", `msg="command handled"`, "command=Greet", "duration="},
		{"level=WARN", `msg="command failed"`, "command=Greet", "duration=", `error="no name"`},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("log line %d %q has no %s", i, lines[i], w)
			}
		}
	}

	const metric = "smsinbox_commands_total"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP smsinbox_commands_total Commands handled, by command and outcome (ok, error).
# TYPE smsinbox_commands_total counter
smsinbox_commands_total{command="Greet",outcome="error"} 1
smsinbox_commands_total{command="Greet",outcome="ok"} 1
`), metric); err != nil {
		t.Fatal(err)
	}
	if n, err := testutil.GatherAndCount(reg, "smsinbox_command_duration_seconds"); err != nil || n != 1 {
		t.Fatalf("duration series: %d, %v; want one for Greet", n, err)
	}
}

func TestNewMetricsRefusesASecondRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := observe.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := observe.NewMetrics(reg); err == nil {
		t.Fatal("the same metrics registered twice in one registry")
	}
}
