package main

import (
	"fmt"
	"os"
)

// config is the environment of API.md; flags may override it.
type config struct {
	DatabaseURL   string
	EventStoreURL string
	ListenAddr    string
	PublicURL     string
	AdminToken    string
	TwilioSID     string
	TwilioToken   string
	TwilioAPIURL  string
	PprofAddr     string // the operator's address for net/http/pprof; empty: off
	DataDir       string // where a private PostgreSQL cluster lives when none is given
	PrivatePGPort int
}

func configFromEnv() config {
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
	}
	if p := os.Getenv("SMSINBOX_PG_PORT"); p != "" {
		fmt.Sscanf(p, "%d", &c.PrivatePGPort)
	}
	return c
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
