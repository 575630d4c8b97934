package postgres

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/adapters/postgres/pgtest"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// ReadLogPages reads, page by page, the very events ReadAll reads: every
// field, metadata and times included, however the pages cut the log.
func TestReadLogPagesReadsWhatReadAllReads(t *testing.T) {
	ctx := context.Background()
	_, s := openStore(t, pgtest.NewDatabase(t), Config{})
	at := time.Date(2026, 12, 4, 22, 0, 0, 123456789, time.UTC)
	for i := range 7 {
		var batch []eventstore.EventData
		for k := range 1 + i%3 {
			batch = append(batch, eventstore.EventData{ID: uuid.New(), Type: fmt.Sprintf("Type%d", k), SchemaVersion: 1 + k,
				Data:       []byte(fmt.Sprintf(`{"i": %d, "text": "é \u00e9 \"q\""}`, i)),
				Metadata:   eventstore.Metadata{CorrelationID: fmt.Sprintf("c%d", i), Actor: "customer:+1555\"x\""},
				OccurredAt: at.Add(time.Duration(i) * time.Hour)})
		}
		if _, err := s.Append(ctx, eventstore.StreamID(fmt.Sprintf("s-%d", i%2)), eventstore.Any(), batch...); err != nil {
			t.Fatal(err)
		}
	}
	var want []eventstore.RecordedEvent
	for e, err := range s.ReadAll(ctx, eventstore.Start, eventstore.Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	if len(want) < 10 {
		t.Fatalf("the log holds %d events", len(want))
	}
	for _, size := range []int{1, 3, len(want), len(want) + 1} {
		var got []eventstore.RecordedEvent
		for page, err := range s.ReadLogPages(ctx, eventstore.Start, size) {
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > size {
				t.Fatalf("pages of %d: a page of %d", size, len(page))
			}
			got = append(got, page...)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("pages of %d: read\n%+v\nwant\n%+v", size, got, want)
		}
	}
}
