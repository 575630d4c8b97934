package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody is the largest request body smsinbox reads (docs/rules.md, Requests and errors: 1 MiB).
const maxBody = 1 << 20

var errTooLarge = newError(http.StatusRequestEntityTooLarge, "body_too_large", "The request body is over 1 MiB.")

// readBody reads at most maxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, errTooLarge
	}
	if err != nil {
		return nil, newError(http.StatusBadRequest, "invalid_body", "The request body could not be read.")
	}
	return body, nil
}

// decodeJSON reads a JSON object into v strictly: anything but one object
// (null, a list, trailing data), unknown fields and an empty body (unless
// allowEmpty) are 400s.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		if allowEmpty {
			return nil
		}
		return newError(http.StatusBadRequest, "empty_body", "The request needs a JSON body.")
	}
	if trimmed[0] != '{' {
		// null, a list or a string would decode into nothing at all.
		return newError(http.StatusBadRequest, "invalid_json", "The body must be a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			return newError(http.StatusBadRequest, "unknown_field", fmt.Sprintf("The body has a field this endpoint does not take: %s.", strings.TrimPrefix(err.Error(), "json: unknown field ")))
		case errors.As(err, &typeErr) && typeErr.Field != "":
			return newError(http.StatusBadRequest, "invalid_field", fmt.Sprintf("The field %q has the wrong type.", typeErr.Field))
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return newError(http.StatusBadRequest, "invalid_json", "The body is not valid JSON.")
		default:
			return newError(http.StatusBadRequest, "invalid_json", "The body is not a JSON object of the expected shape.")
		}
	}
	// Nothing but white space may follow. (Decoder.More is no test of
	// that: it calls a stray '}' or ']' the end of a list.)
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return newError(http.StatusBadRequest, "invalid_json", "The body holds more than one JSON value.")
	}
	return nil
}
