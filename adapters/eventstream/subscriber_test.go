package eventstream

import (
	"context"
	"sync"
	"testing"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// blockingClaim never claims: each subscription waits in its claim until its
// context ends, as one waiting for another instance's lock does.
func blockingClaim(ctx context.Context, _ string) (eventstore.Position, context.Context, func(), error) {
	<-ctx.Done()
	return 0, nil, nil, ctx.Err()
}

// TestSubscribeRacesClose: a Subscribe that races Close either counts (and
// Close waits for it) or is refused; it never races Close's wait (the race
// detector saw that once, as a router started while its app was stopping).
func TestSubscribeRacesClose(t *testing.T) {
	for range 200 {
		s, err := New(Config{Store: struct{ eventstore.Store }{}, Claim: blockingClaim})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if out, err := s.Subscribe(context.Background(), "topic"); err == nil {
				for range out { // closed when Close ends the subscription
				}
			}
		}()
		go func() { defer wg.Done(); s.Close() }()
		wg.Wait()
	}
	s, _ := New(Config{Store: struct{ eventstore.Store }{}, Claim: blockingClaim})
	s.Close()
	if _, err := s.Subscribe(context.Background(), "topic"); err == nil {
		t.Fatal("Subscribe after Close succeeded")
	}
}
