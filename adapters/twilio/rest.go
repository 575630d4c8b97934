package twilio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	twiliogo "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

// DefaultAPIURL is Twilio's REST API (TWILIO_API_URL's default).
const DefaultAPIURL = "https://api.twilio.com"

// DefaultTimeout bounds a send when NewRESTSender is given no HTTP client.
const DefaultTimeout = 10 * time.Second

// errBodyLimit bounds how much of an error answer is kept for the message.
const errBodyLimit = 512

var credentialRE = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// RESTSender sends texts through Twilio's Messages resource with twilio-go,
// and calls nothing else: every request is
// POST {apiURL}/2010-04-01/Accounts/{accountSID}/Messages.json with basic auth
// (account SID, auth token). It is safe for concurrent use.
type RESTSender struct {
	accountSID string
	authToken  string
	api        *url.URL    // scheme and host only
	base       http.Client // the caller's client, copied
	timeout    time.Duration
}

var _ Sender = (*RESTSender)(nil)

// NewRESTSender returns a RESTSender for the account. apiURL is the scheme and
// host of the REST API (TWILIO_API_URL; DefaultAPIURL when empty), e.g. a
// twiliofake's URL in tests. httpClient supplies the transport and the
// timeout of each send (its Timeout, 0 meaning only ctx bounds it); nil means
// http.DefaultTransport and DefaultTimeout. Redirects are never followed.
// The SID and token must be letters and digits (twilio-go refuses others).
func NewRESTSender(accountSID, authToken, apiURL string, httpClient *http.Client) (*RESTSender, error) {
	if !credentialRE.MatchString(accountSID) {
		return nil, errors.New("twilio: account SID must be non-empty letters and digits")
	}
	if !credentialRE.MatchString(authToken) {
		return nil, errors.New("twilio: auth token must be non-empty letters and digits")
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil {
		return nil, fmt.Errorf("twilio: API URL %q: %w", apiURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("twilio: API URL %q must be scheme and host only, e.g. %s", apiURL, DefaultAPIURL)
	}
	s := &RESTSender{
		accountSID: accountSID,
		authToken:  authToken,
		api:        &url.URL{Scheme: u.Scheme, Host: u.Host},
		timeout:    DefaultTimeout,
	}
	if httpClient != nil {
		s.base = *httpClient
		s.timeout = httpClient.Timeout
	}
	return s, nil
}

// Send creates the message with twilio-go's CreateMessage (From, To, and
// Body, StatusCallback and MediaUrl when set). It makes exactly one HTTP
// request, or none when m is invalid or ctx is already done. Every error is a
// *SendError: see its documentation for what is retryable.
func (s *RESTSender) Send(ctx context.Context, m Outbound) (Sent, error) {
	if err := m.validate(); err != nil {
		return Sent{}, &SendError{Message: err.Error(), Err: err}
	}
	if err := ctx.Err(); err != nil {
		return Sent{}, &SendError{Message: "not sent: " + err.Error(), Retryable: true, Err: err}
	}
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}

	// twilio-go sends with context.Background(); this per-call transport gives
	// the request ctx, points it at the API URL, refuses anything but the one
	// Messages request, and remembers what the answer looked like.
	rt := &oneShot{
		ctx:  ctx,
		next: s.base.Transport,
		api:  s.api,
		path: s.messagesPath(),
	}
	if rt.next == nil {
		rt.next = http.DefaultTransport
	}
	hc := s.base
	hc.Transport = rt
	hc.Timeout = 0 // ctx carries the deadline
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	c := &client.Client{Credentials: client.NewCredentials(s.accountSID, s.authToken), HTTPClient: &hc}
	c.SetAccountSid(s.accountSID)
	rest := twiliogo.NewRestClientWithParams(twiliogo.ClientParams{Client: c})
	rest.SetEdge("") // the host is TWILIO_API_URL's, whatever TWILIO_EDGE / TWILIO_REGION say
	rest.SetRegion("")

	params := &openapi.CreateMessageParams{}
	params.SetFrom(m.From)
	params.SetTo(m.To)
	if m.Body != "" {
		params.SetBody(m.Body)
	}
	if m.StatusCallback != "" {
		params.SetStatusCallback(m.StatusCallback)
	}
	if len(m.MediaURLs) > 0 {
		params.SetMediaUrl(m.MediaURLs)
	}

	msg, err := rest.Api.CreateMessage(params)
	status, body, header := rt.finish()
	if err != nil {
		se := s.sendError(ctx, err, status, body)
		if se.Retryable && se.Status != 0 {
			se.RetryAfter = RetryAfter(header.Get("Retry-After"), header.Get("Date"), time.Now())
		}
		return Sent{}, se
	}
	if msg == nil || msg.Sid == nil || *msg.Sid == "" {
		return Sent{}, &SendError{Status: status, Message: "Twilio's answer carries no message SID; the message may have been sent"}
	}
	sent := Sent{SID: *msg.Sid}
	if msg.Status != nil {
		sent.Status = *msg.Status
	}
	if msg.ErrorCode != nil {
		sent.ErrorCode = *msg.ErrorCode
	}
	return sent, nil
}

func (s *RESTSender) messagesPath() string {
	return "/2010-04-01/Accounts/" + s.accountSID + "/Messages.json"
}

// sendError turns what twilio-go returned into a *SendError. status is the
// HTTP status actually received (0 for none) and body the start of an error
// answer.
func (s *RESTSender) sendError(ctx context.Context, err error, status int, body []byte) *SendError {
	var rest *client.TwilioRestError
	var restV1 *client.RestErrorV1
	switch {
	case errors.As(err, &rest):
		if status == 0 {
			status = rest.Status
		}
		return &SendError{Code: rest.Code, Status: status, Message: rest.Message, Retryable: retryableStatus(status), Err: err}
	case errors.As(err, &restV1):
		if status == 0 {
			status = restV1.HttpStatusCode
		}
		return &SendError{Code: restV1.Code, Status: status, Message: restV1.Message, Retryable: retryableStatus(status), Err: err}
	case status == 0:
		// No answer: refused, reset, dropped, timed out or cancelled.
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", err, ctxErr)
		}
		// url.Error names the URL twilio-go built, not the one called.
		cause := err
		var ue *url.Error
		if errors.As(err, &ue) {
			cause = ue.Err
		}
		return &SendError{
			Message:   fmt.Sprintf("no answer from %s: %v", s.api.JoinPath(s.messagesPath()), cause),
			Retryable: true,
			Err:       err,
		}
	case status >= 200 && status < 300:
		return &SendError{Status: status, Message: "unreadable answer from Twilio; the message may have been sent: " + err.Error(), Err: err}
	default:
		msg := fmt.Sprintf("unexpected answer from Twilio (%s)", http.StatusText(status))
		if b := strings.TrimSpace(string(body)); b != "" {
			msg += ": " + b
		}
		return &SendError{Status: status, Message: msg, Retryable: retryableStatus(status), Err: err}
	}
}

// oneShot is the transport of one Send.
type oneShot struct {
	ctx  context.Context
	next http.RoundTripper
	api  *url.URL
	path string

	mu       sync.Mutex
	used     bool
	status   int
	header   http.Header   // the answer's headers
	body     *bytes.Buffer // the start of a non-2xx answer
	respBody io.Closer     // closed by finish: twilio-go leaves error answers open
}

func (t *oneShot) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodPost || req.URL.Path != t.path {
		closeBody(req)
		return nil, fmt.Errorf("twilio: refusing %s %s: smsinbox calls only POST %s", req.Method, req.URL.Path, t.path)
	}
	t.mu.Lock()
	if t.used {
		t.mu.Unlock()
		closeBody(req)
		return nil, errors.New("twilio: refusing a second request in one send (no retries)")
	}
	t.used = true
	t.mu.Unlock()

	out := req.Clone(t.ctx)
	out.URL.Scheme = t.api.Scheme
	out.URL.Host = t.api.Host
	out.Host = ""
	resp, err := t.next.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.status = resp.StatusCode
	t.header = resp.Header.Clone()
	t.respBody = resp.Body
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		t.body = &bytes.Buffer{}
		resp.Body = &teeBody{ReadCloser: resp.Body, buf: t.body, mu: &t.mu}
	}
	t.mu.Unlock()
	return resp, nil
}

// finish closes the answer's body and returns the HTTP status received (0 for
// none), the start of a non-2xx answer's body, and the answer's headers
// (empty for none).
func (t *oneShot) finish() (int, []byte, http.Header) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.respBody != nil {
		_ = t.respBody.Close()
	}
	header := t.header
	if header == nil {
		header = http.Header{}
	}
	if t.body == nil {
		return t.status, nil, header
	}
	return t.status, bytes.Clone(t.body.Bytes()), header
}

// closeBody closes the body of a request refused (a RoundTripper must).
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// teeBody keeps the first errBodyLimit bytes read.
type teeBody struct {
	io.ReadCloser
	buf *bytes.Buffer
	mu  *sync.Mutex
}

func (b *teeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.mu.Lock()
		if room := errBodyLimit - b.buf.Len(); room > 0 {
			b.buf.Write(p[:min(n, room)])
		}
		b.mu.Unlock()
	}
	return n, err
}
