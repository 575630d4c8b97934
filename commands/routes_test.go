package commands_test

import (
	"context"
	"iter"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/company"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// claimReads counts the reads of number claim streams.
type claimReads struct {
	eventstore.Store
	n atomic.Int64
}

func (s *claimReads) ReadStream(ctx context.Context, stream eventstore.StreamID, from uint64) iter.Seq2[eventstore.RecordedEvent, error] {
	if strings.HasPrefix(string(stream), string(company.NumberStreamID(""))) {
		s.n.Add(1)
	}
	return s.Store.ReadStream(ctx, stream, from)
}

func mustRoute(t *testing.T, r *commands.Routes, n phone.Number) (string, bool) {
	t.Helper()
	id, found, err := r.Route(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return id, found
}

// A number held by a company that exists is answered from memory: such a
// claim never changes.
func TestRoutesRememberAClaimOfAnExistingCompany(t *testing.T) {
	store := &claimReads{Store: newStore(t)}
	h := handlersOn(store)
	acme := h.mustCreate(t, "Acme", numA)
	routes := commands.NewRoutes(store)
	if id, found := mustRoute(t, routes, numA); !found || id != acme.Company.ID {
		t.Fatalf("route %q %v", id, found)
	}
	reads := store.n.Load()
	for range 3 {
		if id, found := mustRoute(t, routes, numA); !found || id != acme.Company.ID {
			t.Fatalf("route again %q %v", id, found)
		}
	}
	if got := store.n.Load(); got != reads {
		t.Fatalf("the claim stream was read %d more times", got-reads)
	}
	// After a number change both numbers route to the company (the former
	// one from memory still).
	h.now = t0.Add(time.Hour)
	if _, err := h.change.Handle(context.Background(), commands.ChangeMessagingNumber{CompanyID: acme.Company.ID, MessagingNumber: numB}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []phone.Number{numA, numB} {
		if id, found := mustRoute(t, routes, n); !found || id != acme.Company.ID {
			t.Fatalf("route %s after the change: %q %v", n, id, found)
		}
	}
}

// A number no company holds yet is read again each time: a company that
// takes it (here by changing its number) gets the next text to it.
func TestRoutesFindANumberClaimedAfterATextToIt(t *testing.T) {
	h := newHandlers(t)
	acme := h.mustCreate(t, "Acme", numA)
	routes := commands.NewRoutes(h.store)
	if _, found := mustRoute(t, routes, numB); found {
		t.Fatal("an unclaimed number routed")
	}
	h.now = t0.Add(time.Hour)
	if _, err := h.change.Handle(context.Background(), commands.ChangeMessagingNumber{CompanyID: acme.Company.ID, MessagingNumber: numB}); err != nil {
		t.Fatal(err)
	}
	if id, found := mustRoute(t, routes, numB); !found || id != acme.Company.ID {
		t.Fatalf("after the change: %q %v, want %q", id, found, acme.Company.ID)
	}
}

// An orphan's claim (its company never created) is read again each time:
// the company that takes the number over gets the next text to it.
func TestRoutesFollowAnOrphanClaimTakenOver(t *testing.T) {
	h := newHandlers(t)
	const ghost = "ghost-company"
	appendOrphanClaim(t, h.store, numA, ghost)
	routes := commands.NewRoutes(h.store)
	if id, found := mustRoute(t, routes, numA); !found || id != ghost {
		t.Fatalf("the orphan's claim: %q %v", id, found)
	}
	h.now = t0.Add(company.OrphanAfter)
	acme := h.mustCreate(t, "Acme", numA)
	if id, found := mustRoute(t, routes, numA); !found || id != acme.Company.ID {
		t.Fatalf("after the take-over: %q %v, want %q", id, found, acme.Company.ID)
	}
}
