package esdb_test

import (
	"context"
	"strings"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
)

// writeStreamMetadata writes a system event ($metadata in $$stream) with the
// client itself, as an operator's tool would.
func writeStreamMetadata(t *testing.T, url, stream string) {
	t.Helper()
	config, err := client.ParseConnectionString(strings.Replace(url, "kurrentdb://", "esdb://", 1))
	if err != nil {
		t.Fatal(err)
	}
	config.Logger = client.NoopLogging()
	c, err := client.NewClient(config)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var md client.StreamMetadata
	md.SetMaxAge(24 * time.Hour)
	if _, err := c.SetStreamMetadata(ctx, stream, client.AppendToStreamOptions{}, md); err != nil {
		t.Fatalf("write stream metadata: %v", err)
	}
}
