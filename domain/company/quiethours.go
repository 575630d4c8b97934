package company

import (
	"time"

	"github.com/smsinbox/smsinbox/domain/quiethours"
)

// A company may keep to a narrower sending window than the law's: its own
// quiet hours, two clock times in the recipient's local time, within which
// staff texts that do not answer the customer may leave. The rule that
// applies them (domain/quiethours) only ever narrows the law's window with
// them, never widens it: a company window of 06:00–23:00 changes nothing,
// 10:00–18:00 keeps Florida's 08:00–20:00 to 10:00–18:00. Without a window
// of its own the law's window alone applies.

// TypeQuietHoursChanged is the type of QuietHoursChanged.
const TypeQuietHoursChanged = "CompanyQuietHoursChanged"

// QuietHours is a company's own window as an admin writes it: Start and End
// are "HH:MM" (00:00 to 23:59, Start before End; quiethours.ParseWindow).
// Both empty: no window of its own.
type QuietHours struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// QuietHoursChanged: the company's own sending window changed. Start and End
// are "HH:MM"; both empty when the company dropped its window (the law's
// alone applies).
type QuietHoursChanged struct {
	CompanyID string    `json:"company_id"`
	Start     string    `json:"start"`
	End       string    `json:"end"`
	At        time.Time `json:"at"`
}

func (QuietHoursChanged) EventType() string       { return TypeQuietHoursChanged }
func (e QuietHoursChanged) OccurredAt() time.Time { return e.At }

// quietHoursChange is the event that gives company s the window q, or nil
// when s already has it. A window that does not parse is an *Error matching
// quiethours.ErrInvalidWindow (not ErrInvalidCommand: the HTTP layer names
// it apart).
func quietHoursChange(s State, q QuietHours, at time.Time) (Event, error) {
	var w quiethours.Window
	if q.Start != "" || q.End != "" {
		var err error
		if w, err = quiethours.ParseWindow(q.Start, q.End); err != nil {
			return nil, &Error{Err: quiethours.ErrInvalidWindow,
				Message: "quiet_hours: " + err.Error() + ` (give "start" and "end" as HH:MM, 00:00 to 23:59, start before end)`}
		}
	}
	if w == s.QuietHours {
		return nil, nil
	}
	e := QuietHoursChanged{CompanyID: s.CompanyID, At: at}
	if !w.IsZero() {
		e.Start, e.End = w.Start(), w.End()
	}
	return e, nil
}

// evolveQuietHours is s after e. Recorded windows always parse; one that
// would not (written by hand) reads as none.
func evolveQuietHours(s State, e QuietHoursChanged) State {
	s.QuietHours = quiethours.Window{}
	if e.Start != "" || e.End != "" {
		if w, err := quiethours.ParseWindow(e.Start, e.End); err == nil {
			s.QuietHours = w
		}
	}
	return s
}
