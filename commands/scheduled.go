package commands

// The use cases of scheduled messages (domain/conversation's scheduled.go),
// one a file:
//
//	ScheduleOutbound    a staff text to go at send_at, decided now (consent
//	                    yes, the recipient's hours at send_at)
//	ReleaseScheduled    when due: released to the sender, or canceled
//	                    (the due-scheduler, adapters/scheduler, runs it)
//	CancelScheduled     a user cancels it
//	CancelUnsent        a STOP cancels every staff text not handed to Twilio

// ActorScheduler is the actor of a release (or a cancel when due).
const ActorScheduler = "system:scheduler"
