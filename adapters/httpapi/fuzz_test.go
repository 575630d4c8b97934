package httpapi

// Fuzz targets for what the API parses from clients: every JSON request
// body, the thread list's cursor and the live stream's Last-Event-ID. Their
// seeds are the f.Add calls and testdata/fuzz/<target>/.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/smsinbox/smsinbox/projections"
)

// requestType is a body type decodeJSON decodes, with the allowEmpty its
// handler passes.
type requestType struct {
	name       string
	new        func() any
	allowEmpty bool
}

func decodes[T any](allowEmpty bool) requestType {
	return requestType{name: reflect.TypeFor[T]().Name(), new: func() any { return new(T) }, allowEmpty: allowEmpty}
}

// requestTypes are every body the API decodes
// (TestFuzzCoversEveryRequestType keeps the list whole).
var requestTypes = []requestType{
	decodes[createCompanyRequest](false),
	decodes[updateCompanyRequest](false),
	decodes[changeNumberRequest](false),
	decodes[addUserRequest](false),
	decodes[issueAppKeyRequest](false),
	decodes[submitFormRequest](false),
	decodes[createLeadRequest](false),
	decodes[sendMessageRequest](false),
	decodes[countSegmentsRequest](false),
	decodes[templateRequest](false),
	decodes[threadActionRequest](true),
	decodes[assignRequest](false),
	decodes[addNoteRequest](false),
	decodes[rotateTokenRequest](true),
	decodes[autoReplyRequest](false),
	decodes[textsRequest](false),
}

// requestTypeNamed is the type of that name; a name the fuzzer made up
// still picks one.
func requestTypeNamed(name string) requestType {
	for _, rt := range requestTypes {
		if rt.name == name {
			return rt
		}
	}
	return requestTypes[len(name)%len(requestTypes)]
}

// decodeCodes are the error codes decodeJSON answers with.
var decodeCodes = []string{"empty_body", "invalid_json", "unknown_field", "invalid_field", "invalid_body", "body_too_large"}

// decodeBody runs decodeJSON on body as a handler would. (The request is
// bare, and no ResponseWriter is needed under 1 MiB: a fuzz run spends its
// time in decodeJSON, not in building requests.)
func decodeBody(rt requestType, body []byte) (any, error) {
	v := rt.new()
	r := &http.Request{Method: http.MethodPost, Body: io.NopCloser(bytes.NewReader(body))}
	return v, decodeJSON(nil, r, v, rt.allowEmpty)
}

// checkMapped fails unless err is answered as a client error with one of
// codes and a message that says something.
func checkMapped(t *testing.T, err error, codes ...string) {
	t.Helper()
	status, code, message := mapError(err)
	if status < 400 || status > 499 || !slices.Contains(codes, code) || message == "" {
		t.Fatalf("error %v answers %d %q %q; want a 4xx of %v", err, status, code, message, codes)
	}
	if code == "invalid_field" && strings.Contains(message, `""`) {
		t.Fatalf("invalid_field names no field: %q", message)
	}
}

// FuzzDecodeJSON: decodeJSON never panics; it refuses with one of its codes,
// or it accepted one JSON object (or, where the handler allows it, nothing)
// and the value it decoded encodes to a body that decodes to the same value.
func FuzzDecodeJSON(f *testing.F) {
	valid := map[string]string{
		"createCompanyRequest": `{"name":"Acme Dental","messaging_number":"+12025550123","time_zone":"America/New_York","sms_enabled":true,"country":"US"}`,
		"updateCompanyRequest": `{"name":"Acme","time_zone":"Europe/Paris","sms_enabled":false}`,
		"changeNumberRequest":  `{"messaging_number":"+12025550124"}`,
		"addUserRequest":       `{"name":"Ann","role":"agent"}`,
		"issueAppKeyRequest":   `{"app":"text_us_now"}`,
		"submitFormRequest":    `{"phone":"+12025550187","first_name":"Ada","last_name":"Lovelace","email":"ada@example.com","opt_in":true,"app":"text_us_now","ip":"203.0.113.9","user_agent":"Mozilla/5.0","consent_text":"I agree to texts","page_url":"https://acme.example/form"}`,
		"createLeadRequest":    `{"first_name":"Ada","last_name":"Lovelace","email":"ada@example.com"}`,
		"sendMessageRequest":   `{"body":"Tuesday at 10 works. \u00e9\ud83d\ude00"}`,
		"countSegmentsRequest": `{"body":"See you Tuesday \ud83d\ude00 \u20ac"}`,
		"threadActionRequest":  `{}`,
		"autoReplyRequest":     `{"enabled":true,"body":"Closed","business_hours":{"mon":[["09:00","17:00"]],"sun":[]}}`,
		"textsRequest":         `{"confirmation_request":"Acme: YES? Msg&data rates may apply. HELP, STOP","help_reply":""}`,
		"assignRequest":        `{"user_id":"0197a1b2-user"}`,
		"addNoteRequest":       `{"body":"She prefers mornings."}`,
	}
	for _, rt := range requestTypes {
		f.Add(rt.name, []byte(valid[rt.name]))
		f.Add(rt.name, []byte(""))
		f.Add(rt.name, []byte(`{"unknown":1}`))
		f.Add(rt.name, []byte(`{} {}`))
		f.Add(rt.name, []byte(`[]`))
	}
	f.Add("submitFormRequest", []byte(`{"opt_in":"yes"}`))
	f.Add("sendMessageRequest", []byte(`{"body":null}`))
	f.Add("updateCompanyRequest", []byte(`{"quiet_hours":{"start":"09:00","end":"18:00"}}`))
	f.Add("updateCompanyRequest", []byte(`{"quiet_hours":null}`))
	f.Add("updateCompanyRequest", []byte(`{"quiet_hours":{"start":"09:00","x":1}}`))
	f.Add("createCompanyRequest", []byte(`{"NAME":"case","name":"twice"}`))
	f.Fuzz(func(t *testing.T, name string, body []byte) {
		rt, body := requestTypeNamed(clip(name, 64)), clip(body, 1024)
		v, err := decodeBody(rt, body)
		if err != nil {
			checkMapped(t, err, decodeCodes...)
			return
		}
		trimmed := bytes.TrimSpace(body)
		switch {
		case len(trimmed) == 0 && !rt.allowEmpty:
			t.Fatalf("%s: accepted an empty body %q", rt.name, body)
		case len(trimmed) > 0 && (!json.Valid(body) || trimmed[0] != '{'):
			t.Fatalf("%s: accepted %q, which is not one JSON object", rt.name, body)
		}
		again, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %+v does not encode: %v", rt.name, v, err)
		}
		back, err := decodeBody(rt, again)
		if err != nil {
			t.Fatalf("%s: %q (the encoding of %q) is refused: %v", rt.name, again, body, err)
		}
		if !reflect.DeepEqual(v, back) {
			t.Fatalf("%s: %q decodes to %+v; its encoding %q to %+v", rt.name, body, v, again, back)
		}
	})
}

// FuzzParseCursor: ParseCursor never panics; it refuses with ErrBadCursor
// (answered 400 invalid_cursor), or the cursor it read names a time and a
// thread and encodes to a cursor that reads back the same (the encoding is
// then stable).
func FuzzParseCursor(f *testing.F) {
	at := time.Date(2030, 3, 4, 15, 0, 0, 123456789, time.UTC)
	id := uuid.MustParse("0190f1a2-3b4c-7d5e-8f60-718293a4b5c6")
	f.Add(projections.Cursor{At: at, ID: id}.Encode())
	f.Add(projections.Cursor{At: at.In(time.FixedZone("", -5*3600)), ID: id}.Encode())
	f.Add("")
	f.Add("not a cursor")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"t":"2030-03-04T15:00:00Z"}`)))
	f.Add(base64.RawURLEncoding.EncodeToString([]byte(`{"t":"0001-01-01T00:00:00Z","id":"0190f1a2-3b4c-7d5e-8f60-718293a4b5c6"}`)))
	f.Add(base64.URLEncoding.EncodeToString([]byte(`{"t":"2030-03-04T15:00:00Z","id":"0190f1a2-3b4c-7d5e-8f60-718293a4b5c6"}`)))
	f.Fuzz(func(t *testing.T, s string) {
		s = clip(s, 512) // an encoded cursor is about 100 bytes
		c, err := projections.ParseCursor(s)
		if err != nil {
			if !errors.Is(err, projections.ErrBadCursor) {
				t.Fatalf("%q: error %v is not ErrBadCursor", s, err)
			}
			checkMapped(t, err, "invalid_cursor")
			return
		}
		if c.At.IsZero() || c.ID == uuid.Nil {
			t.Fatalf("%q: accepted %+v, which names no time or no thread", s, c)
		}
		enc := c.Encode()
		back, err := projections.ParseCursor(enc)
		if err != nil {
			t.Fatalf("%q: its cursor %+v encodes to %q, which is refused: %v", s, c, enc, err)
		}
		if !back.At.Equal(c.At) || back.ID != c.ID {
			t.Fatalf("%q: read %+v; its encoding %q reads %+v", s, c, enc, back)
		}
		if again := back.Encode(); again != enc {
			t.Fatalf("%q: encodes to %q, then to %q", s, enc, again)
		}
	})
}

// FuzzLastEventID: lastEventID never panics; it takes the header, else the
// query parameter; it accepts exactly the decimal positions a uint64 holds
// (and formatPosition writes the same position back), and refuses anything
// else with 400 invalid_position.
func FuzzLastEventID(f *testing.F) {
	for _, seed := range [][2]string{ // header, query
		{"42", ""}, {"", "42"}, {"7", "9"}, {"", ""}, {"0", ""},
		{"18446744073709551615", ""}, {"18446744073709551616", ""},
		{"-1", ""}, {"+1", ""}, {" 1", ""}, {"1_000", ""}, {"0x10", ""}, {"", "abc"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, header, query string) {
		header, query = clip(header, 64), clip(query, 64)
		r := httptest.NewRequest(http.MethodGet, "/api/events?last_event_id="+url.QueryEscape(query), nil)
		if header != "" {
			r.Header["Last-Event-Id"] = []string{header}
		}
		pos, ok, err := lastEventID(r)
		given := header
		if given == "" {
			given = query
		}
		if given == "" {
			if ok || err != nil {
				t.Fatalf("nothing given: %d %v %v", pos, ok, err)
			}
			return
		}
		position := isPosition(given)
		if err != nil {
			if position {
				t.Fatalf("%q refused: %v", given, err)
			}
			if ok {
				t.Fatalf("%q: an error and ok", given)
			}
			checkMapped(t, err, "invalid_position")
			return
		}
		canonical := strings.TrimLeft(given, "0")
		if canonical == "" {
			canonical = "0"
		}
		if !position || !ok || formatPosition(pos) != canonical {
			t.Fatalf("%q read as %d (ok %v), written back as %q", given, pos, ok, formatPosition(pos))
		}
	})
}

// isPosition says whether s is a position as the contract writes one:
// decimal digits only, at most 2^64-1 once leading zeros are dropped.
func isPosition(s string) bool {
	if s == "" || strings.Trim(s, "0123456789") != "" {
		return false
	}
	digits := strings.TrimLeft(s, "0")
	const max = "18446744073709551615"
	return len(digits) < len(max) || len(digits) == len(max) && digits <= max
}

// clip keeps a fuzz input short: past n bytes, nothing new happens, and
// long interesting inputs are slow to minimise (golang/go#48820).
func clip[S ~string | ~[]byte](s S, n int) S { return s[:min(len(s), n)] }

// TestFuzzCoversEveryRequestType: every decodeJSON call in the package
// decodes into a named type that requestTypes lists, with the same
// allowEmpty, and requestTypes lists nothing else.
func TestFuzzCoversEveryRequestType(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{} // type name -> allowEmpty
	fset := token.NewFileSet()
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, e.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			vars := map[string]ast.Expr{} // the function's var declarations
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.ValueSpec:
					for _, name := range n.Names {
						vars[name.Name] = n.Type
					}
				case *ast.CallExpr:
					if id, ok := n.Fun.(*ast.Ident); !ok || id.Name != "decodeJSON" {
						return true
					}
					at := fset.Position(n.Pos())
					if len(n.Args) != 4 {
						t.Errorf("%s: decodeJSON with %d arguments", at, len(n.Args))
						return true
					}
					addr, ok := n.Args[2].(*ast.UnaryExpr)
					target, ok2 := ast.Expr(nil), false
					if ok && addr.Op == token.AND {
						if id, ok := addr.X.(*ast.Ident); ok {
							target, ok2 = vars[id.Name]
						}
					}
					typ, named := target.(*ast.Ident)
					if !ok2 || !named {
						t.Errorf("%s: decodeJSON into something other than a local variable of a named type: name the request type so that FuzzDecodeJSON can decode it", at)
						return true
					}
					allow, _ := n.Args[3].(*ast.Ident)
					found[typ.Name] = allow != nil && allow.Name == "true"
				}
				return true
			})
		}
	}
	listed := map[string]bool{}
	for _, rt := range requestTypes {
		listed[rt.name] = rt.allowEmpty
	}
	if !reflect.DeepEqual(found, listed) {
		t.Errorf("decodeJSON decodes %v (type: allowEmpty); requestTypes lists %v", found, listed)
	}
	if len(found) < 9 {
		t.Errorf("found %d request types: the search is broken", len(found))
	}
}
