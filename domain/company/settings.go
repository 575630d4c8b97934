package company

import (
	"time"

	"github.com/smsinbox/smsinbox/domain/autoreply"
	"github.com/smsinbox/smsinbox/domain/consent"
)

// A company's messaging settings, events of its stream: the after-hours
// auto-reply (domain/autoreply) and the wording of consent's automated texts
// (consent.Texts). Each event holds the whole setting as it stands after it,
// so a reader needs only the last one.

// Event types of the settings.
const (
	TypeAutoReplySet      = "AutoReplySet"
	TypeAutomatedTextsSet = "AutomatedTextsSet"
)

// SetAutoReply sets the after-hours auto-reply. Settings come from
// autoreply.New, and Decide checks them again.
type SetAutoReply struct {
	Settings autoreply.Settings
	At       time.Time
}

// SetAutomatedTexts sets the wording of consent's automated texts; empty
// fields are smsinbox's own wording. Decide checks them with
// consent.CheckTexts against the company's name.
type SetAutomatedTexts struct {
	Texts consent.Texts
	At    time.Time
}

func (SetAutoReply) isCommand()      {}
func (SetAutomatedTexts) isCommand() {}

// AutoReplySet: the company's auto-reply settings are now Settings.
type AutoReplySet struct {
	CompanyID string `json:"company_id"`
	autoreply.Settings
	At time.Time `json:"at"`
}

// AutomatedTextsSet: the company's automated texts are now worded Texts
// (every field filled in: a company that set one text keeps smsinbox's
// wording of the others, as it was then).
type AutomatedTextsSet struct {
	CompanyID string        `json:"company_id"`
	Texts     consent.Texts `json:"texts"`
	At        time.Time     `json:"at"`
}

func (AutoReplySet) EventType() string      { return TypeAutoReplySet }
func (AutomatedTextsSet) EventType() string { return TypeAutomatedTextsSet }

func (e AutoReplySet) OccurredAt() time.Time      { return e.At }
func (e AutomatedTextsSet) OccurredAt() time.Time { return e.At }

// AutoReply is the company's auto-reply settings: autoreply.Default until
// it sets them.
func (s State) AutoReply() autoreply.Settings {
	if s.autoReply == nil {
		return autoreply.Default()
	}
	return *s.autoReply
}

// Texts is the wording of the company's automated texts, every field filled
// in (smsinbox's own wording where the company set none).
func (s State) Texts() consent.Texts { return s.texts.WithDefaults() }

// evolveSettings is Evolve for the settings' events.
func evolveSettings(s State, e Event) State {
	switch e := e.(type) {
	case AutoReplySet:
		settings := e.Settings
		s.autoReply = &settings
	case AutomatedTextsSet:
		s.texts = e.Texts
	}
	return s
}

// setAutoReply records AutoReplySet when the settings differ from the
// company's; the same settings decide nothing. A refusal is an *Error that
// wraps autoreply's.
func setAutoReply(s State, c SetAutoReply) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	settings, err := autoreply.New(c.Settings.Enabled, c.Settings.Body, c.Settings.Hours.Days())
	if err != nil {
		return nil, &Error{Err: err, Message: err.Error()}
	}
	if s.autoReply != nil && s.autoReply.Equal(settings) {
		return nil, nil
	}
	return []Event{AutoReplySet{CompanyID: s.CompanyID, Settings: settings, At: c.At}}, nil
}

// setTexts records AutomatedTextsSet when the wording passes
// consent.CheckTexts (else an *Error that wraps its consent.TextProblems)
// and differs from the company's.
func setTexts(s State, c SetAutomatedTexts) ([]Event, error) {
	if err := existing(s, c.At); err != nil {
		return nil, err
	}
	texts := c.Texts.WithDefaults()
	if err := consent.CheckTexts(texts, s.Name); err != nil {
		return nil, &Error{Err: err, Message: err.Error()}
	}
	if texts == s.Texts() {
		return nil, nil
	}
	return []Event{AutomatedTextsSet{CompanyID: s.CompanyID, Texts: texts, At: c.At}}, nil
}
