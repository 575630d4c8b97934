package httpapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/smsinbox/smsinbox/projections"
)

// pageOf reads a keyset-paged list's limit and cursor: limit a whole
// number from 1 to max (def when absent), else 400 invalid_limit; cursor a
// next_cursor this server gave out, else 400 invalid_cursor.
func pageOf(q url.Values, def, max int) (int, *projections.Cursor, error) {
	limit := def
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > max {
			return 0, nil, newError(http.StatusBadRequest, "invalid_limit", fmt.Sprintf("limit must be a whole number from 1 to %d.", max))
		}
		limit = n
	}
	if s := q.Get("cursor"); s != "" {
		cur, err := projections.ParseCursor(s)
		if err != nil {
			return 0, nil, err
		}
		return limit, &cur, nil
	}
	return limit, nil, nil
}

// nextCursor is a page's next_cursor: null on the last page.
func nextCursor(next *projections.Cursor) *string {
	if next == nil {
		return nil
	}
	s := next.Encode()
	return &s
}
