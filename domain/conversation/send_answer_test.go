package conversation_test

import (
	"testing"

	"github.com/smsinbox/smsinbox/domain/conversation"
)

// One row per rule of CarrierAnswer.Meaning (send_answer.go).
func TestCarrierAnswerMeaning(t *testing.T) {
	tests := []struct {
		name   string
		answer conversation.CarrierAnswer
		want   conversation.AnswerMeaning
	}{
		// Row 1.
		{"taken", conversation.CarrierAnswer{Taken: true}, conversation.AnswerSent},
		{"taken, with an error code in the answer", conversation.CarrierAnswer{Taken: true, ErrorCode: 30003}, conversation.AnswerSent},
		// Row 2.
		{"21610", conversation.CarrierAnswer{HTTPStatus: 400, ErrorCode: 21610}, conversation.AnswerCarrierOptOut},
		{"21610 whatever the status", conversation.CarrierAnswer{HTTPStatus: 500, ErrorCode: 21610}, conversation.AnswerCarrierOptOut},
		// Row 3.
		{"429", conversation.CarrierAnswer{HTTPStatus: 429, ErrorCode: 20429}, conversation.AnswerSurelyNotTaken},
		{"500", conversation.CarrierAnswer{HTTPStatus: 500}, conversation.AnswerSurelyNotTaken},
		{"503", conversation.CarrierAnswer{HTTPStatus: 503}, conversation.AnswerSurelyNotTaken},
		{"the request never left", conversation.CarrierAnswer{NeverLeft: true}, conversation.AnswerSurelyNotTaken},
		// Row 4.
		{"400: an invalid number", conversation.CarrierAnswer{HTTPStatus: 400, ErrorCode: 21211}, conversation.AnswerRefused},
		{"401", conversation.CarrierAnswer{HTTPStatus: 401}, conversation.AnswerRefused},
		{"404", conversation.CarrierAnswer{HTTPStatus: 404}, conversation.AnswerRefused},
		// Row 5.
		{"no answer (a time-out, a connection dropped)", conversation.CarrierAnswer{}, conversation.AnswerOutcomeUnknown},
		{"an answer naming no message", conversation.CarrierAnswer{HTTPStatus: 200}, conversation.AnswerOutcomeUnknown},
		{"a redirect", conversation.CarrierAnswer{HTTPStatus: 302}, conversation.AnswerOutcomeUnknown},
	}
	for _, tt := range tests {
		if got := tt.answer.Meaning(); got != tt.want {
			t.Errorf("%s: %+v means %d, want %d", tt.name, tt.answer, got, tt.want)
		}
	}
}

// A message the carrier refused with 21610 is told apart from other
// failures, and from a text it took.
func TestRefusedForCarrierOptOut(t *testing.T) {
	tests := []struct {
		name string
		m    conversation.OutboundMessage
		want bool
	}{
		{"failed with 21610, never taken", conversation.OutboundMessage{Status: conversation.StatusFailed, ErrorCode: 21610}, true},
		{"failed otherwise", conversation.OutboundMessage{Status: conversation.StatusFailed, ErrorCode: 21211}, false},
		{"taken, then failed with 21610", conversation.OutboundMessage{Status: conversation.StatusFailed, ErrorCode: 21610, SID: "SM1"}, false},
		{"not failed", conversation.OutboundMessage{Status: conversation.StatusQueued, ErrorCode: 21610}, false},
	}
	for _, tt := range tests {
		if got := tt.m.RefusedForCarrierOptOut(); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
