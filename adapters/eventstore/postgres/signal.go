package postgres

import "sync"

// signal wakes every waiter at once: Wait returns a channel that is closed by
// the next Broadcast. Taking the channel before reading makes a wake-up that
// comes during the read impossible to miss.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) Broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}
