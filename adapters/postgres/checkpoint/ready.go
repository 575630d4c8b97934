package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/smsinbox/smsinbox/adapters/eventstream"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// StaleAfter is how long a consumer that another process holds may go
// without moving its checkpoint, while the log has events past it, before it
// counts as stuck.
const StaleAfter = time.Minute

// Local is a consumer as this process sees it: its name and its
// subscription's status here.
type Local struct {
	Name   string
	Status func() eventstream.Status
}

// Readiness answers whether each consumer is being run: claimed here and not
// stalled, or held by another live process whose checkpoint keeps up with
// the log. It says why not in an error (for the log, not for the caller of
// /readyz).
type Readiness struct {
	Pool *pgxpool.Pool
	Head func(context.Context) (eventstore.Position, error)
	Now  func() time.Time
}

// Check returns nil when every consumer is being run, else an error naming
// those that are not. Whoever runs a consumer, a live session must hold its
// lock: a consumer this process believes it holds, on a connection that died
// a moment ago, is not run until it is claimed again.
func (r Readiness) Check(ctx context.Context, consumers ...Local) error {
	names := make([]string, len(consumers))
	for i, c := range consumers {
		names[i] = c.Name
	}
	standings, err := Standings(ctx, r.Pool, names)
	if err != nil {
		return err
	}
	var head eventstore.Position
	headRead := false
	var errs []error
	for _, c := range consumers {
		st, local := standings[c.Name], c.Status()
		switch {
		case !st.Held:
			errs = append(errs, fmt.Errorf("%s: no live session holds it", c.Name))
		case local.Stalled:
			errs = append(errs, fmt.Errorf("%s: claimed here, but its handler has failed %d times in a row", c.Name, local.Nacks))
		case local.Claimed:
		default: // another process runs it: it must keep up
			if !headRead {
				if head, err = r.Head(ctx); err != nil {
					return err
				}
				headRead = true
			}
			if st.Position < head && r.Now().Sub(st.UpdatedAt) > StaleAfter {
				errs = append(errs, fmt.Errorf("%s: held by another process, but its checkpoint (%d, behind %d) has not moved since %s",
					c.Name, st.Position, head, st.UpdatedAt.UTC().Format(time.RFC3339)))
			}
		}
	}
	return errors.Join(errs...)
}
