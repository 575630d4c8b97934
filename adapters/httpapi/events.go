package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/projections"
)

// The live stream, GET /api/events (adapters/web/README.md is its contract).
const (
	eventStreamType = "text/event-stream"
	// streamRetry is how long a client waits before it reconnects (ms).
	streamRetry = 2000
	// streamPing is how often an idle stream says it is alive; it also
	// looks at the read models again then.
	streamPing = 15 * time.Second
	// streamWriteTimeout bounds one write to a client that does not read.
	streamWriteTimeout = 30 * time.Second
	// streamPage is how many changed threads one query reads.
	streamPage = 200
	// streamCoalesce is how long a woken stream lets further commits come
	// before it looks: every projector commits a batch on its own, within
	// milliseconds of the others, and one look serves them all.
	streamCoalesce = 20 * time.Millisecond
)

var errBadLastEventID = newError(http.StatusBadRequest, "invalid_position",
	"Last-Event-ID must be an id: that this stream sent (a position).")

// lastEventID is where a reconnecting client resumes: the Last-Event-ID
// header, else the last_event_id query parameter (a client that cannot set
// headers); ok is false when neither is given.
func lastEventID(r *http.Request) (pos eventstore.Position, ok bool, err error) {
	s := r.Header.Get("Last-Event-ID")
	if s == "" {
		s = r.URL.Query().Get("last_event_id")
	}
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, false, errBadLastEventID
	}
	return eventstore.Position(n), true, nil
}

// LiveReads is what the live updates read: the threads whose view changed
// and the last company-wide change between two positions (the live read
// model, projections.Queries on the primary).
type LiveReads interface {
	ThreadChanges(ctx context.Context, companyID string, after, upTo eventstore.Position, limit int) ([]projections.ThreadChange, error)
	CompanyChange(ctx context.Context, companyID string, after, upTo eventstore.Position) (eventstore.Position, error)
}

// LiveProgress is what the live updates follow: the position every read
// model has applied, a channel closed by the next projector commit (take it
// before reading the position), and one closed when the notifications stop
// (projections.Progress with its Notifier).
type LiveProgress interface {
	Position(ctx context.Context) (eventstore.Position, error)
	Changed() <-chan struct{}
	Stopped() <-chan struct{}
}

// events streams the changes of the caller's Messages view as Server-Sent
// Events: after `ready`, every thread whose view changed after the start
// position, in its latest state, once every read model has applied that
// change; `reload` when something company-wide changed. It wakes when a
// projector commits (projections.Notifier), at every ping, and ends when the
// client leaves, the server stops or the company's Messages are turned off.
// The server closes it, with a final `closed` frame, when the caller's token
// stops signing them in (checked before any frame is sent and at every
// ping; at once when the user is removed or given a new token through this
// server) or when the user opens more than maxStreamsPerUser.
func (a *api) events(w http.ResponseWriter, r *http.Request, c caller) {
	start, resumed, err := lastEventID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ctx, closeStream := a.streams.open(r.Context(), c.User.ID, c.tokenHash)
	defer closeStream()
	if !resumed {
		if start, err = a.progress.Position(ctx); err != nil {
			a.fail(w, r, err)
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", eventStreamType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each frame on at once
	w.WriteHeader(http.StatusOK)

	s := newSSE(w)
	s.field("retry", strconv.Itoa(streamRetry))
	s.event(start, "ready", positionData(start))
	if err := s.flush(); err != nil {
		return // the client left
	}
	err = a.follow(ctx, s, c, start)
	if cause := context.Cause(ctx); errors.Is(cause, errStreamReplaced) || errors.Is(cause, errSignedOut) {
		err = cause
	}
	switch {
	case errors.Is(err, errStreamReplaced), errors.Is(err, errSignedOut):
		// No id: the client's Last-Event-ID stays where it was.
		s.write("event: closed\ndata: " + string(reasonData(err)) + "\n\n")
		_ = s.flush() // the stream ends either way
	case err != nil && ctx.Err() == nil:
		a.log.WarnContext(ctx, "live stream ended", "company", c.Company.ID, "err", err)
	}
}

func reasonData(reason error) []byte {
	b, _ := json.Marshal(map[string]string{"reason": reason.Error()})
	return b
}

// stillSignedIn answers errSignedOut once the token that opened the stream no
// longer signs its user in, as the company's stream says now.
func (a *api) stillSignedIn(ctx context.Context, c caller) error {
	state, err := a.states.Load(ctx, c.Company.ID)
	if err != nil {
		return err
	}
	if !state.SignsIn(c.User.ID, c.tokenHash) {
		return errSignedOut
	}
	return nil
}

// follow sends the changes after last as the read models apply them, until
// the client leaves (ctx), the server stops, or Messages are turned off.
func (a *api) follow(ctx context.Context, s *sse, c caller, last eventstore.Position) error {
	ping := time.NewTicker(streamPing)
	defer ping.Stop()
	stopped := a.progress.Stopped()
	for {
		// Taken before the read: a commit during it wakes the wait below.
		changed := a.progress.Changed()
		// Every read model has applied upTo, and nothing at or below it
		// can change any more: after sending, last = upTo is safe.
		upTo, err := a.progress.Position(ctx)
		if err != nil {
			return err
		}
		if upTo > last {
			sent, reloaded, err := a.sendChanges(ctx, s, c, last, upTo)
			if err != nil {
				return err
			}
			last = sent
			if reloaded {
				co, err := a.directory.Company(ctx, c.Company.ID)
				if err != nil {
					return err
				}
				if !co.SMSEnabled {
					// Nothing after the change that turned Messages off is
					// sent. Access is checked at connect; the reconnect the
					// page makes now answers 403 sms_disabled.
					return nil
				}
				if last < upTo {
					continue // the changes after the reload, at once
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-stopped:
			return nil
		case <-changed:
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(streamCoalesce):
			}
		case <-ping.C:
			if err := a.stillSignedIn(ctx, c); err != nil {
				return err
			}
			s.comment("ping")
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
}

// sendChanges sends the company's changes in (after, upTo], in position
// order: each changed thread's state now, up to the company's company-wide
// change, if any, which it sends as a reload and stops at (reloaded), so
// that the caller decides whether the stream goes on (Messages may have been
// turned off). sent is the position the stream has reached. Before the first
// frame it checks that the caller's token still signs them in
// (errSignedOut otherwise): nothing reaches a removed user.
func (a *api) sendChanges(ctx context.Context, s *sse, c caller, after, upTo eventstore.Position) (sent eventstore.Position, reloaded bool, err error) {
	companyID := c.Company.ID
	reloadAt, err := a.live.CompanyChange(ctx, companyID, after, upTo)
	if err != nil {
		return after, false, err
	}
	checked := false
	check := func() error {
		if checked {
			return nil
		}
		checked = true
		return a.stillSignedIn(ctx, c)
	}
	until := upTo
	if reloadAt != 0 {
		until = reloadAt // the threads changed up to the company-wide change, then it
	}
	for from := after; from < until; {
		page, err := a.live.ThreadChanges(ctx, companyID, from, until, streamPage)
		if err != nil {
			return after, false, err
		}
		if len(page) > 0 {
			if err := check(); err != nil {
				return after, false, err
			}
		}
		for _, ch := range page {
			data, err := json.Marshal(ch.Thread)
			if err != nil {
				return after, false, fmt.Errorf("thread %s: %w", ch.Thread.ID, err)
			}
			s.event(ch.Position, "thread", data)
		}
		if err := s.flush(); err != nil {
			return after, false, err
		}
		if len(page) < streamPage {
			break
		}
		from = page[len(page)-1].Position
	}
	if reloadAt == 0 {
		return upTo, false, s.flush()
	}
	if err := check(); err != nil {
		return after, false, err
	}
	s.event(reloadAt, "reload", positionData(reloadAt))
	return reloadAt, true, s.flush()
}

func positionData(p eventstore.Position) []byte {
	b, _ := json.Marshal(map[string]string{"position": formatPosition(p)})
	return b
}

// sse writes Server-Sent Events frames. The first write error sticks: later
// writes do nothing and flush returns it.
type sse struct {
	w   io.Writer
	rc  *http.ResponseController
	err error
}

func newSSE(w http.ResponseWriter) *sse {
	return &sse{w: w, rc: http.NewResponseController(w)}
}

func (s *sse) write(text string) {
	if s.err != nil {
		return
	}
	if s.rc != nil {
		// A client that stops reading must not hold the stream for ever.
		if err := s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			s.err = err
			return
		}
	}
	_, s.err = io.WriteString(s.w, text)
}

// field writes a frame of one field (such as retry).
func (s *sse) field(name, value string) { s.write(name + ": " + value + "\n\n") }

// event writes one event. data is one line (JSON as encoding/json writes
// it: no line breaks).
func (s *sse) event(id eventstore.Position, name string, data []byte) {
	s.write("id: " + formatPosition(id) + "\nevent: " + name + "\ndata: " + string(data) + "\n\n")
}

// comment writes a comment frame, which clients ignore (a keep-alive).
func (s *sse) comment(text string) { s.write(": " + text + "\n\n") }

// flush sends what was written to the client.
func (s *sse) flush() error {
	if s.err != nil {
		return s.err
	}
	if s.rc == nil {
		return nil
	}
	if err := s.rc.Flush(); err != nil {
		s.err = err
		return err
	}
	// No deadline while the stream waits: it is idle, not stuck.
	if err := s.rc.SetWriteDeadline(time.Time{}); err != nil && !errors.Is(err, http.ErrNotSupported) {
		s.err = err
	}
	return s.err
}
