package twilio

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// ErrInvalidWebhook is matched (errors.Is) by every error ParseInbound and
// ParseStatus return. The HTTP layer answers it with 400.
var ErrInvalidWebhook = errors.New("invalid Twilio webhook")

// ErrOtherAccount is CheckAccount's error: the webhook names a Twilio account
// other than smsinbox's. The HTTP layer answers it with 403.
var ErrOtherAccount = errors.New("the webhook names another Twilio account")

// MaxMedia is the most media items one message carries (Twilio's limit);
// a larger NumMedia is an invalid webhook.
const MaxMedia = 10

// Why the parsers are strict. Twilio signs a webhook over the URL followed
// by every parameter's name and value, sorted by name, with nothing between
// them. So `MessageSid=SMx…&NumMedia=0` and `MessageSid=SMx…NumMedia0` (no
// NumMedia) carry the same signature: whoever captured one request can cut
// its parameters differently and post it again. A MessageSid of any letters
// and digits would then read as a new message and pass the MessageSid
// deduplication. Hence a SID must have exactly Twilio's shape (a prefix and
// 32 hex digits, so no parameter name can be folded into it) and the
// parameters Twilio always sends are required (so none can be folded into
// its neighbour and left out).

// A Twilio SID is two upper-case letters naming the kind of resource and 32
// hex digits: 34 characters. Twilio's published patterns admit either case
// of hex digit, but every SID Twilio issues is in lower case; taking only
// that gives each message exactly one spelling, so the MessageSid
// deduplication cannot be side-stepped by changing a letter's case.
const sidHexDigits = 32

// Prefixes of the SIDs the webhooks carry.
var (
	messageSIDPrefixes = []string{"SM", "MM"} // a message: SMS, or MMS
	accountSIDPrefixes = []string{"AC"}
)

// CheckAccount checks the AccountSid of a parsed webhook against smsinbox's
// own account: they must be equal when account is set (TWILIO_ACCOUNT_SID);
// in the sandbox (account empty) any well-formed AccountSid is taken, as the
// parsers require one. The error matches ErrOtherAccount.
func CheckAccount(accountSID, account string) error {
	if account != "" && accountSID != account {
		return fmt.Errorf("%w: AccountSid %q is not this server's account", ErrOtherAccount, truncate(accountSID))
	}
	return nil
}

// Advanced Opt-Out types Twilio reports in OptOutType, as Inbound carries them.
const (
	OptOutStop  = "STOP"
	OptOutStart = "START"
	OptOutHelp  = "HELP"
)

// Media is one media item of an inbound MMS.
type Media struct {
	URL         string // MediaUrlN: where Twilio keeps the item (absolute http(s) URL)
	ContentType string // MediaContentTypeN, e.g. "image/jpeg"; may be empty
}

// Inbound is an inbound message as Twilio's webhook describes it.
type Inbound struct {
	MessageSID string // MessageSid, the message's identity (Twilio may deliver it twice)
	AccountSID string // AccountSid, the Twilio account the message came to
	From       string // the customer, as Twilio sent it (E.164 normally)
	To         string // the company's number, as Twilio sent it (E.164 normally)
	Body       string // the text, possibly empty (an MMS without text)

	// NumSegments is the number of SMS segments, 0 when Twilio did not say.
	NumSegments int

	// Media holds NumMedia items, in order (MediaUrl0 first).
	Media []Media

	// OptOutType is Twilio's Advanced Opt-Out verdict: OptOutStop,
	// OptOutStart, OptOutHelp, or "" when Twilio did not act. The three known
	// values are matched case-insensitively and given in canonical upper case.
	// Any other value is passed through as sent (trimmed), so that nothing is
	// lost; callers treat it as "Twilio took no opt-out action they know of".
	OptOutType string

	// Params is every parameter received (a copy), kept as evidence.
	Params url.Values
}

// E164 normalises From and To with phone.Parse (both are E.164 for ordinary
// SMS, so no region is needed). Errors match phone.ErrInvalid; a short code or
// a channel address such as "whatsapp:+1..." is not a phone number.
func (in Inbound) E164() (from, to phone.Number, err error) {
	if from, err = phone.Parse(in.From, phone.DefaultRegion); err != nil {
		return "", "", fmt.Errorf("From: %w", err)
	}
	if to, err = phone.Parse(in.To, phone.DefaultRegion); err != nil {
		return "", "", fmt.Errorf("To: %w", err)
	}
	return from, to, nil
}

// ParseInbound reads the form of an inbound-message webhook (the request's
// POST body, r.PostForm). The parameters Twilio always sends are required:
// MessageSid (SM or MM and 32 lower-case hex digits), AccountSid (AC and 32
// lower-case hex digits), From, To, Body (present, possibly empty: an MMS
// without text) and NumMedia (0..MaxMedia), which must agree with the
// MediaUrlN present (N from 0); NumSegments, when present, must be a number.
// A parameter smsinbox reads that is given twice with different values is
// refused as ambiguous. Parameters smsinbox does not know are accepted and
// kept in Params. Every error matches ErrInvalidWebhook and names the
// parameter at fault. Whether AccountSid is smsinbox's account is
// CheckAccount's question.
func ParseInbound(form url.Values) (Inbound, error) {
	var in Inbound
	var err error
	if in.MessageSID, err = sidParam(form, "MessageSid", messageSIDPrefixes); err != nil {
		return Inbound{}, err
	}
	if in.AccountSID, err = sidParam(form, "AccountSid", accountSIDPrefixes); err != nil {
		return Inbound{}, err
	}
	if in.From, err = required(form, "From"); err != nil {
		return Inbound{}, err
	}
	if in.To, err = required(form, "To"); err != nil {
		return Inbound{}, err
	}
	if in.Body, err = present(form, "Body"); err != nil {
		return Inbound{}, err
	}
	if in.NumSegments, err = intParam(form, "NumSegments", 0, 1<<16); err != nil {
		return Inbound{}, err
	}
	if in.Media, err = parseMedia(form); err != nil {
		return Inbound{}, err
	}
	if in.OptOutType, err = single(form, "OptOutType"); err != nil {
		return Inbound{}, err
	}
	in.OptOutType = strings.TrimSpace(in.OptOutType)
	switch u := strings.ToUpper(in.OptOutType); u {
	case OptOutStop, OptOutStart, OptOutHelp:
		in.OptOutType = u
	}
	in.Params = cloneValues(form)
	return in, nil
}

// parseMedia reads NumMedia and the MediaUrlN / MediaContentTypeN pairs.
func parseMedia(form url.Values) ([]Media, error) {
	if _, err := required(form, "NumMedia"); err != nil {
		return nil, err
	}
	n, err := intParam(form, "NumMedia", 0, MaxMedia)
	if err != nil {
		return nil, err
	}
	// Every indexed media parameter must lie below NumMedia. The error names
	// the first offender (URLs before content types, lowest index first), so
	// that it does not depend on map order.
	for _, prefix := range [...]string{"MediaUrl", "MediaContentType"} {
		worst, worstIdx := "", -1
		for key := range form {
			suffix, ok := strings.CutPrefix(key, prefix)
			if !ok || suffix == "" || strings.Trim(suffix, "0123456789") != "" {
				continue // not an indexed media parameter: an ordinary unknown one
			}
			i, err := strconv.Atoi(suffix)
			if err != nil || strconv.Itoa(i) != suffix {
				return nil, invalidf("%s: media index %q is not a plain number", key, truncate(suffix))
			}
			if i >= n && (worstIdx < 0 || i < worstIdx) {
				worst, worstIdx = key, i
			}
		}
		if worstIdx >= 0 {
			return nil, invalidf("%s present but NumMedia is %d", worst, n)
		}
	}
	if n == 0 {
		return nil, nil
	}
	media := make([]Media, n)
	for i := range media {
		urlKey := "MediaUrl" + strconv.Itoa(i)
		raw, err := required(form, urlKey)
		if err != nil {
			return nil, invalidf("NumMedia is %d but %s is missing", n, urlKey)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, invalidf("%s is not an absolute http(s) URL", urlKey)
		}
		ct, err := single(form, "MediaContentType"+strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		media[i] = Media{URL: raw, ContentType: ct}
	}
	return media, nil
}

// StatusCallback is a message status callback.
type StatusCallback struct {
	MessageSID string // MessageSid: the message, as Twilio's answer to the send named it
	AccountSID string // AccountSid: the Twilio account that sent it
	From       string // From, as sent; may be empty
	To         string // To, as sent; may be empty

	// MessageStatus is one of the statuses ParseStatus accepts, in lower case.
	MessageStatus string

	// ErrorCode is Twilio's error code (e.g. 30003), 0 when absent.
	ErrorCode    int
	ErrorMessage string // ErrorMessage, when Twilio gave one

	// Params is every parameter received (a copy), kept as evidence.
	Params url.Values
}

// statuses are the message statuses Twilio reports (MessageStatus).
var statuses = map[string]bool{
	"queued": true, "sending": true, "sent": true, "delivered": true,
	"undelivered": true, "failed": true, "accepted": true, "scheduled": true,
	"read": true, "canceled": true, "receiving": true, "received": true,
}

// ParseStatus reads the form of a status callback. The parameters Twilio
// always sends are required: MessageSid (SM or MM and 32 lower-case hex
// digits), MessageStatus and AccountSid (AC and 32 lower-case hex digits).
// The status must be one Twilio documents (queued, sending, sent, delivered,
// undelivered, failed, accepted, scheduled, read, canceled, receiving,
// received), matched case-insensitively; the legacy SmsStatus, which Twilio
// sends beside it, never stands in for it. ErrorCode, when present and not
// empty, must be a number. Every error matches ErrInvalidWebhook.
func ParseStatus(form url.Values) (StatusCallback, error) {
	var sc StatusCallback
	var err error
	if sc.MessageSID, err = sidParam(form, "MessageSid", messageSIDPrefixes); err != nil {
		return StatusCallback{}, err
	}
	if sc.AccountSID, err = sidParam(form, "AccountSid", accountSIDPrefixes); err != nil {
		return StatusCallback{}, err
	}
	if sc.From, err = single(form, "From"); err != nil {
		return StatusCallback{}, err
	}
	if sc.To, err = single(form, "To"); err != nil {
		return StatusCallback{}, err
	}
	const key = "MessageStatus"
	status, err := required(form, key)
	if err != nil {
		return StatusCallback{}, err
	}
	sc.MessageStatus = strings.ToLower(strings.TrimSpace(status))
	if !statuses[sc.MessageStatus] {
		return StatusCallback{}, invalidf("%s %q is not a Twilio message status", key, truncate(status))
	}
	if sc.ErrorCode, err = intParam(form, "ErrorCode", 0, 1<<30); err != nil {
		return StatusCallback{}, err
	}
	if sc.ErrorMessage, err = single(form, "ErrorMessage"); err != nil {
		return StatusCallback{}, err
	}
	sc.Params = cloneValues(form)
	return sc, nil
}

// single returns the value of key, "" when absent. A key given more than once
// with different values is refused: which one Twilio meant is unknowable.
func single(form url.Values, key string) (string, error) {
	vs := form[key]
	if len(vs) == 0 {
		return "", nil
	}
	for _, v := range vs[1:] {
		if v != vs[0] {
			return "", invalidf("%s given %d times with different values", key, len(vs))
		}
	}
	return vs[0], nil
}

// required is single for a parameter that must be present and not blank.
func required(form url.Values, key string) (string, error) {
	v, err := single(form, key)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(v) == "" {
		return "", invalidf("missing %s", key)
	}
	return v, nil
}

// present is single for a parameter that must be present, though it may be
// empty.
func present(form url.Values, key string) (string, error) {
	if _, ok := form[key]; !ok {
		return "", invalidf("missing %s", key)
	}
	return single(form, key)
}

// sidParam is required for a SID of Twilio's shape: one of prefixes followed
// by exactly 32 lower-case hex digits.
func sidParam(form url.Values, key string, prefixes []string) (string, error) {
	v, err := required(form, key)
	if err != nil {
		return "", err
	}
	if !isSID(v, prefixes...) {
		return "", invalidf("%s %q is not a Twilio SID (%s and %d lower-case hex digits)", key, truncate(v), strings.Join(prefixes, " or "), sidHexDigits)
	}
	return v, nil
}

// isSID reports whether s has the shape of a Twilio SID with one of
// prefixes: the prefix followed by exactly 32 lower-case hex digits.
func isSID(s string, prefixes ...string) bool {
	for _, p := range prefixes {
		digits, ok := strings.CutPrefix(s, p)
		if !ok || len(digits) != sidHexDigits {
			continue
		}
		if !strings.ContainsFunc(digits, func(r rune) bool { return !('0' <= r && r <= '9' || 'a' <= r && r <= 'f') }) {
			return true
		}
	}
	return false
}

// intParam reads an optional decimal integer in [lo, hi]; absent or blank is 0.
func intParam(form url.Values, key string, lo, hi int) (int, error) {
	v, err := single(form, key)
	if err != nil {
		return 0, err
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, invalidf("%s %q is not a number", key, truncate(v))
	}
	if n < lo || n > hi {
		return 0, invalidf("%s %d is outside %d..%d", key, n, lo, hi)
	}
	return n, nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidWebhook}, args...)...)
}

// truncate bounds a value quoted in an error message.
func truncate(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
