package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

// config is the environment README.md documents; flags may override it.
type config struct {
	DatabaseURL string
	// DatabaseMaxConns is the size of the database pool (0: defaultMaxConns).
	DatabaseMaxConns int32
	EventStoreURL    string
	ListenAddr       string
	PublicURL        string
	AdminToken       string
	TwilioSID        string
	TwilioToken      string
	TwilioAPIURL     string
	PprofAddr        string // the operator's address for net/http/pprof; empty: off
	DataDir          string // where a private PostgreSQL cluster lives when none is given
	PrivatePGPort    int
	// CommandTimeout bounds every HTTP request that may change something (0:
	// the HTTP surface's default).
	CommandTimeout time.Duration

	// ServerTiming: answer every HTTP request with a Server-Timing header
	// (its pool waits, its statements' time, the handler's time).
	ServerTiming bool
	// SlowStatement, when positive, logs every database statement that
	// takes longer, with its pool (DATABASE_SLOW_STATEMENT).
	SlowStatement time.Duration

	// ReadDatabaseURL is a streaming replica of DATABASE_URL's database
	// that serves the query endpoints; empty: the primary serves them.
	ReadDatabaseURL string
}

// configFromEnv reads the environment; a variable it cannot read is an error
// (a mistyped limit must not silently become the default).
func configFromEnv() (config, error) {
	c := config{
		DatabaseURL:   os.Getenv("DATABASE_URL"),
		EventStoreURL: os.Getenv("EVENTSTORE_URL"),
		ListenAddr:    envOr("LISTEN_ADDR", ":8080"),
		PublicURL:     os.Getenv("PUBLIC_URL"),
		AdminToken:    os.Getenv("ADMIN_TOKEN"),
		TwilioSID:     os.Getenv("TWILIO_ACCOUNT_SID"),
		TwilioToken:   os.Getenv("TWILIO_AUTH_TOKEN"),
		TwilioAPIURL:  envOr("TWILIO_API_URL", "https://api.twilio.com"),
		PprofAddr:     os.Getenv("PPROF_ADDR"),
		DataDir:       envOr("SMSINBOX_DATA_DIR", "var"),
		PrivatePGPort: 54329,

		ReadDatabaseURL: os.Getenv("READ_DATABASE_URL"),
	}
	if p := os.Getenv("SMSINBOX_PG_PORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return config{}, fmt.Errorf("SMSINBOX_PG_PORT=%q: want a TCP port, 1 to 65535", p)
		}
		c.PrivatePGPort = n
	}
	if v := os.Getenv("DATABASE_MAX_CONNS"); v != "" {
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil || n < 1 {
			return config{}, fmt.Errorf("DATABASE_MAX_CONNS=%q: want a whole number of connections, at least 1", v)
		}
		c.DatabaseMaxConns = int32(n)
	}
	if v := os.Getenv("COMMAND_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return config{}, fmt.Errorf("COMMAND_TIMEOUT=%q: want a positive duration such as 10s", v)
		}
		c.CommandTimeout = d
	}
	if v := os.Getenv("SERVER_TIMING"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return config{}, fmt.Errorf("SERVER_TIMING=%q: want true or false", v)
		}
		c.ServerTiming = b
	}
	if v := os.Getenv("DATABASE_SLOW_STATEMENT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return config{}, fmt.Errorf("DATABASE_SLOW_STATEMENT=%q: want a duration such as 50ms (0: off)", v)
		}
		c.SlowStatement = d
	}
	return c, nil
}

// defaultMaxConns sizes the database pool for the machine: four connections
// per core the Go scheduler uses, and never fewer than eight, so that a few
// slow requests (or a burst of webhooks) do not queue every other one.
// pgxpool's own default is max(4, cores): four on a small machine.
func defaultMaxConns() int32 {
	return int32(max(8, 4*runtime.GOMAXPROCS(0)))
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
