// Package web is attest's HTTP layer: the management API under /api/v1,
// the C2SP tile endpoints under /ledger, health and metrics. Handlers decode,
// validate, call the domain and respond; they hold no SQL and no business
// rules.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// problemBase prefixes problem type URIs; they resolve to docs/ERRORS.md.
const problemBase = "https://attest.dev/problems/"

// WriteProblem writes a problem details response.
func WriteProblem(w http.ResponseWriter, r *http.Request, status int, kind, detail string) {
	p := Problem{Type: problemBase + kind, Title: http.StatusText(status), Status: status, Detail: detail}
	if r != nil {
		p.Instance = r.URL.Path
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="attest"`)
	}
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(p)
}

// writeJSON writes v with status, compactly: embedded canonical events keep
// their exact bytes, so clients can re-hash them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

// decodeJSON reads one JSON object into v, rejecting unknown fields, trailing
// data and bodies over the limit with problems that say what to fix.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		WriteProblem(w, r, http.StatusUnsupportedMediaType, "unsupported-media-type", "send the body as application/json")
		return false
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			WriteProblem(w, r, http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("the body is over %d bytes", limit))
		case errors.As(err, &se):
			WriteProblem(w, r, http.StatusBadRequest, "malformed-json", fmt.Sprintf("malformed JSON at byte %d", se.Offset))
		case errors.As(err, &te):
			WriteProblem(w, r, http.StatusBadRequest, "wrong-type", fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type, te.Value))
		case errors.Is(err, io.EOF):
			WriteProblem(w, r, http.StatusBadRequest, "empty-body", "the request body is empty; send a JSON object")
		case strings.HasPrefix(err.Error(), "json: unknown field"):
			WriteProblem(w, r, http.StatusBadRequest, "unknown-field", strings.TrimPrefix(err.Error(), "json: ")+"; see docs/API.md")
		default:
			WriteProblem(w, r, http.StatusBadRequest, "malformed-json", "the body is not a valid JSON object")
		}
		return false
	}
	if dec.More() {
		WriteProblem(w, r, http.StatusBadRequest, "malformed-json", "unexpected data after the JSON object")
		return false
	}
	return true
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
