package company_test

import (
	"encoding/json"
	"errors"
	"iter"
	"testing"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// history yields events as a stream's recorded events, in order.
func history(t *testing.T, events ...company.Event) iter.Seq2[eventstore.RecordedEvent, error] {
	t.Helper()
	recs := make([]eventstore.RecordedEvent, len(events))
	for i, e := range events {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = eventstore.RecordedEvent{EventData: eventstore.EventData{Type: e.EventType(), Data: data}, Version: uint64(i)}
	}
	return func(yield func(eventstore.RecordedEvent, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func TestFromHistory(t *testing.T) {
	s, err := company.FromHistory(co, history(t, created(), numberChanged(numA, numB, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if s.CompanyID != co || s.MessagingNumber != numB {
		t.Errorf("state = %s with %s, want %s with %s", s.CompanyID, s.MessagingNumber, co, numB)
	}

	if _, err := company.FromHistory(co, history(t)); !errors.Is(err, company.ErrCompanyNotFound) {
		t.Errorf("no events: err = %v, want ErrCompanyNotFound", err)
	}

	broken := errors.New("read failed")
	failing := func(yield func(eventstore.RecordedEvent, error) bool) { yield(eventstore.RecordedEvent{}, broken) }
	if _, err := company.FromHistory(co, failing); !errors.Is(err, broken) {
		t.Errorf("a failed read: err = %v, want it wrapped", err)
	}
}
