// Package unrouted keeps inbound texts that smsinbox could not give to a
// company: sent to a number no company owns, or from a sender that is not a
// phone number. Nothing Twilio delivers is lost; operators list them.
package unrouted

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// StreamID is the one stream of unrouted texts.
const StreamID eventstore.StreamID = "unrouted-inbound"

// TypeMessageReceived is the stored type of MessageReceived.
const TypeMessageReceived = "UnroutedMessageReceived"

// SchemaVersion of the documents this package writes.
const SchemaVersion = 1

var eventNamespace = uuid.MustParse("0b6f3c59-52a4-4a3c-9f39-2f7c4c1e8f0e")

// MessageReceived records an inbound text that no company could take.
type MessageReceived struct {
	MessageSID string              `json:"message_sid"`
	From       string              `json:"from"`
	To         string              `json:"to"`
	Body       string              `json:"body"`
	Reason     string              `json:"reason"`
	Params     map[string][]string `json:"params"`
	ReceivedAt time.Time           `json:"received_at"`
}

func (MessageReceived) EventType() string       { return TypeMessageReceived }
func (m MessageReceived) OccurredAt() time.Time { return m.ReceivedAt }

// EventID is the event ID of an unrouted text, from its MessageSid, so a
// retried webhook records it once.
func EventID(messageSID string) uuid.UUID {
	return uuid.NewSHA1(eventNamespace, []byte(messageSID))
}

// Decode reads a stored MessageReceived back.
func Decode(eventType string, data []byte) (MessageReceived, error) {
	var m MessageReceived
	if eventType != TypeMessageReceived {
		return m, fmt.Errorf("unrouted: unknown event type %q", eventType)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return m, nil
}
