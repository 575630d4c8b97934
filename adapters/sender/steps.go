package sender

import (
	"github.com/smsinbox/smsinbox/commands"
	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/eventstore"
)

// Steps are the use cases the sender runs to take a text from queued to an
// outcome (package commands' send steps, outbound_send.go). They are
// handlers made where the application is wired, which wraps them in what
// every use case wants (logging, metrics); the sender only decides which
// one to run.
type Steps struct {
	Start          commands.Handler[commands.StartSend, conversation.Event]
	RecordResult   commands.Handler[commands.RecordSendResult, eventstore.Position]
	Defer          commands.Handler[commands.DeferSend, conversation.Event]
	OutcomeUnknown commands.Handler[commands.RecordOutcomeUnknown, eventstore.Position]
	Expire         commands.Handler[commands.ExpireOutcome, conversation.Event]
	Fail           commands.Handler[commands.FailSend, eventstore.Position]
	CarrierOptOut  commands.Handler[commands.RecordCarrierOptOut, eventstore.Position]
}

// complete reports whether every step is there.
func (s Steps) complete() bool {
	return s.Start != nil && s.RecordResult != nil && s.Defer != nil && s.OutcomeUnknown != nil &&
		s.Expire != nil && s.Fail != nil && s.CarrierOptOut != nil
}
