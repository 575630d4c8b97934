package httpapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/search"
	"github.com/smsinbox/smsinbox/projections"
)

// ReadModels is what the query endpoints read: the thread list and a
// thread, search, leads, consent, the team and the templates, and the CSV
// exports. They may be served by a replica of the database that lags the
// log; a query with X-Min-Position waits on that copy's own checkpoints
// (ReadProgress), so it still reads its writes.
//
// Nothing that decides may read here: sign-in (a revoked token must not
// live on while a replica lags), the thread a command acts on, and the live
// updates read the primary (Deps.Queries).
type ReadModels interface {
	ThreadFinder
	AssignedThreads(ctx context.Context, companyID string, archived bool, assignee projections.AssigneeFilter, limit int, after *projections.Cursor) ([]projections.Thread, *projections.Cursor, error)
	Messages(ctx context.Context, companyID string, threadID uuid.UUID) ([]projections.Message, error)
	Notes(ctx context.Context, companyID string, threadID uuid.UUID) ([]projections.Note, error)
	// ThreadDetail is Thread, Messages and Notes in one round trip.
	ThreadDetail(ctx context.Context, companyID string, id uuid.UUID) (projections.Thread, []projections.Message, []projections.Note, error)
	Search(ctx context.Context, companyID string, query search.Query, limit int, after *projections.Cursor) ([]projections.SearchResult, *projections.Cursor, error)
	Lead(ctx context.Context, companyID string, id uuid.UUID) (projections.LeadView, error)
	Consent(ctx context.Context, companyID, customerPhone, currentNumber string) (projections.ConsentView, error)
	CompanyUsers(ctx context.Context, companyID string) ([]projections.CompanyUser, error)
	Templates(ctx context.Context, companyID string) ([]projections.TemplateView, error)
	ExportFetch(ctx context.Context, companyID string, scope projections.ExportScope, after projections.ExportCursor, limit int, customers *projections.ExportCustomers, page *projections.ExportRows) error
}

// Waiter waits until a set of read models has applied a position, or
// answers an error wrapping projections.ErrBehind once ctx ends.
type Waiter interface {
	WaitFor(ctx context.Context, position eventstore.Position) error
}

// waitForReads is waitForPosition for a query endpoint: it waits until
// the read models the query endpoints read (ReadModels, maybe a replica)
// have applied X-Min-Position.
func (a *api) waitForReads(next http.HandlerFunc) http.HandlerFunc {
	return a.waitOn(a.readProgress, next)
}

// ThreadFinder reads one thread of a company (ErrNotFound for another
// company's).
type ThreadFinder interface {
	Thread(ctx context.Context, companyID string, id uuid.UUID) (projections.Thread, error)
}

// threadIn finds the caller's thread named in the path in models; another
// company's thread, or a malformed ID, is not found.
func threadIn(models ThreadFinder, r *http.Request, c caller) (projections.Thread, error) {
	id, err := pathThreadID(r)
	if err != nil {
		return projections.Thread{}, err
	}
	return models.Thread(r.Context(), c.Company.ID, id)
}

// pathThreadID is the thread ID in the path; a malformed one is not found.
func pathThreadID(r *http.Request) (uuid.UUID, error) {
	id, err := uuid.Parse(mux.Vars(r)["thread_id"])
	if err != nil {
		return uuid.Nil, projections.ErrNotFound
	}
	return id, nil
}
