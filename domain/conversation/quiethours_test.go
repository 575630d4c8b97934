package conversation_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/smsinbox/smsinbox/domain/conversation"
	"github.com/smsinbox/smsinbox/domain/phone"
	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// eastern is the customer's zone (+1 202: Washington, D.C., 08:00–21:00).
var eastern = func() *time.Location {
	l, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return l
}()

// dc is hh:mm on Tuesday 24 November 2026 in Washington, D.C., plus days.
func dc(days, hh, mm int) time.Time {
	return time.Date(2026, 11, 24+days, hh, mm, 0, 0, eastern)
}

func window(t *testing.T, start, end string) quiethours.Window {
	t.Helper()
	w, err := quiethours.ParseWindow(start, end)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// queueAt is the staff text name queued to leave at instant at.
func queueAt(name string, at time.Time) conversation.QueueMessage {
	c := queueMsg(name, 0)
	c.At = at
	return c
}

// queuedAt is the event queueAt records.
func queuedAt(name string, at time.Time) conversation.OutboundMessageQueued {
	e := queued(name, 0)
	e.QueuedAt = at
	return e
}

// textAt is an inbound text at instant at.
func textAt(sid, body string, at time.Time) conversation.MessageReceived {
	e := text(sid, body, 0)
	e.ReceivedAt = at
	return e
}

// Quiet hours on a staff text, decided when it is queued: one row per rule.
// then is the queued event, or refusedUntil the next allowed moment
// (a refusal with none when it is the zero Time).
func TestQueueQuietHours(t *testing.T) {
	late := dc(0, 21, 30)
	nextMorning := dc(1, 8, 0)
	automated := func(c conversation.QueueMessage) conversation.QueueMessage {
		c.App, c.Automated = "automated", true
		return c
	}
	narrowed := func(c conversation.QueueMessage, w quiethours.Window) conversation.QueueMessage {
		c.QuietHours = w
		return c
	}
	automatedQueued := queuedAt("M1", late)
	automatedQueued.App, automatedQueued.Automated = "automated", true
	possible := phone.Number("+15551230001") // possible, not valid: no zone, no state
	unknownPlace := queueAt("M1", dc(0, 10, 0))
	unknownPlace.CustomerPhone = possible
	nowhere := queueAt("M1", dc(0, 12, 0))
	nowhere.CustomerPhone = phone.Number("+80012345678") // international freephone

	tests := []struct {
		name         string
		given        []conversation.Event
		when         conversation.QueueMessage
		then         []conversation.Event
		refused      bool
		refusedUntil time.Time
	}{
		{"inside the window: queued", nil, queueAt("M1", dc(0, 20, 59)), events(queuedAt("M1", dc(0, 20, 59))), false, time.Time{}},
		{"after 21:00: refused until 08:00", nil, queueAt("M1", late), nil, true, nextMorning},
		{"before 08:00: refused until 08:00", nil, queueAt("M1", dc(0, 7, 59)), nil, true, dc(0, 8, 0)},
		{"the customer texted 23h59 before: a reply, queued at any hour",
			events(textAt("SM1", "Can you call me?", late.Add(-23*time.Hour-59*time.Minute))), queueAt("M1", late),
			events(queuedAt("M1", late)), false, time.Time{}},
		{"the customer's last text was a YES: a reply too",
			events(textAt("SMyes", "YES", late.Add(-time.Hour))), queueAt("M1", late), events(queuedAt("M1", late)), false, time.Time{}},
		{"the customer texted exactly 24h before: the window applies",
			events(textAt("SM1", "Hello", late.Add(-24*time.Hour))), queueAt("M1", late), nil, true, nextMorning},
		{"consent's automated text: at any hour", nil, automated(queueAt("M1", late)), events(automatedQueued), false, time.Time{}},
		{"the company's window narrows: 10:00 outside 11:00–17:00", nil, narrowed(queueAt("M1", dc(0, 10, 0)), window(t, "11:00", "17:00")),
			nil, true, dc(0, 11, 0)},
		{"the company's window never widens: 21:30 inside 06:00–23:00 is still refused", nil,
			narrowed(queueAt("M1", late), window(t, "06:00", "23:00")), nil, true, nextMorning},
		{"a +1 555 number: the strictest reading (09:00 in Hawaii)", nil, unknownPlace, nil, true,
			time.Date(2026, 11, 24, 9, 0, 0, 0, time.FixedZone("HST", -10*3600))},
		{"a number placed nowhere: refused, no next moment", nil, nowhere, nil, true, time.Time{}},
		{"a retry of a text already queued: nothing, whatever the hour", events(queuedAt("M1", dc(0, 20, 59))), queueAt("M1", late), nil, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.given...), tt.when)
			if !tt.refused {
				if err != nil || !reflect.DeepEqual(got, tt.then) {
					t.Fatalf("got %#v, %v; want %#v", got, err, tt.then)
				}
				return
			}
			checkRefusal(t, got, err, tt.refusedUntil)
		})
	}
}

func checkRefusal(t *testing.T, got []conversation.Event, err error, next time.Time) {
	t.Helper()
	var qh *conversation.QuietHoursError
	if !errors.As(err, &qh) || !errors.Is(err, conversation.ErrQuietHours) || got != nil {
		t.Fatalf("got %#v, %v; want a quiet-hours refusal", got, err)
	}
	if !qh.NextAllowed.Equal(next) || (!next.IsZero() && qh.NextAllowed.Location() != time.UTC) {
		t.Fatalf("next allowed %v, want %v (UTC)", qh.NextAllowed, next)
	}
}

// Quiet hours decided again when the sender is about to hand the text to
// Twilio: the law binds the moment it leaves. One row per rule.
func TestStartSendQuietHours(t *testing.T) {
	queuedLate := queuedAt("M1", dc(0, 20, 59))
	automated := queuedAt("M1", dc(0, 20, 59))
	automated.App, automated.Automated = "automated", true
	narrow := allowed
	narrow.QuietHours = window(t, "09:00", "17:00")

	tests := []struct {
		name   string
		given  []conversation.Event
		checks conversation.SendChecks
		at     time.Time
		// refused: failed with ReasonQuietHours; else attempted.
		refused bool
	}{
		{"inside the window: attempted", events(queuedLate), allowed, dc(0, 20, 59), false},
		{"queued at 20:59, its attempt at 21:00: not sent", events(queuedLate), allowed, dc(0, 21, 0), true},
		{"a reply (the customer texted an hour before): attempted at any hour",
			events(textAt("SM1", "Still open?", dc(0, 21, 0)), queuedLate), allowed, dc(0, 22, 0), false},
		{"the customer's text is 24h old when it leaves: not sent",
			events(textAt("SM1", "Still open?", dc(-1, 22, 0)), queuedLate), allowed, dc(0, 22, 0), true},
		{"automated: attempted at any hour", events(automated), allowed, dc(0, 23, 0), false},
		{"the company's window, narrowed since it was queued: not sent", events(queuedAt("M1", dc(0, 17, 30))), narrow, dc(0, 17, 30), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conversation.Decide(given(tt.given...), conversation.StartSend{MessageID: outID("M1"), Checks: tt.checks, At: tt.at})
			if err != nil || len(got) != 1 {
				t.Fatalf("%#v %v", got, err)
			}
			f, failed := got[0].(conversation.OutboundMessageFailed)
			switch {
			case tt.refused && (!failed || f.ReasonCode != conversation.ReasonQuietHours || !strings.Contains(f.Reason, "allowed sending hours")):
				t.Fatalf("%#v, want failed for quiet hours", got[0])
			case !tt.refused:
				if _, ok := got[0].(conversation.OutboundSendAttempted); !ok {
					t.Fatalf("%#v, want attempted", got[0])
				}
			}
		})
	}
}

// CheckQuietHours is the one decision both use, and the one a scheduler calls
// for a send instant ahead: the 24 hours are counted to that instant.
func TestCheckQuietHoursCountsToTheSendInstant(t *testing.T) {
	s := given(textAt("SM1", "Tomorrow?", dc(0, 22, 0)))
	for _, tt := range []struct {
		name string
		at   time.Time
		next time.Time
		ok   bool
	}{
		{"23:00 the same night: a reply", dc(0, 23, 0), time.Time{}, true},
		{"21:59 the next night: still a reply", dc(1, 21, 59), time.Time{}, true},
		{"22:00 the next night: 24 hours on, refused", dc(1, 22, 0), dc(2, 8, 0), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := conversation.CheckQuietHours(s, conversation.SendTime{To: customer, At: tt.at})
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkRefusal(t, nil, err, tt.next)
		})
	}
}
