package twilio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/smsinbox/smsinbox/domain/phone"
)

// InboundPath and StatusPath are where smsinbox receives Twilio's webhooks.
const (
	InboundPath = "/webhooks/twilio/sms"
	StatusPath  = "/webhooks/twilio/status"
)

// NewSID returns a fresh Twilio-style SID: prefix followed by 32 random
// lower-case hex digits ("SM…" for messages, "AC…" for accounts).
func NewSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it panics if the OS cannot supply randomness)
	return prefix + hex.EncodeToString(b[:])
}

// NewInboundParams builds the parameters Twilio posts for an ordinary inbound
// SMS from `from` to `to` saying body: a fresh MessageSid (with the legacy
// SmsMessageSid and SmsSid), AccountSid (accountSID, or a fresh "AC…" one when
// empty), From, To, Body, NumMedia 0, NumSegments 1, SmsStatus received and
// ApiVersion 2010-04-01. The numbers are normalised to E.164 with phone.Parse
// (national forms read as US numbers); an invalid one is an error matching
// phone.ErrInvalid.
func NewInboundParams(to, from, body, accountSID string) (url.Values, error) {
	toNum, err := phone.Parse(to, phone.DefaultRegion)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	fromNum, err := phone.Parse(from, phone.DefaultRegion)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if accountSID == "" {
		accountSID = NewSID("AC")
	}
	sid := NewSID("SM")
	return url.Values{
		"MessageSid":    {sid},
		"SmsMessageSid": {sid},
		"SmsSid":        {sid},
		"AccountSid":    {accountSID},
		"From":          {fromNum.String()},
		"To":            {toNum.String()},
		"Body":          {body},
		"NumMedia":      {"0"},
		"NumSegments":   {"1"},
		"SmsStatus":     {"received"},
		"ApiVersion":    {"2010-04-01"},
	}, nil
}

// PostInbound posts params, form-encoded and signed with authToken as Twilio
// signs them, to baseURL + InboundPath (baseURL is the server's base URL, a
// trailing slash ignored; the signature covers exactly that URL, so it must be
// the URL the server checks: its PUBLIC_URL when set). httpClient nil means
// http.DefaultClient. The caller closes the response body.
func PostInbound(ctx context.Context, httpClient *http.Client, baseURL, authToken string, params url.Values) (*http.Response, error) {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	target := strings.TrimRight(baseURL, "/") + InboundPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(params.Encode()))
	if err != nil {
		return nil, fmt.Errorf("simulate inbound: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "TwilioProxy/1.1 (smsinbox simulate)")
	req.Header.Set(SignatureHeader, Sign(authToken, target, params))
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("simulate inbound: post %s: %w", target, err)
	}
	return resp, nil
}
