package twilio

import (
	"net/url"
	"strings"

	"github.com/google/uuid"
)

// The query parameters that smsinbox adds to each text's StatusCallback URL,
// so that a status callback names smsinbox's message even when Twilio's
// answer to the send (its SID) was never seen: a time-out, a dropped
// connection. Twilio signs the whole URL, query included, so the reference
// is as trustworthy as the rest of the callback.
const (
	CallbackCompanyParam = "company_id"
	CallbackMessageParam = "message_id"
)

// maxCallbackCompanyLen bounds the company ID read back from a callback URL.
const maxCallbackCompanyLen = 128

// StatusCallbackURL is the status callback URL base
// ({PUBLIC_URL}/webhooks/twilio/status) with the company and the message in
// its query; "" when base is "" (no callbacks asked for).
func StatusCallbackURL(base, companyID string, messageID uuid.UUID) string {
	if base == "" {
		return ""
	}
	q := url.Values{CallbackCompanyParam: {companyID}, CallbackMessageParam: {messageID.String()}}.Encode()
	if strings.Contains(base, "?") {
		return base + "&" + q
	}
	return base + "?" + q
}

// CallbackRef reads the company and message that StatusCallbackURL put in a
// callback's URL query; ok is false when they are absent or malformed (a
// callback for a text sent before smsinbox added them).
func CallbackRef(query url.Values) (companyID string, messageID uuid.UUID, ok bool) {
	companyID = query.Get(CallbackCompanyParam)
	id, err := uuid.Parse(query.Get(CallbackMessageParam))
	if err != nil || id == uuid.Nil || companyID == "" || len(companyID) > maxCallbackCompanyLen || len(query[CallbackCompanyParam]) != 1 || len(query[CallbackMessageParam]) != 1 {
		return "", uuid.Nil, false
	}
	return companyID, id, true
}
