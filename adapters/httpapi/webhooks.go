package httpapi

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"

	"github.com/smsinbox/smsinbox/adapters/twilio"
)

const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response/>`

var errSignature = newError(http.StatusForbidden, "invalid_signature", "The X-Twilio-Signature does not match this request.")

// webhookForm reads a Twilio form (at most 1 MiB) and checks its signature.
func (a *api) webhookForm(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	body, err := readBody(w, r)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, newError(http.StatusBadRequest, "invalid_webhook", "The body is not a form.")
	}
	r.Body = http.NoBody
	r.PostForm = form
	if !a.verifier.Verify(r, form) {
		a.log.Warn("webhook refused: bad signature", "path", r.URL.Path, "signed_url", a.verifier.SignedURL(r))
		return nil, errSignature
	}
	return form, nil
}

// parseWebhook reads, checks and parses a Twilio form; on failure it has
// answered and returns false. Nothing is recorded unless the signature
// matches, the form has Twilio's shape (parse) and it names smsinbox's own
// Twilio account (twilio.CheckAccount). A signed form that fails the last two
// is what a replayed, re-cut request looks like: it is logged.
func parseWebhook[T any](a *api, w http.ResponseWriter, r *http.Request, parse func(url.Values) (T, error)) (T, bool) {
	var zero T
	form, err := a.webhookForm(w, r)
	if err != nil {
		a.fail(w, r, err)
		return zero, false
	}
	v, err := parse(form)
	if err == nil {
		// The parsers require a well-formed AccountSid, given once.
		err = twilio.CheckAccount(form.Get("AccountSid"), a.twilioAccount)
	}
	if err != nil {
		if errors.Is(err, twilio.ErrInvalidWebhook) || errors.Is(err, twilio.ErrOtherAccount) {
			a.log.WarnContext(r.Context(), "webhook refused: signed, but not of Twilio's shape or not for this server's Twilio account", "path", r.URL.Path, "err", err)
		}
		a.fail(w, r, err)
		return zero, false
	}
	return v, true
}

// headerRouted says whether an inbound text reached a company (extension).
const headerRouted = "X-Smsinbox-Routed"

// inboundWebhook records a text and answers empty TwiML once the event is
// durably appended. Any failure answers 5xx, so Twilio delivers it again.
func (a *api) inboundWebhook(w http.ResponseWriter, r *http.Request) {
	in, ok := parseWebhook(a, w, r, twilio.ParseInbound)
	if !ok {
		return
	}
	res, err := a.cmd.ReceiveInbound.Handle(r.Context(), inboundText(in))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	w.Header().Set(headerEventPosition, formatPosition(res.Position))
	if !res.Routed {
		// Kept, but no company took it (Twilio ignores the header; a person
		// simulating a text learns of the mistake).
		w.Header().Set(headerRouted, "false")
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = bytes.NewBufferString(emptyTwiML).WriteTo(w)
}
