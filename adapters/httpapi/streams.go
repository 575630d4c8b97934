package httpapi

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// maxStreamsPerUser bounds the live streams (GET /api/events) one user has
// open on this server: opening one more closes the oldest, which gets a
// final `closed` frame. A person has a tab or two open; an unbounded number
// of streams per token would let one token hold a server's connections.
const maxStreamsPerUser = 5

// Why a live stream was closed by the server, sent in its final `closed`
// frame as {"reason": ...}.
var (
	// errStreamReplaced: the user opened more streams than allowed and this
	// one was the oldest. The page does not reconnect after it (it would
	// only close another of the user's streams in turn).
	errStreamReplaced = errors.New("too_many_streams")
	// errSignedOut: the token that opened the stream no longer signs the
	// user in (the user was removed, or given a new token).
	errSignedOut = errors.New("signed_out")
)

// liveStreams holds this server's open live streams by user, to cap them
// and to end them when the user's token stops working.
type liveStreams struct {
	limit  int
	mu     sync.Mutex
	byUser map[string][]*liveStream // oldest first
}

type liveStream struct {
	tokenHash string
	end       context.CancelCauseFunc
}

func newLiveStreams(limit int) *liveStreams {
	return &liveStreams{limit: limit, byUser: map[string][]*liveStream{}}
}

// open registers a stream of the user, opened with the token whose hash is
// tokenHash, closing the user's oldest when there are too many. The stream
// runs on ctx, which ends with the reason (context.Cause) when the server
// closes it; close unregisters it.
func (l *liveStreams) open(parent context.Context, userID, tokenHash string) (ctx context.Context, close func()) {
	ctx, end := context.WithCancelCause(parent)
	s := &liveStream{tokenHash: tokenHash, end: end}
	l.mu.Lock()
	open := append(l.byUser[userID], s)
	for len(open) > l.limit {
		open[0].end(errStreamReplaced)
		open = open[1:]
	}
	l.byUser[userID] = open
	l.mu.Unlock()
	return ctx, func() {
		end(context.Canceled)
		l.mu.Lock()
		defer l.mu.Unlock()
		rest := l.byUser[userID][:0:0]
		for _, o := range l.byUser[userID] {
			if o != s {
				rest = append(rest, o)
			}
		}
		if len(rest) == 0 {
			delete(l.byUser, userID)
		} else {
			l.byUser[userID] = rest
		}
	}
}

// endStale ends the user's streams that were not opened with the token
// whose hash is tokenHash: every one when tokenHash is empty (the user was
// removed).
func (l *liveStreams) endStale(userID, tokenHash string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.byUser[userID] {
		if tokenHash == "" || s.tokenHash != tokenHash {
			s.end(errSignedOut)
		}
	}
}

// longLived frees a response that lasts as long as its client reads it (the
// live stream, the CSV exports) from the server's read and write timeouts,
// which are meant for ordinary requests: the whole-request read deadline
// would, once it passed, cancel the request's context (net/http's
// background read fails), and the write deadline would cut the response.
// Such a handler bounds each write itself (idleWriter).
func longLived(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		// ErrNotSupported (a recorder in tests) leaves nothing to free.
		_ = rc.SetReadDeadline(time.Time{})
		_ = rc.SetWriteDeadline(time.Time{})
		h(w, r)
	}
}
