package consent

import "fmt"

// Status is the consent status: StatusNo (the start), StatusPending, StatusYes.
// The zero Status is StatusNo. In JSON it is "no", "pending" or "yes".
type Status uint8

const (
	StatusNo Status = iota
	StatusPending
	StatusYes
)

func (s Status) String() string {
	switch s {
	case StatusNo:
		return "no"
	case StatusPending:
		return "pending"
	case StatusYes:
		return "yes"
	default:
		return fmt.Sprintf("Status(%d)", uint8(s))
	}
}

// ParseStatus reads "no", "pending" or "yes".
func ParseStatus(text string) (Status, error) {
	switch text {
	case "no":
		return StatusNo, nil
	case "pending":
		return StatusPending, nil
	case "yes":
		return StatusYes, nil
	default:
		return StatusNo, fmt.Errorf("unknown consent status %q", text)
	}
}

func (s Status) MarshalText() ([]byte, error) {
	if s > StatusYes {
		return nil, fmt.Errorf("unknown consent status %d", uint8(s))
	}
	return []byte(s.String()), nil
}

func (s *Status) UnmarshalText(text []byte) error {
	v, err := ParseStatus(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// AutomatedText says which automated text a consent event calls for. In JSON
// it is the constant's value.
type AutomatedText string

const (
	// TextNone: nothing to send.
	TextNone AutomatedText = "none"
	// TextConfirmationRequest asks the customer to reply YES (row 1).
	TextConfirmationRequest AutomatedText = "confirmation_request"
	// TextOptOutConfirmation confirms an opt-out, once, on the change. It is
	// not shown in the thread (nor in its export), only in the audit.
	TextOptOutConfirmation AutomatedText = "opt_out_confirmation"
	// TextResubscribed confirms an opt-in after an opt-out (row 4).
	TextResubscribed AutomatedText = "resubscribed_confirmation"
	// TextHelpReply answers HELP / INFO (row 5).
	TextHelpReply AutomatedText = "help_reply"
)

// ShownInThread reports whether the text, once sent, appears in the thread
// and its export. Only the opt-out confirmation does not.
func (t AutomatedText) ShownInThread() bool { return t != TextOptOutConfirmation }
