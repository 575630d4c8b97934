package conversation_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// t0 is 10:00 in Washington, DC (the customer's +1 202 number, Eastern
// time, the default window 08:00–21:00): the minutes after it below name
// their wall time there.
const (
	day      = 24 * 60
	noon     = 2 * 60
	nextFive = day - 5*60 // 05:00 the next day
	nextOne  = day - 9*60 // 01:00 the next day
	nextTwo  = day - 8*60 // 02:00 the next day
)

// schedule is the command that schedules staff message name at minute min,
// to go at minute sendMin.
func schedule(name string, min, sendMin int) conversation.ScheduleMessage {
	return conversation.ScheduleMessage{
		MessageID: outID(name), CompanyID: company, CustomerPhone: customer, From: ourNum,
		Body: "reply " + name, App: "dashboard", SendAt: at(sendMin), At: at(min),
	}
}

// scheduled is the event schedule(name, min, sendMin) records.
func scheduled(name string, min, sendMin int) conversation.OutboundMessageScheduled {
	return conversation.OutboundMessageScheduled{
		MessageID: outID(name), Thread: thread, From: ourNum, To: customer,
		Body: "reply " + name, App: "dashboard", SendAt: at(sendMin), ScheduledAt: at(min),
	}
}

// released is the OutboundMessageQueued that releases scheduled message
// name, due at minute sendMin, at minute min.
func released(name string, sendMin, min int) conversation.OutboundMessageQueued {
	e := queued(name, min)
	e.SendAt = at(sendMin)
	return e
}

func canceledBy(name, reason string, min int) conversation.OutboundMessageCanceled {
	return conversation.OutboundMessageCanceled{MessageID: outID(name), Thread: thread, Reason: reason, At: at(min)}
}

func releaseAt(name string, checks conversation.SendChecks, min int) conversation.ReleaseScheduled {
	return conversation.ReleaseScheduled{MessageID: outID(name), Checks: checks, At: at(min)}
}

// One row per rule of scheduled.go's table.
func TestDecideScheduled(t *testing.T) {
	yes := consentAfter(t, [2]string{"SMyes", "YES"})
	stopped := consentAfter(t, [2]string{"SMyes", "YES"}, [2]string{"SMstop", "STOP"})
	check := func(f func(*conversation.SendChecks)) conversation.SendChecks {
		c := conversation.SendChecks{CompanyFound: true, MessagingNumber: ourNum, SMSEnabled: true, Consent: yes}
		f(&c)
		return c
	}
	ok := check(func(*conversation.SendChecks) {})
	newNumber := check(func(c *conversation.SendChecks) { c.MessagingNumber = phone.MustParse("+1 202 555 0100", "") })
	noConsent := check(func(c *conversation.SendChecks) { c.Consent = stopped })
	messagesOff := check(func(c *conversation.SendChecks) { c.SMSEnabled = false })
	gone := conversation.SendChecks{}
	withWindow := schedule("M1", noon, noon+60)
	withWindow.CompanyWindow = mustWindow(t, "09:00", "12:30")
	due := events(scheduled("M1", noon, noon+60))
	inFlight := events(queued("Q2", noon-2), attempted("Q2", 1, noon-1))
	named := events(queued("Q3", noon-3), attempted("Q3", 1, noon-2), sent("Q3", "SMq3", "queued", conversation.StatusSending, noon-1))
	deferredQ := events(queued("Q4", noon-3), attempted("Q4", 1, noon-2), deferred("Q4", 1, noon-1))
	automated := hiddenQueued("A1", noon-1)
	stop := conversation.CancelUnsent{Reason: conversation.CancelConsent, Explanation: "the customer texted STOP", At: at(noon)}
	autoReply := queued("R1", noon-1)
	autoReply.App, autoReply.Automated, autoReply.AutoReply = "automated", true, true
	tmpl := uuid.MustParse("0197a1b2-0000-7000-8000-00000000000a")
	fromTemplate := with(schedule("M1", noon, noon+60), func(c *conversation.ScheduleMessage) { c.TemplateID = &tmpl })
	scheduledFromTemplate := scheduled("M1", noon, noon+60)
	scheduledFromTemplate.TemplateID = &tmpl
	releasedFromTemplate := released("M1", noon+60, noon+60)
	releasedFromTemplate.TemplateID = &tmpl
	byAnn := with(schedule("M1", noon, noon+60), func(c *conversation.ScheduleMessage) { c.SentBy = "ann" })
	assignedToAnn := conversation.ThreadAssigned{Thread: thread, AssigneeID: "ann", By: "ann", ReplyID: outID("M1"), At: at(noon)}
	assignedToBob := conversation.ThreadAssigned{Thread: thread, AssigneeID: "bob", By: "bob", At: at(noon - 1)}
	stopCanceled := func(name string) conversation.Event {
		e := canceledBy(name, conversation.CancelConsent, noon)
		e.Explanation = "the customer texted STOP"
		return e
	}

	tests := []struct {
		name  string
		given []conversation.Event
		when  conversation.Command
		then  []conversation.Event
		err   error
	}{
		// Row S1: 1 minute to 35 days ahead.
		{"S1 less than a minute ahead", nil, with(schedule("M1", noon, noon), func(c *conversation.ScheduleMessage) { c.SendAt = c.At.Add(59 * time.Second) }), nil, conversation.ErrInvalidSendAt},
		{"S1 in the past", nil, schedule("M1", noon, noon-1), nil, conversation.ErrInvalidSendAt},
		{"S1 no send_at", nil, with(schedule("M1", noon, noon), func(c *conversation.ScheduleMessage) { c.SendAt = time.Time{} }), nil, conversation.ErrInvalidSendAt},
		{"S1 exactly a minute ahead", nil, schedule("M1", noon, noon+1), events(scheduled("M1", noon, noon+1)), nil},
		{"S1 exactly 35 days ahead", nil, schedule("M1", noon, noon+35*day), events(scheduled("M1", noon, noon+35*day)), nil},
		{"S1 more than 35 days ahead", nil, schedule("M1", noon, noon+35*day+1), nil, conversation.ErrInvalidSendAt},
		// Row S2: inside the recipient's hours at send_at.
		{"S2 05:00 in DC is refused", nil, schedule("M1", noon, nextFive), nil, conversation.ErrQuietHours},
		{"S2 the company's window narrows it", nil, withWindow, nil, conversation.ErrQuietHours},
		{"S2 a customer text within 24 h of send_at exempts it", events(received("SM1", noon)), schedule("M1", noon, nextFive), events(scheduled("M1", noon, nextFive)), nil},
		{"S2 a customer text 24 h before send_at does not", events(received("SM1", nextFive-day)), schedule("M1", noon, nextFive), nil, conversation.ErrQuietHours},
		// Row S3, and what a text needs.
		{"S3 scheduled", events(received("SM1", 0)), schedule("M1", noon, noon+60), events(scheduled("M1", noon, noon+60)), nil},
		{"S3 from a template: the template is kept", nil, fromTemplate, events(scheduledFromTemplate), nil},
		{"S3 scheduling assigns an unassigned thread to its sender", events(received("SM1", 0)), byAnn, events(scheduled("M1", noon, noon+60), assignedToAnn), nil},
		{"S3 scheduling leaves an assigned thread to its assignee", events(received("SM1", 0), assignedToBob), byAnn, events(scheduled("M1", noon, noon+60)), nil},
		{"S3 the same ID again records nothing", due, schedule("M1", noon+1, noon+90), nil, nil},
		{"S3 an empty text", nil, with(schedule("M1", noon, noon+60), func(c *conversation.ScheduleMessage) { c.Body = " " }), nil, conversation.ErrInvalidCommand},
		{"S3 no app", nil, with(schedule("M1", noon, noon+60), func(c *conversation.ScheduleMessage) { c.App = "" }), nil, conversation.ErrInvalidCommand},
		// Row S4: released when due.
		{"S4 due: released", due, releaseAt("M1", ok, noon+60), events(released("M1", noon+60, noon+60)), nil},
		{"S4 a template's text keeps its template when released", events(scheduledFromTemplate), releaseAt("M1", ok, noon+60), events(releasedFromTemplate), nil},
		{"S4 the release assigns no one", events(scheduled("M1", noon, noon+60), assignedToAnn), releaseAt("M1", ok, noon+60), events(released("M1", noon+60, noon+60)), nil},
		{"S4 late: released", due, releaseAt("M1", ok, noon+90), events(released("M1", noon+60, noon+90)), nil},
		// Row S5: consent or number.
		{"S5 the number changed", due, releaseAt("M1", newNumber, noon+60), events(canceledBy("M1", conversation.CancelConsent, noon+60)), nil},
		{"S5 consent withdrawn", due, releaseAt("M1", noConsent, noon+60), events(canceledBy("M1", conversation.CancelConsent, noon+60)), nil},
		{"S5 an opt-out text consent has not decided", append(slices.Clone(due), text("SMstop2", "STOP", noon+30)), releaseAt("M1", ok, noon+60), events(canceledBy("M1", conversation.CancelConsent, noon+60)), nil},
		// Row S6: the company.
		{"S6 Messages off", due, releaseAt("M1", messagesOff, noon+60), events(canceledBy("M1", conversation.CancelNotAllowed, noon+60)), nil},
		{"S6 the company gone", due, releaseAt("M1", gone, noon+60), events(canceledBy("M1", conversation.CancelNotAllowed, noon+60)), nil},
		// Row S12: released late, at a forbidden hour.
		{"S12 released at 02:00 in DC", due, releaseAt("M1", ok, nextTwo), events(canceledBy("M1", conversation.CancelQuietHours, nextTwo)), nil},
		{"S12 released late, at 18:40, still in the window", due, releaseAt("M1", ok, noon+400), events(released("M1", noon+60, noon+400)), nil},
		{"S12 released late, the customer texted since", append(slices.Clone(due), received("SM9", nextOne)), releaseAt("M1", ok, nextTwo), events(released("M1", noon+60, nextTwo)), nil},
		// Row S7: once.
		{"S7 not due yet", due, releaseAt("M1", ok, noon+59), nil, nil},
		{"S7 released already", append(slices.Clone(due), released("M1", noon+60, noon+60)), releaseAt("M1", ok, noon+61), nil, nil},
		{"S7 canceled already", append(slices.Clone(due), canceledBy("M1", conversation.CancelStaff, noon+10)), releaseAt("M1", ok, noon+60), nil, nil},
		{"S7 an unknown message", due, releaseAt("M9", ok, noon+60), nil, conversation.ErrMessageNotFound},
		// Rows S8 to S10: a user's cancel.
		{"S8 cancel", due, conversation.CancelScheduled{MessageID: outID("M1"), At: at(noon + 10)}, events(canceledBy("M1", conversation.CancelStaff, noon+10)), nil},
		{"S9 cancel again", append(slices.Clone(due), canceledBy("M1", conversation.CancelStaff, noon+10)), conversation.CancelScheduled{MessageID: outID("M1"), At: at(noon + 11)}, nil, nil},
		{"S10 cancel once released", append(slices.Clone(due), released("M1", noon+60, noon+60)), conversation.CancelScheduled{MessageID: outID("M1"), At: at(noon + 61)}, nil, conversation.ErrNotScheduled},
		{"S10 cancel a text sent at once", named, conversation.CancelScheduled{MessageID: outID("Q3"), At: at(noon)}, nil, conversation.ErrNotScheduled},
		{"S10 cancel an unknown message", due, conversation.CancelScheduled{MessageID: outID("M9"), At: at(noon)}, nil, conversation.ErrMessageNotFound},
		// Row S11: a STOP cancels what Twilio has not been handed.
		{"S11 a STOP cancels scheduled and queued staff texts", events(scheduled("M1", noon-5, noon+60), queued("Q1", noon-4)), stop, events(stopCanceled("M1"), stopCanceled("Q1")), nil},
		{"S11 a text Twilio surely did not take is canceled", deferredQ, stop, events(stopCanceled("Q4")), nil},
		{"S11 not an attempt in flight, nor one Twilio named", append(slices.Clone(inFlight), named...), stop, nil, nil},
		{"S11 not consent's own automated text", events(automated), stop, nil, nil},
		{"S11 the after-hours auto-reply, bound by consent, is canceled", events(autoReply), stop, events(stopCanceled("R1")), nil},
		{"S11 not a canceled one again", append(slices.Clone(due), canceledBy("M1", conversation.CancelStaff, noon+10)), stop, nil, nil},
		{"S11 on no thread", nil, stop, nil, nil},
		{"S11 a reason is required", due, conversation.CancelUnsent{At: at(noon)}, nil, conversation.ErrInvalidCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.given...), tt.when)
			if !errors.Is(err, tt.err) || (err != nil) != (tt.err != nil) {
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if err != nil {
				return
			}
			// Explanations are for people; compare the reason codes.
			if !reflect.DeepEqual(withoutExplanations(got), withoutExplanations(tt.then)) {
				t.Fatalf("events\n got %#v\nwant %#v", got, tt.then)
			}
			for _, e := range got {
				if c, ok := e.(conversation.OutboundMessageCanceled); ok && c.Explanation == "" {
					t.Errorf("a cancel without an explanation: %#v", c)
				}
			}
		})
	}
}

func with(c conversation.ScheduleMessage, f func(*conversation.ScheduleMessage)) conversation.Command {
	f(&c)
	return c
}

func mustWindow(t *testing.T, start, end string) quiethours.Window {
	t.Helper()
	w, err := quiethours.ParseWindow(start, end)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func withoutExplanations(es []conversation.Event) []conversation.Event {
	out := slices.Clone(es)
	for i, e := range out {
		if c, ok := e.(conversation.OutboundMessageCanceled); ok {
			c.Explanation = ""
			out[i] = c
		}
	}
	return out
}

// A refusal of send_at names the next allowed moment: 08:00 in DC (13:00
// UTC) on the day send_at asked for, which is allowed.
func TestScheduleQuietHoursNextAllowed(t *testing.T) {
	_, err := conversation.Decide(conversation.State{}, schedule("M1", noon, nextFive))
	var qh *conversation.QuietHoursError
	if !errors.As(err, &qh) || !qh.At.Equal(at(nextFive)) {
		t.Fatalf("error %v, want a QuietHoursError at send_at", err)
	}
	if want := time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC); !qh.NextAllowed.Equal(want) {
		t.Errorf("next allowed %v, want %v", qh.NextAllowed, want)
	}
	next := schedule("M1", noon, noon)
	next.SendAt = qh.NextAllowed
	if _, err := conversation.Decide(conversation.State{}, next); err != nil {
		t.Errorf("the next allowed moment is refused: %v", err)
	}
}

func TestEvolveScheduled(t *testing.T) {
	s := given(received("SM1", 0), scheduled("M1", noon, noon+60))
	m, ok := s.Outbound(outID("M1"))
	if !ok || m.Status != conversation.StatusScheduled || !m.SendAt.Equal(at(noon+60)) || m.WaitsToBeSent() {
		t.Fatalf("scheduled: %+v", m)
	}
	if !s.LastActivityAt.Equal(at(0)) || s.Messages != 2 {
		t.Fatalf("a scheduled text moved the thread: activity %v, %d messages", s.LastActivityAt, s.Messages)
	}
	r := conversation.Evolve(s, released("M1", noon+60, noon+61))
	if m, _ := r.Outbound(outID("M1")); m.Status != conversation.StatusQueued || !m.WaitsToBeSent() || !m.QueuedAt.Equal(at(noon+61)) {
		t.Fatalf("released: %+v", m)
	}
	if !r.LastActivityAt.Equal(at(noon+61)) || r.Messages != 2 {
		t.Fatalf("released: activity %v, %d messages", r.LastActivityAt, r.Messages)
	}
	c := conversation.Evolve(s, canceledBy("M1", conversation.CancelStaff, noon+1))
	if m, _ := c.Outbound(outID("M1")); m.Status != conversation.StatusCanceled || m.CancelReason != conversation.CancelStaff || !m.Status.Final() {
		t.Fatalf("canceled: %+v", m)
	}
	if m, _ := s.Outbound(outID("M1")); m.Status != conversation.StatusScheduled {
		t.Fatalf("Evolve changed the state it was given: %+v", m)
	}
}

// A text queued at once says nothing of send_at; a schedule and its
// release have event IDs of their own.
func TestScheduledEventFields(t *testing.T) {
	data, _ := json.Marshal(queued("Q1", 1))
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["send_at"]; ok {
		t.Errorf("a text queued at once carries send_at: %s", data)
	}
	if conversation.ScheduledEventID(outID("M1")) == conversation.OutboundEventID(outID("M1")) {
		t.Error("scheduling and releasing a message have one event ID")
	}
}
