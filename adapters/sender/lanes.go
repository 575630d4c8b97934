package sender

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// errStopping refuses work once the sender stops.
var errStopping = errors.New("the sender is stopping")

// job is one queued text to take as far as it can go: the event that queued
// it (its position, for the checkpoint) and the claim it came under.
type job struct {
	q       conversation.OutboundMessageQueued
	pos     eventstore.Position
	eventID uuid.UUID
	ep      *epoch
}

// lanes runs jobs: one lane per conversation, whose jobs run one after the
// other in the order they came (a customer's texts go out in queue order),
// and the lanes of different conversations side by side. Calls to Twilio
// are bounded per messaging number and in all (acquire); the jobs waiting
// in lanes are bounded by backlog (dispatch waits for room).
type lanes struct {
	backlog   int
	perNumber int
	global    chan struct{}

	// ctx ends when the sender stops: no job starts anything new after.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // lanes and awaiters

	mu      sync.Mutex
	byConv  map[eventstore.StreamID]*lane
	queued  int           // jobs in lanes, running or waiting
	room    chan struct{} // closed, and replaced, when a job leaves a lane
	numbers map[phone.Number]chan struct{}
	watches map[uuid.UUID]chan struct{} // closed by wake
}

type lane struct{ jobs []job }

func newLanes(backlog, perNumber, parallel int) *lanes {
	ctx, cancel := context.WithCancel(context.Background())
	return &lanes{
		backlog: backlog, perNumber: perNumber, global: make(chan struct{}, parallel),
		ctx: ctx, cancel: cancel,
		byConv: map[eventstore.StreamID]*lane{}, room: make(chan struct{}),
		numbers: map[phone.Number]chan struct{}{}, watches: map[uuid.UUID]chan struct{}{},
	}
}

// stop ends the lanes' context: the jobs start nothing new (a call under
// way runs to its end and its outcome is recorded); dispatch refuses. It
// takes the lock dispatch checks the context under, so that a dispatch
// either started its lane before stop returned or sees the stop: no lane
// starts once wait has begun.
func (l *lanes) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cancel()
}

// stopped is closed once stop was called.
func (l *lanes) stopped() <-chan struct{} { return l.ctx.Done() }

// wait waits for every lane and awaiter to end (after stop: for the calls
// under way to return and their outcomes to be recorded).
func (l *lanes) wait() { l.wg.Wait() }

// dispatch puts j at the end of its conversation's lane, where run runs it
// in its turn, and returns; it waits while the backlog is full. A job whose
// text is already in a lane for the same claim is not put again (the log
// delivered it again). Once the sender stops it waits for ctx (the
// message's: the subscription ends only after the lanes are done) and
// refuses.
func (l *lanes) dispatch(ctx context.Context, j job, run func(job)) error {
	for {
		l.mu.Lock()
		if l.ctx.Err() != nil {
			l.mu.Unlock()
			<-ctx.Done()
			return errStopping
		}
		if j.ep.has(j.pos) {
			l.mu.Unlock()
			return nil
		}
		if l.queued < l.backlog {
			break
		}
		room := l.room
		l.mu.Unlock()
		select {
		case <-room:
		case <-ctx.Done():
			return ctx.Err()
		case <-l.ctx.Done():
		}
	}
	defer l.mu.Unlock()
	j.ep.add(j.pos)
	l.queued++
	key := conversation.StreamID(j.q.CompanyID, j.q.CustomerPhone)
	ln := l.byConv[key]
	if ln == nil {
		ln = &lane{}
		l.byConv[key] = ln
		l.wg.Add(1)
		go l.drain(key, ln, run)
	}
	ln.jobs = append(ln.jobs, j)
	return nil
}

// drain runs a lane's jobs in order until it is empty.
func (l *lanes) drain(key eventstore.StreamID, ln *lane, run func(job)) {
	defer l.wg.Done()
	for {
		l.mu.Lock()
		if len(ln.jobs) == 0 {
			delete(l.byConv, key)
			l.mu.Unlock()
			return
		}
		j := ln.jobs[0]
		ln.jobs = ln.jobs[1:]
		l.mu.Unlock()

		run(j)

		l.mu.Lock()
		l.queued--
		close(l.room)
		l.room = make(chan struct{})
		l.mu.Unlock()
	}
}

// goAwait runs f beside the lanes (a text waiting for a status callback);
// wait waits for it too.
func (l *lanes) goAwait(f func()) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		f()
	}()
}

// acquire takes a slot of the messaging number's calls, then one of all the
// calls (in that order, so that a busy number holds no slot others could
// use); release gives both back.
func (l *lanes) acquire(ctx context.Context, number phone.Number) (release func(), err error) {
	l.mu.Lock()
	nc := l.numbers[number]
	if nc == nil {
		nc = make(chan struct{}, l.perNumber)
		l.numbers[number] = nc
	}
	l.mu.Unlock()
	select {
	case nc <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case l.global <- struct{}{}:
	case <-ctx.Done():
		<-nc
		return nil, ctx.Err()
	}
	return func() { <-l.global; <-nc }, nil
}

// watch returns a channel closed at the next wake of message id, and a
// function that stops watching.
func (l *lanes) watch(id uuid.UUID) (<-chan struct{}, func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ch := l.watches[id]
	if ch == nil {
		ch = make(chan struct{})
		l.watches[id] = ch
	}
	return ch, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.watches[id] == ch {
			delete(l.watches, id)
		}
	}
}

// wake wakes whoever watches message id (the log shows its outcome moved).
func (l *lanes) wake(id uuid.UUID) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if ch := l.watches[id]; ch != nil {
		close(ch)
		delete(l.watches, id)
	}
}
