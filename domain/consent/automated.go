package consent

import "github.com/google/uuid"

var automatedMessageNamespace = uuid.MustParse("b3f0f5a2-5d55-4c1e-9a53-4f4f0f6d2b61")

// AutomatedMessageID is the message ID of the automated text that the
// consent event with ID consentEventID calls for (a UUID v5 of it): the use
// case that queues the text and the audit that finds it, and its Twilio
// SID, in the conversation compute the same one.
func AutomatedMessageID(consentEventID uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(automatedMessageNamespace, consentEventID[:])
}
