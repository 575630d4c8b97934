// Package conversation is the pure domain of a thread: the one conversation
// between a company and a customer phone number (docs/rules.md, "Threads" and
// "Messages").
//
// It follows the Decider style: State is the thread as its events describe it,
// Evolve folds one event into a State, and Decide turns a Command into the
// events it causes (or an error). Nothing here does I/O, reads the clock or
// makes random IDs: times and IDs arrive with the commands. A command handler
// is the same few lines everywhere:
//
//	stream := conversation.StreamID(companyID, customer)
//	state, last := conversation.State{}, int64(-1)
//	for rec, err := range store.ReadStream(ctx, stream, 0) { // handle err
//		ev, err := conversation.Decode(rec.Type, rec.Data) // handle err
//		state, last = conversation.Evolve(state, ev), int64(rec.Version)
//	}
//	events, err := conversation.Decide(state, cmd)
//	// marshal each event with encoding/json, Type ev.EventType(),
//	// OccurredAt ev.OccurredAt(), SchemaVersion conversation.SchemaVersion,
//	// and append with eventstore.AfterVersion(last); on a concurrency
//	// error, load again and decide again.
//
// The thread survives a change of the company's messaging number: its stream
// and its ID depend only on the company and the customer's number.
package conversation

import (
	"errors"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
	"github.com/smsinbox/smsinbox/domain/phone"
)

// StreamPrefix starts the name of every conversation stream; use it in an
// eventstore.Filter to read or follow every thread.
const StreamPrefix = "conversation-"

// SchemaVersion is the version of the event documents this package writes
// (eventstore.EventData.SchemaVersion).
const SchemaVersion = 1

// Errors of Decide and Decode. They are matched with errors.Is; the HTTP layer
// maps them in one place (ErrThreadNotFound → 404, ErrInvalidCommand → 400).
var (
	// ErrThreadNotFound: the command needs a thread and the stream has none.
	ErrThreadNotFound = errors.New("thread not found")
	// ErrInvalidCommand: a command lacks a field it needs, or names another
	// thread than the state it is decided on.
	ErrInvalidCommand = errors.New("invalid conversation command")
	// ErrUnknownEvent: Decode was given an event type this package does not
	// define.
	ErrUnknownEvent = errors.New("unknown conversation event type")
)

// Fixed namespaces of the name-based (version 5) UUIDs below. They must never
// change: stored thread IDs and event IDs were derived from them.
var (
	threadNamespace       = uuid.MustParse("5d081045-080c-4a74-be45-8730bff3397b")
	inboundEventNamespace = uuid.MustParse("3eb19d74-8247-403f-87ef-cb33358123ff")
)

// StreamID names the stream of the thread between a company and a customer:
// "conversation-<company>-<phone>".
func StreamID(companyID string, customer phone.Number) eventstore.StreamID {
	return eventstore.StreamID(StreamPrefix + companyID + "-" + string(customer))
}

// ThreadID is the thread's ID, the same every time for the same company and
// customer number (a UUID v5), so any component can compute it.
func ThreadID(companyID string, customer phone.Number) uuid.UUID {
	// The phone part starts with "+" and holds only digits, so the last ":"
	// separates the two parts without ambiguity.
	return uuid.NewSHA1(threadNamespace, []byte(companyID+":"+string(customer)))
}

// InboundEventID is the event ID of the MessageReceived event that records the
// inbound message with Twilio's MessageSid sid (a UUID v5). Two deliveries of
// the same webhook thus append the same event ID, and the store records it
// once even when both raced past Decide's check of known SIDs.
func InboundEventID(messageSID string) uuid.UUID {
	return uuid.NewSHA1(inboundEventNamespace, []byte(messageSID))
}
