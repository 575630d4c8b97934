package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// appendArgs are es_append's arguments after the stream and expected version.
type appendArgs struct {
	ids        []string
	types      []string
	versions   []int32
	data       []string
	metadata   []string
	occurredAt []time.Time
}

func encodeExpected(e eventstore.ExpectedVersion) int64 {
	switch {
	case e.IsNoStream():
		return -2
	case e.IsStreamExists():
		return -3
	}
	if v, ok := e.ExactVersion(); ok {
		return int64(v)
	}
	return -1
}

func encodeEvents(events []eventstore.EventData) (appendArgs, error) {
	a := appendArgs{
		ids:        make([]string, len(events)),
		types:      make([]string, len(events)),
		versions:   make([]int32, len(events)),
		data:       make([]string, len(events)),
		metadata:   make([]string, len(events)),
		occurredAt: make([]time.Time, len(events)),
	}
	for i, e := range events {
		if err := validate(e); err != nil {
			return appendArgs{}, fmt.Errorf("event %d: %w", i, err)
		}
		meta, err := json.Marshal(e.Metadata)
		if err != nil {
			return appendArgs{}, fmt.Errorf("event %d metadata: %w", i, err)
		}
		a.ids[i] = e.ID.String()
		a.types[i] = e.Type
		a.versions[i] = int32(e.SchemaVersion)
		a.data[i] = string(e.Data)
		a.metadata[i] = string(meta)
		a.occurredAt[i] = e.OccurredAt
	}
	return a, nil
}

func validate(e eventstore.EventData) error {
	switch {
	case e.ID == [16]byte{}:
		return fmt.Errorf("%w: no id", eventstore.ErrInvalidEvent)
	case e.Type == "":
		return fmt.Errorf("%w: no type", eventstore.ErrInvalidEvent)
	case !json.Valid(e.Data): // valid JSON never holds a raw NUL byte, which PostgreSQL text refuses
		return fmt.Errorf("%w: data of %s is not JSON", eventstore.ErrInvalidEvent, e.Type)
	}
	return nil
}
