package company

import (
	"fmt"
	"iter"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// FromHistory is the state of company id after history, its stream's
// recorded events in version order (as eventstore.Store.ReadStream yields
// them from version 0). A stream with no creation in it (the company was
// never created) is an error matching ErrCompanyNotFound. Readers that
// replay a company without deciding (the audits) start here; the use cases
// load through their own loop, which also remembers states.
func FromHistory(id string, history iter.Seq2[eventstore.RecordedEvent, error]) (State, error) {
	var s State
	for rec, err := range history {
		if err != nil {
			return State{}, fmt.Errorf("read company %s: %w", id, err)
		}
		e, err := Decode(rec.Type, rec.Data)
		if err != nil {
			return State{}, fmt.Errorf("read company %s at version %d: %w", id, rec.Version, err)
		}
		s = Evolve(s, e)
	}
	if !s.Exists() {
		return State{}, NotFound(id)
	}
	return s, nil
}

// NotFound is the error for a company id that was never created: it
// matches ErrCompanyNotFound.
func NotFound(id string) error {
	return &Error{Err: ErrCompanyNotFound, Message: fmt.Sprintf("there is no company %q", id)}
}
