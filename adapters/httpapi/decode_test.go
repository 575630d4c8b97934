package httpapi

import (
	"errors"
	"testing"
)

// TestDecodeJSONTakesOneObject: a body is one JSON object and nothing
// else; the thread actions also take none. Every refusal says why.
func TestDecodeJSONTakesOneObject(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		allowEmpty bool
		code       string // "" accepted
		message    string
	}{
		{"an object", ` {"name":"Ann","role":"agent"} `, false, "", ""},
		{"no body where one is needed", "", false, "empty_body", "The request needs a JSON body."},
		{"no body where none is needed", " \n", true, "", ""},
		{"{} where none is needed", "{}", true, "", ""},
		{"a stray closing brace after the object", `{"name":"Ann"}}`, false, "invalid_json", "The body holds more than one JSON value."},
		{"a stray closing bracket after the object", `{}]`, true, "invalid_json", "The body holds more than one JSON value."},
		{"two objects", `{} {}`, true, "invalid_json", "The body holds more than one JSON value."},
		{"an object and text", `{} x`, true, "invalid_json", "The body holds more than one JSON value."},
		{"null", `null`, false, "invalid_json", "The body must be a JSON object."},
		{"null where none is needed", `null`, true, "invalid_json", "The body must be a JSON object."},
		{"a list", `[]`, false, "invalid_json", "The body must be a JSON object."},
		{"a string", `"Ann"`, false, "invalid_json", "The body must be a JSON object."},
		{"a field of the wrong type", `{"name":1}`, false, "invalid_field", `The field "name" has the wrong type.`},
		{"an unknown field", `{"nickname":"A"}`, false, "unknown_field", `The body has a field this endpoint does not take: "nickname".`},
		{"broken JSON", `{"name":`, false, "invalid_json", "The body is not valid JSON."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt := decodes[addUserRequest](tt.allowEmpty)
			_, err := decodeBody(rt, []byte(tt.body))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *apiError
			if !errors.As(err, &ae) || ae.code != tt.code || ae.message != tt.message {
				t.Fatalf("answered %v, want %s: %s", err, tt.code, tt.message)
			}
		})
	}
}
