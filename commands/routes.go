package commands

import (
	"context"
	"errors"
	"sync"

	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// Routes answers which company owns a messaging number (RouteNumber), from
// memory once the answer can no longer change, so that a text to a known
// number costs no read of its claim stream.
//
// An answer is final when the number's claim is held by a company that
// exists: numbers are never released (a former number stays its company's,
// so that a STOP to it is never lost), and a claim passes to another
// company only from a company whose creation never completed (an orphan,
// company.Orphaned), which an existing company never is. So a final answer
// holds for ever, in every process, with nothing to invalidate. Every other
// answer (no claim yet: a company may take the number at any moment; an
// orphan's claim: another company may take it over) is read again each time.
//
// The zero value is not usable; make one with NewRoutes. It is safe for
// concurrent use. It holds one entry per routed number.
type Routes struct {
	store eventstore.Store
	mu    sync.Mutex
	final map[phone.Number]string
}

// NewRoutes returns Routes that read store.
func NewRoutes(store eventstore.Store) *Routes {
	return &Routes{store: store, final: map[phone.Number]string{}}
}

// Route is a Router.
func (r *Routes) Route(ctx context.Context, number phone.Number) (companyID string, found bool, err error) {
	r.mu.Lock()
	id, known := r.final[number]
	r.mu.Unlock()
	if known {
		return id, true, nil
	}
	id, found, err = RouteNumber(ctx, r.store, number)
	if err != nil || !found {
		return id, found, err
	}
	switch _, err := LoadCompany(ctx, r.store, id); {
	case err == nil:
		r.mu.Lock()
		r.final[number] = id
		r.mu.Unlock()
	case !errors.Is(err, company.ErrCompanyNotFound):
		return "", false, err
	}
	return id, true, nil
}
