package httpapi

import (
	"net/http"

	"github.com/gorilla/mux"

	"github.com/smsinbox/smsinbox/domain/search"
	"github.com/smsinbox/smsinbox/projections"
)

const (
	defaultSearchPage = 20
	maxSearchPage     = 100
)

// routeSearch adds the search box: every Messages role searches its own
// company's texts and customers.
func (a *api) routeSearch(api *mux.Router) {
	api.HandleFunc("/search", a.waitForReads(a.messages(readMessages, a.search))).Methods(http.MethodGet)
}

// search answers GET /api/search?q=&limit=&cursor=: newest first, keyset
// paged like the thread list.
func (a *api) search(w http.ResponseWriter, r *http.Request, c caller) {
	params := r.URL.Query()
	query, err := search.Parse(params.Get("q"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	limit, after, err := pageOf(params, defaultSearchPage, maxSearchPage)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	results, next, err := a.reads.Search(r.Context(), c.Company.ID, query, limit, after)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if results == nil {
		results = []projections.SearchResult{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": results, "next_cursor": nextCursor(next)})
}
