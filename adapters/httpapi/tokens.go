package httpapi

import (
	"sync"

	"github.com/smsinbox/smsinbox/projections"
)

// maxKnownTokens bounds the tokens sign-in remembers: far more than the
// users one server signs in, and a few MiB at most.
const maxKnownTokens = 20000

// knownTokens remembers which user a token's hash named in the directory.
// That never changes (a rotated or removed user's old token stops signing
// in, which the company's stream says on every request; it does not come
// to name someone else), so a remembered user spares sign-in a read of the
// directory. Only tokens that signed in are remembered, so the map holds
// no guesses; when it is full it starts again empty.
type knownTokens struct {
	mu    sync.Mutex
	users map[string]projections.User
	max   int
}

func newKnownTokens(max int) *knownTokens {
	return &knownTokens{users: map[string]projections.User{}, max: max}
}

func (k *knownTokens) get(hash string) (projections.User, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	u, ok := k.users[hash]
	return u, ok
}

func (k *knownTokens) put(hash string, u projections.User) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.users[hash]; !ok && len(k.users) >= k.max {
		clear(k.users)
	}
	k.users[hash] = u
}

func (k *knownTokens) forget(hash string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.users, hash)
}
