package consent

import (
	"strings"
	"unicode"
)

// Keyword is what a customer's whole message asks of consent.
type Keyword string

const (
	// None: an ordinary message.
	None Keyword = "none"
	// OptOut: STOP and its synonyms.
	OptOut Keyword = "opt_out"
	// OptIn: START, UNSTOP, YES.
	OptIn Keyword = "opt_in"
	// Help: HELP, INFO.
	Help Keyword = "help"
)

// keywords maps a normalised message (see normalise) to its keyword: Twilio's
// default keywords plus the FCC's opt-out words.
var keywords = map[string]Keyword{
	"STOP":            OptOut,
	"STOPALL":         OptOut,
	"STOP ALL":        OptOut,
	"UNSUBSCRIBE":     OptOut,
	"CANCEL":          OptOut,
	"END":             OptOut,
	"QUIT":            OptOut,
	"OPTOUT":          OptOut,
	"OPT OUT":         OptOut,
	"REVOKE":          OptOut,
	"STOP TEXTING ME": OptOut,
	"UNSUBSCRIBE ME":  OptOut,

	"START":  OptIn,
	"UNSTOP": OptIn,
	"YES":    OptIn,

	"HELP": Help,
	"INFO": Help,
}

// Classify reads a customer's message as a keyword. The keyword must be the
// whole message; case does not matter, nor white space around it, runs of
// white space inside it ("stop   texting me"), or punctuation at its end
// ("Stop!!", "STOP."). Anything else ("stop by tomorrow", "stopping",
// "!STOP") is None.
func Classify(body string) Keyword {
	if k, ok := keywords[normalise(body)]; ok {
		return k
	}
	return None
}

// normalise trims white space and trailing punctuation, makes every inner run
// of white space one space, and upper-cases the rest.
func normalise(body string) string {
	s := strings.TrimRightFunc(body, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	return strings.ToUpper(strings.Join(strings.Fields(s), " "))
}

// InboundKeyword is what an inbound text asks of consent: Twilio's
// OptOutType when it names one (Twilio's Advanced Opt-Out recognised a
// keyword, perhaps a custom one), else Classify of the body.
func InboundKeyword(body, optOutType string) Keyword {
	if k := keywordOfOptOutType(optOutType); k != None {
		return k
	}
	return Classify(body)
}

// keywordOfOptOutType reads Twilio's OptOutType webhook parameter ("STOP",
// "START", "HELP"), present when Twilio's Advanced Opt-Out recognised a
// keyword (perhaps a custom one) and already answered it.
func keywordOfOptOutType(optOutType string) Keyword {
	switch strings.ToUpper(strings.TrimSpace(optOutType)) {
	case "STOP":
		return OptOut
	case "START":
		return OptIn
	case "HELP":
		return Help
	default:
		return None
	}
}
