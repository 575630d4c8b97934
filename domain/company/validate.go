package company

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// maxIDLen bounds company and user IDs (a UUID has 36 characters).
const maxIDLen = 100

// validID accepts 1 to maxIDLen ASCII letters, digits, "-" and "_": an ID
// ends up in stream names and URLs, where nothing else is needed.
func validID(what, id string) error {
	if id == "" {
		return invalidf("%s is required", what)
	}
	if len(id) > maxIDLen {
		return invalidf("%s is longer than %d characters", what, maxIDLen)
	}
	for _, r := range id {
		if !(r < utf8.RuneSelf && (r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r))) {
			return invalidf("%s %q may hold only letters, digits, - and _", what, id)
		}
	}
	return nil
}

// cleanName trims a name and checks it: required, valid UTF-8 without control
// characters, at most MaxNameLen characters.
func cleanName(what, name string) (string, error) {
	if !utf8.ValidString(name) {
		return "", invalidf("%s is not valid UTF-8", what)
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalidf("%s is required", what)
	case utf8.RuneCountInString(name) > MaxNameLen:
		return "", invalidf("%s is longer than %d characters", what, MaxNameLen)
	case strings.ContainsFunc(name, unicode.IsControl):
		return "", invalidf("%s holds control characters", what)
	}
	return name, nil
}

// checkTimeZone trims an IANA time zone name and checks that it loads.
// "Local" is refused: it means whatever zone the server runs in.
func checkTimeZone(tz string) (string, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return "", invalidf("time zone is empty (an IANA name such as \"America/New_York\" or \"UTC\")")
	}
	if tz == "Local" || len(tz) > maxIDLen {
		return "", invalidf("time zone %q is unknown", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", invalidf("time zone %q is unknown", tz)
	}
	return tz, nil
}

// checkNumber accepts only a number in E.164 form, as phone.Parse makes it.
func checkNumber(what string, n phone.Number) error {
	if n == "" {
		return invalidf("%s is required", what)
	}
	if p, err := phone.Parse(string(n), phone.DefaultRegion); err != nil || p != n {
		return invalidf("%s %q is not a valid number in E.164 form (such as +12025550123)", what, string(n))
	}
	return nil
}

// checkCountry normalises a region code ("us" → "US") and checks that phone
// numbers can be read in it.
func checkCountry(c string) (string, error) {
	c = strings.ToUpper(strings.TrimSpace(c))
	if c == "" {
		return DefaultCountry, nil
	}
	if len(c) != 2 || phonenumbers.GetCountryCodeForRegion(c) == 0 {
		return "", invalidf("country %q is not a known ISO 3166-1 alpha-2 region (such as \"US\")", c)
	}
	return c, nil
}

// checkTokenHash accepts what HashToken makes: 64 lowercase hex digits.
func checkTokenHash(h string) error {
	if h == "" {
		return invalidf("token hash is required")
	}
	if len(h) != 64 || strings.ContainsFunc(h, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) {
		return invalidf("token hash is not a SHA-256 in lowercase hex (company.HashToken)")
	}
	return nil
}

func checkTime(at time.Time) error {
	if at.IsZero() {
		return invalidf("time is required")
	}
	return nil
}
