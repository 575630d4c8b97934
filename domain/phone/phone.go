// Package phone normalises telephone numbers to E.164, the one form in which
// smsinbox stores and compares them ("+12025550123").
//
// Parse is the only way to make a Number from outside input: it accepts the
// international form and the national forms of a region (spaces, dashes, dots,
// slashes and parentheses allowed), and rejects everything that cannot be a
// telephone number: letters, and numbers too short or too long for their
// country (not "possible" in libphonenumber's terms).
//
// A possible number that the metadata does not call valid is accepted: an
// area code assigned after the metadata was built, or a fictional range such
// as +1 555. Twilio has already routed such a number, and hiding a real
// customer's text, or refusing to look their consent up, is worse than
// trusting it. What the metadata cannot tell of it (its time zone, its
// state) is left unknown (Locate), and the rules that need it read the
// unknown in the strictest way.
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// DefaultRegion is the region used to read national numbers when the caller
// gives none (a company without a configured country).
const DefaultRegion = "US"

// maxInputLen bounds the input, in bytes; a formatted E.164 number with
// generous punctuation fits in well under this.
const maxInputLen = 64

// ErrInvalid is matched (errors.Is) by every error Parse returns. The HTTP
// layer maps it to 400 invalid_phone.
var ErrInvalid = errors.New("invalid phone number")

// Number is a telephone number in E.164 form: "+" followed by the country code
// and the national number, digits only. Only Parse (and MustParse) make one
// from input; the zero Number is "no number".
type Number string

// String returns the E.164 form.
func (n Number) String() string { return string(n) }

// Parse normalises input to E.164. A number written without its country code
// is read in defaultRegion, an ISO 3166-1 alpha-2 code such as "US" or "GB"
// (case-insensitive, DefaultRegion when empty); a number that starts with "+"
// (or an international call prefix of the region, such as 00 or 011) keeps its
// own country. Letters, extensions and other symbols are rejected, as are
// numbers that are too short or too long for their country (a number that
// only dials locally, without its area code, is too short). Every error
// matches ErrInvalid.
func Parse(input, defaultRegion string) (Number, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", invalid(input, "empty")
	}
	if len(s) > maxInputLen {
		return "", invalid(input, "too long")
	}
	if err := checkChars(s); err != nil {
		return "", invalid(input, err.Error())
	}
	region := strings.ToUpper(strings.TrimSpace(defaultRegion))
	if region == "" {
		region = DefaultRegion
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil {
		return "", invalid(input, err.Error())
	}
	if num.GetExtension() != "" {
		return "", invalid(input, "extensions are not allowed")
	}
	switch phonenumbers.IsPossibleNumberWithReason(num) {
	case phonenumbers.IS_POSSIBLE:
	case phonenumbers.IS_POSSIBLE_LOCAL_ONLY:
		return "", invalid(input, "too short: the area code is missing")
	case phonenumbers.TOO_SHORT:
		return "", invalid(input, "too short")
	case phonenumbers.TOO_LONG:
		return "", invalid(input, "too long")
	case phonenumbers.INVALID_COUNTRY_CODE:
		return "", invalid(input, "no such country calling code")
	default:
		return "", invalid(input, "not a possible number for its country")
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	// libphonenumber accepts some national plans' longest numbers past
	// E.164's limit of 15 digits (found by FuzzParse: +49 201 00000000000).
	if len(e164)-1 > maxE164Digits {
		return "", invalid(input, "longer than E.164's 15 digits")
	}
	return Number(e164), nil
}

// maxE164Digits is E.164's limit on a number's digits, country code included.
const maxE164Digits = 15

// MustParse is Parse for constants and tests: it panics on an invalid number.
func MustParse(input, defaultRegion string) Number {
	n, err := Parse(input, defaultRegion)
	if err != nil {
		panic(err)
	}
	return n
}

// checkChars accepts decimal digits of any script (libphonenumber reads them
// all), white space, the separators - . / ( ) and one leading "+".
func checkChars(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("not UTF-8")
	}
	digits := 0
	for i, r := range s {
		switch {
		case unicode.IsDigit(r):
			digits++
		case unicode.IsSpace(r), strings.ContainsRune("-./()", r):
		case r == '+' && i == 0:
		default:
			return fmt.Errorf("unexpected character %q", r)
		}
	}
	if digits == 0 {
		return errors.New("no digits")
	}
	return nil
}

func invalid(input, why string) error {
	if len(input) > maxInputLen {
		return fmt.Errorf("%w: %s", ErrInvalid, why)
	}
	return fmt.Errorf("%w %q: %s", ErrInvalid, input, why)
}
