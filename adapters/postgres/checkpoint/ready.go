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
// those that are not.
func (r Readiness) Check(ctx context.Context, consumers ...Local) error {
	var remote []string
	var errs []error
	for _, c := range consumers {
		st := c.Status()
		switch {
		case st.Stalled:
			errs = append(errs, fmt.Errorf("%s: claimed here, but its handler has failed %d times in a row", c.Name, st.Nacks))
		case !st.Claimed:
			remote = append(remote, c.Name)
		}
	}
	if len(remote) == 0 {
		return errors.Join(errs...)
	}
	standings, err := Standings(ctx, r.Pool, remote)
	if err != nil {
		return err
	}
	head, err := r.Head(ctx)
	if err != nil {
		return err
	}
	now := r.Now()
	for _, name := range remote {
		st := standings[name]
		switch {
		case !st.Held:
			errs = append(errs, fmt.Errorf("%s: no live process holds it", name))
		case st.Position < head && now.Sub(st.UpdatedAt) > StaleAfter:
			errs = append(errs, fmt.Errorf("%s: held by another process, but its checkpoint (%d, behind %d) has not moved since %s",
				name, st.Position, head, st.UpdatedAt.UTC().Format(time.RFC3339)))
		}
	}
	return errors.Join(errs...)
}
