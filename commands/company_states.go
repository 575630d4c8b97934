package commands

import (
	"context"
	"fmt"
	"sync"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// CompanyStates answers a company's state as its stream holds it now, for
// checks that must not trust a read model that may lag a moment: whether a
// token still signs a user in, whether an app key is revoked. It keeps each
// company's state in memory and, on every Load, reads only the events
// appended after the version it has: one indexed read that finds nothing,
// most of the time, instead of the whole stream.
//
// A Load that starts after an append has been answered sees that append:
// the stream is read, never a cache alone. The zero value is not usable;
// make one with NewCompanyStates. It is safe for concurrent use.
type CompanyStates struct {
	store eventstore.Store
	mu    sync.Mutex
	known map[string]knownCompany
}

type knownCompany struct {
	state company.State
	next  uint64 // the next version to read
}

// NewCompanyStates returns a CompanyStates that reads store.
func NewCompanyStates(store eventstore.Store) *CompanyStates {
	return &CompanyStates{store: store, known: map[string]knownCompany{}}
}

// At returns the company's state at version or later: from memory when
// it remembers that version (or a later one), else read as Load does.
// version is what a command watched of the company's stream with its own
// commit (ExecuteWatching; -1: the stream had no event): a remembered state
// that far along is the company as it stood when that command committed,
// or later, which is as current as a read started then would be. Which
// process appended to the company's stream does not matter: the commit
// tells its version. A company that does not exist is an error matching
// company.ErrCompanyNotFound.
func (c *CompanyStates) At(ctx context.Context, companyID string, version int64) (company.State, error) {
	c.mu.Lock()
	k, ok := c.known[companyID] // only companies that exist are kept
	c.mu.Unlock()
	switch {
	case ok && int64(k.next)-1 >= version:
		return k.state, nil
	case !ok && version < 0:
		return company.State{}, company.NotFound(companyID)
	}
	return c.Load(ctx, companyID)
}

// Load returns the company's state now. A company that does not exist is
// an error matching company.ErrCompanyNotFound.
func (c *CompanyStates) Load(ctx context.Context, companyID string) (company.State, error) {
	c.mu.Lock()
	k := c.known[companyID]
	c.mu.Unlock()
	stream := company.StreamID(companyID)
	read := k
	for rec, err := range c.store.ReadStream(ctx, stream, read.next) {
		if err != nil {
			return company.State{}, fmt.Errorf("load %s: %w", stream, err)
		}
		ev, err := company.Decode(rec.Type, rec.Data)
		if err != nil {
			return company.State{}, fmt.Errorf("load %s at version %d: %w", stream, rec.Version, err)
		}
		read.state = company.Evolve(read.state, ev)
		read.next = rec.Version + 1
	}
	if !read.state.Exists() {
		return company.State{}, company.NotFound(companyID)
	}
	if read.next > k.next {
		c.mu.Lock()
		// States only grow: keep whichever of two concurrent reads got further.
		if read.next > c.known[companyID].next {
			c.known[companyID] = read
		}
		c.mu.Unlock()
	}
	return read.state, nil
}
