package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// CheckObject rejects a request body that is not a JSON object before it
// is decoded.
func CheckObject(body []byte) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return BadRequest("", "the request body is empty: send a JSON object")
	}
	if body[0] != '{' {
		return BadRequest("", "the request body must be a JSON object")
	}
	return nil
}

// DecodeError turns a decoding error into a 400 that names the top-level
// field it is about, if any.
func DecodeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		param, _, _ := strings.Cut(te.Field, ".")
		return BadRequest(param, "%s has the wrong type: %s", param, JSONProblem(err))
	}
	return BadRequest("", "the request body is not valid JSON: %s", JSONProblem(err))
}

// JSONProblem describes a decoding error without quoting the input, which
// may hold a prompt.
func JSONProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Sprintf("expected %s, got %s", jsonKind(te.Type), te.Value)
		}
		return fmt.Sprintf("field %s: expected %s, got %s", te.Field, jsonKind(te.Type), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "malformed JSON"
}

// jsonKind names the JSON value a Go type decodes from, so that errors
// speak the API's language rather than the gateway's type names.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a different JSON value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == reflect.TypeFor[json.RawMessage]() {
		return "a JSON value"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a different JSON value"
}
