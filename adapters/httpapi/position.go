package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// maxPositionWait bounds how long a query waits for X-Min-Position (API.md: 5 s).
const maxPositionWait = 5 * time.Second

const (
	headerMinPosition   = "X-Min-Position"
	headerEventPosition = "X-Event-Position"
)

// waitForPosition makes a request wait until every read model has applied
// the position in X-Min-Position, so a dashboard reads its own writes.
func (a *api) waitForPosition(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if h := r.Header.Get(headerMinPosition); h != "" {
			pos, err := strconv.ParseUint(h, 10, 64)
			if err != nil {
				writeError(w, http.StatusBadRequest, "invalid_position", "X-Min-Position must be a position that a command answered.")
				return
			}
			ctx, cancel := context.WithTimeout(r.Context(), maxPositionWait)
			err = a.progress.WaitFor(ctx, eventstore.Position(pos))
			cancel()
			if err != nil {
				a.fail(w, r, err)
				return
			}
		}
		next(w, r)
	}
}

// writePosition answers a command: {"position": "..."} and the header.
func writePosition(w http.ResponseWriter, status int, pos eventstore.Position, extra map[string]any) {
	p := formatPosition(pos)
	w.Header().Set(headerEventPosition, p)
	body := map[string]any{"position": p}
	for k, v := range extra {
		body[k] = v
	}
	writeJSON(w, status, body)
}

func formatPosition(p eventstore.Position) string { return strconv.FormatUint(uint64(p), 10) }
