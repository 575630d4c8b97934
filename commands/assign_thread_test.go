package commands_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// beforeAppendStore runs hook once, just before the first append to the
// stream: what another request does between a command's reads and its
// append.
type beforeAppendStore struct {
	eventstore.Store
	stream eventstore.StreamID
	once   sync.Once
	hook   func()
}

func (s *beforeAppendStore) Append(ctx context.Context, stream eventstore.StreamID, expected eventstore.ExpectedVersion, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if stream == s.stream {
		s.once.Do(s.hook)
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

var conversationDecider = commands.Decider[conversation.State, conversation.Event, conversation.Command]{
	Evolve: conversation.Evolve, Decide: conversation.Decide, Decode: conversation.Decode, SchemaVersion: conversation.SchemaVersion,
}

// An assignment decided on the company's users as they were just before the
// user's removal, and appended after it, is undone by the command itself:
// the reactor that releases a removed user's threads may have looked before
// the assignment was there.
func TestAssignRacingTheAssigneesRemoval(t *testing.T) {
	h := newHandlers(t)
	ctx := context.Background()
	co := h.mustCreate(t, "Acme Dental", numA).Company.ID
	ann, err := h.add.Handle(ctx, commands.AddUser{CompanyID: co, Name: "Ann", Role: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	customer := phone.MustParse("+1 312 555 0111", "")
	stream := conversation.StreamID(co, customer)
	open := conversation.ReceiveMessage{MessageID: uuid.New(), CompanyID: co, CustomerPhone: customer, MessagingNumber: numA,
		MessageSID: "SM00000000000000000000000000000001", Body: "hello", ReceivedAt: h.now}
	if _, err := commands.Execute(ctx, h.store, conversationDecider, stream, conversation.Command(open), eventstore.Metadata{}); err != nil {
		t.Fatal(err)
	}
	remove := commands.NewRemoveUserHandler(h.store, fixedClock(&h.now))
	racing := &beforeAppendStore{Store: h.store, stream: stream, hook: func() {
		if _, err := remove.Handle(ctx, commands.RemoveUser{CompanyID: co, UserID: ann.ID}); err != nil {
			t.Errorf("remove: %v", err)
		}
	}}

	pos, err := assignThread(racing, &h.now).Handle(ctx, commands.AssignThread{CompanyID: co, Customer: customer, UserID: &ann.ID, By: "someone"})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var last eventstore.RecordedEvent
	for rec, err := range h.store.ReadStream(ctx, stream, 0) {
		if err != nil {
			t.Fatal(err)
		}
		types, last = append(types, rec.Type), rec
	}
	want := []string{conversation.TypeMessageReceived, conversation.TypeThreadAssigned, conversation.TypeThreadUnassigned}
	if len(types) != len(want) || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("events %v, want %v", types, want)
	}
	if pos != last.Position || last.Metadata.Actor != "system" {
		t.Fatalf("answered %d for the release at %d by %q", pos, last.Position, last.Metadata.Actor)
	}
	ev, _ := conversation.Decode(last.Type, last.Data)
	if u := ev.(conversation.ThreadUnassigned); u.Previous != ann.ID || u.Reason != conversation.UnassignedUserRemoved {
		t.Fatalf("release %+v", u)
	}

	// Without a race, an assignment stays.
	bob, err := h.add.Handle(ctx, commands.AddUser{CompanyID: co, Name: "Bob", Role: "agent"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := assignThread(h.store, &h.now).Handle(ctx, commands.AssignThread{CompanyID: co, Customer: customer, UserID: &bob.ID, By: "someone"}); err != nil {
		t.Fatal(err)
	}
	s, _, _, err := commands.Load(ctx, h.store, conversationDecider, stream)
	if err != nil || s.AssigneeID != bob.ID {
		t.Fatalf("assignee %q, %v", s.AssigneeID, err)
	}
}

func assignThread(store eventstore.Store, now *time.Time) *commands.AssignThreadHandler {
	return commands.NewAssignThreadHandler(store, fixedClock(now))
}
