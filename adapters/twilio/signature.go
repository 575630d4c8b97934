package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// SignatureHeader is the header Twilio signs its webhooks in.
const SignatureHeader = "X-Twilio-Signature"

// Verifier checks the X-Twilio-Signature of webhooks. It is safe for
// concurrent use.
type Verifier struct {
	authToken string
	publicURL string // without trailing slash; "" derives the URL from the request
}

// NewVerifier returns a Verifier for the account's auth token ("sandbox" in
// the sandbox). publicURL is the base URL Twilio calls (PUBLIC_URL), e.g.
// "https://sms.example.com"; a trailing slash is ignored. When it is empty the
// URL is derived from each request (see SignedURL). An empty authToken makes
// every Verify false.
func NewVerifier(authToken, publicURL string) *Verifier {
	return &Verifier{authToken: authToken, publicURL: strings.TrimRight(publicURL, "/")}
}

// SignedURL is the URL Twilio is taken to have signed for r: publicURL +
// r.URL.RequestURI() when publicURL is set; otherwise scheme://host +
// r.URL.RequestURI(), the scheme "https" when r came over TLS, else
// X-Forwarded-Proto's first value when it is http or https, else "http"; the
// host from X-Forwarded-Host's first value, else r.Host. Trusting the
// X-Forwarded headers only changes which URL is checked (a forger still needs
// the auth token); set PUBLIC_URL in production. SignedURL is for logging a
// failed check; Verify also tries the URL with the standard port added or
// removed.
func (v *Verifier) SignedURL(r *http.Request) string {
	uri := r.URL.RequestURI()
	if v.publicURL != "" {
		return v.publicURL + uri
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	} else if p := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); p == "https" || p == "http" {
		scheme = p
	}
	host := firstValue(r.Header.Get("X-Forwarded-Host"))
	if host == "" {
		host = r.Host
	}
	if host == "" {
		host = r.URL.Host
	}
	return scheme + "://" + host + uri
}

// Verify reports whether r's X-Twilio-Signature is Twilio's signature, with
// the Verifier's auth token, of SignedURL(r) and form. form must be the POST
// body's parameters (r.PostForm, not r.Form: Twilio signs the query string as
// part of the URL), every one of them: Twilio adds parameters without notice
// and signs them all. The URL is tried as it is, with the scheme's standard
// port (https 443, http 80) added, and with it removed, since Twilio signs
// either form. A key given more than once is signed with all its values in
// sorted order (see Sign). A missing or empty signature is false.
func (v *Verifier) Verify(r *http.Request, form url.Values) bool {
	sig := r.Header.Get(SignatureHeader)
	if sig == "" || v.authToken == "" {
		return false
	}
	multi := false
	flat := make(map[string]string, len(form))
	for k, vs := range form {
		switch len(vs) {
		case 0:
			// url.Values never holds an empty list for a parsed form; treat it as absent.
		case 1:
			flat[k] = vs[0]
		default:
			multi = true
		}
	}
	validator := client.NewRequestValidator(v.authToken)
	ok := false
	for _, u := range urlVariants(v.SignedURL(r)) {
		// Evaluate every candidate: the time taken does not depend on which matched.
		if multi {
			ok = subtle.ConstantTimeCompare([]byte(Sign(v.authToken, u, form)), []byte(sig)) == 1 || ok
		} else {
			ok = validator.Validate(u, flat, sig) || ok
		}
	}
	return ok
}

// Sign computes the signature Twilio puts in X-Twilio-Signature for a request
// to fullURL with the POST parameters params: base64 of HMAC-SHA1, keyed with
// the auth token, over fullURL followed by each parameter name in sorted order
// immediately followed by its value. A name given more than once is followed
// by each of its values in sorted order (as Twilio's own libraries do for
// distinct values). It agrees with twilio-go's RequestValidator.
func Sign(authToken, fullURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := params[k]
		if len(vs) > 1 {
			vs = slices.Clone(vs)
			sort.Strings(vs)
		}
		for _, val := range vs {
			mac.Write([]byte(k))
			mac.Write([]byte(val))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// urlVariants returns u as it is, with the scheme's standard port added when
// it has none, and without the port when it is the standard one.
func urlVariants(u string) []string {
	out := []string{u}
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return out
	}
	var port string
	switch strings.ToLower(scheme) {
	case "https":
		port = "443"
	case "http":
		port = "80"
	default:
		return out
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if strings.Contains(authority, "@") {
		return out // user info: not a URL Twilio calls
	}
	host, p, err := net.SplitHostPort(authority)
	switch {
	case err != nil: // no port
		out = append(out, scheme+"://"+net.JoinHostPort(strings.Trim(authority, "[]"), port)+tail)
	case p == port:
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // IPv6 literal
		}
		out = append(out, scheme+"://"+host+tail)
	}
	return out
}

// firstValue returns the first element of a comma-separated header value.
func firstValue(h string) string {
	first, _, _ := strings.Cut(h, ",")
	return strings.TrimSpace(first)
}
