package conversation

import (
	"strings"
	"unicode/utf8"
)

// clean makes outside text safe to record: valid UTF-8 without NUL
// characters (each run of invalid bytes, and each NUL, becomes U+FFFD).
// JSON would otherwise replace invalid bytes itself, so the event replayed
// from the store would differ from the event decided (and a MessageSid would
// no longer match itself), and PostgreSQL's jsonb refuses U+0000. Replacing
// rather than dropping never makes a keyword of a non-keyword ("ST\x00OP").
// clean(clean(s)) == clean(s).
func clean(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
