package template

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Event types, as stored in eventstore.EventData.Type.
const (
	TypeTemplateCreated = "TemplateCreated"
	TypeTemplateUpdated = "TemplateUpdated"
	TypeTemplateDeleted = "TemplateDeleted"
)

// EventTypes lists every event type of this package.
func EventTypes() []string {
	return []string{TypeTemplateCreated, TypeTemplateUpdated, TypeTemplateDeleted}
}

// Event is one fact about a company's templates. Its JSON document
// (encoding/json, snake_case fields) is what the store keeps.
type Event interface {
	EventType() string
	OccurredAt() time.Time
}

// TemplateCreated: a new template, with its name and body.
type TemplateCreated struct {
	TemplateID uuid.UUID `json:"template_id"`
	CompanyID  string    `json:"company_id"`
	Name       string    `json:"name"`
	Body       string    `json:"body"`
	At         time.Time `json:"at"`
}

// TemplateUpdated: a template's name and body now (both, whichever changed).
type TemplateUpdated struct {
	TemplateID uuid.UUID `json:"template_id"`
	CompanyID  string    `json:"company_id"`
	Name       string    `json:"name"`
	Body       string    `json:"body"`
	At         time.Time `json:"at"`
}

// TemplateDeleted: the template is gone; texts sent from it keep its ID.
type TemplateDeleted struct {
	TemplateID uuid.UUID `json:"template_id"`
	CompanyID  string    `json:"company_id"`
	At         time.Time `json:"at"`
}

func (TemplateCreated) EventType() string { return TypeTemplateCreated }
func (TemplateUpdated) EventType() string { return TypeTemplateUpdated }
func (TemplateDeleted) EventType() string { return TypeTemplateDeleted }

func (e TemplateCreated) OccurredAt() time.Time { return e.At }
func (e TemplateUpdated) OccurredAt() time.Time { return e.At }
func (e TemplateDeleted) OccurredAt() time.Time { return e.At }

// Decode reads a stored event of this package.
func Decode(eventType string, data []byte) (Event, error) {
	var e Event
	var err error
	switch eventType {
	case TypeTemplateCreated:
		var v TemplateCreated
		err = json.Unmarshal(data, &v)
		e = v
	case TypeTemplateUpdated:
		var v TemplateUpdated
		err = json.Unmarshal(data, &v)
		e = v
	case TypeTemplateDeleted:
		var v TemplateDeleted
		err = json.Unmarshal(data, &v)
		e = v
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnknownEvent, eventType)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", eventType, err)
	}
	return e, nil
}
