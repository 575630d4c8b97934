package conversation

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// DefaultInboundApp is the app of an inbound message whose command names none.
const DefaultInboundApp = "sms"

// Command is what can be asked of a thread: ReceiveMessage, MarkRead,
// MarkUnread, Archive or Unarchive; and of its outbound messages (outbound.go):
// QueueMessage, StartSend, DeferSend, RecordSent, FailSend, ApplyStatus,
// RecordOutcomeUnknown, ExpireOutcome; of scheduled messages (scheduled.go):
// ScheduleMessage, ReleaseScheduled, CancelScheduled, CancelUnsent; of the
// team inbox: Assign, Unassign, ReleaseRemovedUser (assign.go) and AddNote
// (notes.go).
type Command interface{ isCommand() }

// ReceiveMessage records an inbound message from a Twilio webhook. It opens
// the thread if there is none. IDs and times come from the caller.
type ReceiveMessage struct {
	// MessageID is the new message's ID, made by the caller.
	MessageID     uuid.UUID
	CompanyID     string
	CustomerPhone phone.Number // Twilio's From
	// MessagingNumber is the company number the customer texted (Twilio's
	// To); it may be a former number of the company.
	MessagingNumber phone.Number
	MessageSID      string
	Body            string
	Media           []Media
	NumSegments     int    // 0 when Twilio did not say
	App             string // DefaultInboundApp when empty
	// OptOutType is Twilio's OptOutType, empty when absent: kept so that the
	// thread knows which texts were opt-outs (see SendChecks).
	OptOutType string
	ReceivedAt time.Time
}

// MarkRead marks the thread read (a user opened it).
type MarkRead struct{ At time.Time }

// MarkUnread marks the thread unread.
type MarkUnread struct{ At time.Time }

// Archive moves the thread to Archived.
type Archive struct{ At time.Time }

// Unarchive moves the thread back to the Inbox.
type Unarchive struct{ At time.Time }

func (ReceiveMessage) isCommand() {}
func (MarkRead) isCommand()       {}
func (MarkUnread) isCommand()     {}
func (Archive) isCommand()        {}
func (Unarchive) isCommand()      {}

// Decide returns the events that command c causes on a thread in state s, in
// order; none when the command changes nothing. The rules (docs/rules.md):
//
//   - ReceiveMessage records a MessageReceived, which makes the thread unread
//     and returns it from Archived to the Inbox. A message whose MessageSid is
//     already recorded decides nothing: Twilio delivered the webhook again.
//   - MarkRead, MarkUnread, Archive, Unarchive record their event unless the
//     thread is already so, when they decide nothing (no error either).
//     On a thread that does not exist they fail with ErrThreadNotFound.
//   - QueueMessage records an OutboundMessageQueued (opening the thread if
//     needed); a message ID already recorded decides nothing (a retry). A
//     staff text outside the recipient's allowed hours that answers no
//     customer text of the last 24 hours is refused with a
//     *QuietHoursError (quiethours.go).
//   - StartSend, DeferSend, RecordSent, FailSend and ApplyStatus move an
//     outbound message on; each decides nothing when the message is already
//     past what it records, so that a retried or late command changes
//     nothing. A status only climbs (OutboundStatus.Rank); a final one
//     stands. They fail with ErrThreadNotFound or ErrMessageNotFound when
//     the message is not there.
//   - ScheduleMessage, ReleaseScheduled, CancelScheduled and CancelUnsent
//     follow the rule table of scheduled.go.
//   - Assign, Unassign, ReleaseRemovedUser and AddNote: the rule tables in
//     assign.go and notes.go.
//
// A command that lacks what it needs fails with ErrInvalidCommand.
func Decide(s State, c Command) ([]Event, error) {
	switch c := c.(type) {
	case ReceiveMessage:
		return receive(s, c)
	case MarkRead:
		return change(s, c.At, !s.Unread, ThreadRead{Thread: s.Thread, At: c.At})
	case MarkUnread:
		return change(s, c.At, s.Unread, ThreadMarkedUnread{Thread: s.Thread, At: c.At})
	case Archive:
		return change(s, c.At, s.Archived, ThreadArchived{Thread: s.Thread, At: c.At})
	case Unarchive:
		return change(s, c.At, !s.Archived, ThreadUnarchived{Thread: s.Thread, At: c.At})
	case QueueMessage:
		return queue(s, c)
	case StartSend:
		return startSend(s, c)
	case DeferSend:
		return deferSend(s, c)
	case RecordSent:
		return recordSent(s, c)
	case FailSend:
		return failSend(s, c)
	case ApplyStatus:
		return applyStatus(s, c)
	case RecordOutcomeUnknown:
		return recordOutcomeUnknown(s, c)
	case ExpireOutcome:
		return expireOutcome(s, c)
	case ScheduleMessage:
		return schedule(s, c)
	case ReleaseScheduled:
		return release(s, c)
	case CancelScheduled:
		return cancelScheduled(s, c)
	case CancelUnsent:
		return cancelUnsent(s, c)
	case Assign:
		return assign(s, c)
	case Unassign:
		return unassign(s, c)
	case ReleaseRemovedUser:
		return releaseRemovedUser(s, c)
	case AddNote:
		return addNote(s, c)
	default:
		return nil, fmt.Errorf("%w: unknown command %T", ErrInvalidCommand, c)
	}
}

func receive(s State, c ReceiveMessage) ([]Event, error) {
	c.MessageSID, c.Body, c.App = clean(c.MessageSID), clean(c.Body), clean(c.App)
	c.OptOutType = strings.TrimSpace(clean(c.OptOutType))
	var media []Media
	for _, m := range c.Media {
		media = append(media, Media{URL: clean(m.URL), ContentType: clean(m.ContentType)})
	}
	switch {
	case c.MessageID == uuid.Nil:
		return nil, invalid("message ID")
	case c.CompanyID == "":
		return nil, invalid("company ID")
	case c.CustomerPhone == "":
		return nil, invalid("customer phone")
	case c.MessagingNumber == "":
		return nil, invalid("messaging number")
	case c.MessageSID == "":
		return nil, invalid("message SID")
	case c.ReceivedAt.IsZero():
		return nil, invalid("time")
	case c.NumSegments < 0:
		return nil, fmt.Errorf("%w: negative number of segments", ErrInvalidCommand)
	}
	if s.Exists() && (s.CompanyID != c.CompanyID || s.CustomerPhone != c.CustomerPhone) {
		return nil, fmt.Errorf("%w: message for %s/%s decided on thread %s/%s",
			ErrInvalidCommand, c.CompanyID, c.CustomerPhone, s.CompanyID, s.CustomerPhone)
	}
	if s.HasMessage(c.MessageSID) {
		return nil, nil
	}
	app := c.App
	if app == "" {
		app = DefaultInboundApp
	}
	return []Event{MessageReceived{
		MessageID: c.MessageID,
		Thread: Thread{
			ThreadID:      ThreadID(c.CompanyID, c.CustomerPhone),
			CompanyID:     c.CompanyID,
			CustomerPhone: c.CustomerPhone,
		},
		MessagingNumber: c.MessagingNumber,
		MessageSID:      c.MessageSID,
		Body:            c.Body,
		Media:           media,
		NumSegments:     c.NumSegments,
		App:             app,
		OptOutType:      c.OptOutType,
		ReceivedAt:      c.ReceivedAt,
	}}, nil
}

// change decides a user's command on an existing thread: e, unless the thread
// already is as e would make it.
func change(s State, at time.Time, already bool, e Event) ([]Event, error) {
	if !s.Exists() {
		return nil, ErrThreadNotFound
	}
	if at.IsZero() {
		return nil, invalid("time")
	}
	if already {
		return nil, nil
	}
	return []Event{e}, nil
}

func invalid(field string) error {
	return fmt.Errorf("%w: %s is required", ErrInvalidCommand, field)
}
