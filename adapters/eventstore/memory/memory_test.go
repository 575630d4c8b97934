package memory_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/eventstore/contract"
	"github.com/smsinbox/smsinbox/adapters/eventstore/memory"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// TestContract runs the shared contract against the store in memory. Every
// client of a case is the same Store, as every process shares one database;
// its Close releases nothing, so the harness closing a client leaves the
// others working. The late-commit cases skip themselves: an append here is
// never held open.
func TestContract(t *testing.T) {
	store := memory.New()
	contract.Run(t, func(*testing.T) eventstore.Store { return store }, contract.Options{})
}

// TestEventsAreCopies: what a caller does with its buffers after an append,
// or with the events it read, never changes the log, as with a database.
func TestEventsAreCopies(t *testing.T) {
	ctx := context.Background()
	store := memory.New()
	data := []byte(`{"n":1}`)
	if _, err := store.Append(ctx, "s", eventstore.NoStream(), eventstore.EventData{ID: uuid.New(), Type: "T", Data: data}); err != nil {
		t.Fatal(err)
	}
	copy(data, `{"n":2}`)
	for e, err := range store.ReadStream(ctx, "s", 0) {
		if err != nil {
			t.Fatal(err)
		}
		if string(e.Data) != `{"n":1}` {
			t.Fatalf("the caller's buffer changed the log: %s", e.Data)
		}
		copy(e.Data, `{"n":3}`)
	}
	for e, err := range store.ReadAll(ctx, eventstore.Start, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		if string(e.Data) != `{"n":1}` {
			t.Fatalf("a reader changed the log: %s", e.Data)
		}
	}
}
