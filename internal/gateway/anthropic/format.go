package anthropic

import (
	"bytes"
	"encoding/json"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// FormatName names a schema that came from an Anthropic request when it
// is translated for an OpenAI-type provider, which requires a name.
const FormatName = "response"

type wireFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

// decodeFormat reads the structured output a Messages request asks for:
// output_config.format, or output_format as the structured outputs beta
// spelled it. The Messages API enforces such a schema during decoding, so
// it becomes a strict JSON schema format, which also lets the output guard
// validate the answer against it.
func decodeFormat(r *chat.Request, raw map[string]json.RawMessage) error {
	var cfg struct {
		Format *wireFormat `json:"format"`
	}
	if err := field(raw, "output_config", &cfg); err != nil {
		return err
	}
	var beta *wireFormat
	if err := field(raw, "output_format", &beta); err != nil {
		return err
	}
	f, param := cfg.Format, "output_config.format"
	switch {
	case f != nil && beta != nil:
		return chat.BadRequest("output_format", "output_format: send the schema once, in output_config.format (output_format is its beta spelling)")
	case beta != nil:
		f, param = beta, "output_format"
	case f == nil:
		return nil
	}
	if f.Type != "json_schema" {
		return chat.BadRequest(param+".type", "%s.type: must be json_schema", param)
	}
	if s := bytes.TrimSpace(f.Schema); len(s) == 0 || s[0] != '{' {
		return chat.BadRequest(param+".schema", "%s.schema: must be a JSON Schema object", param)
	}
	r.ResponseFormat = &chat.ResponseFormat{Type: chat.FormatJSONSchema, Name: FormatName, Schema: f.Schema, Strict: true}
	return nil
}

// nativeFormat reports whether f is served by the Messages API's own
// structured outputs rather than by a forced tool: only a strict schema,
// since the API holds every answer to its schema and refuses schemas it
// cannot enforce, which a caller that did not ask for strictness may send.
func nativeFormat(f *chat.ResponseFormat) bool {
	return f.Type == chat.FormatJSONSchema && f.Strict && len(bytes.TrimSpace(f.Schema)) > 0
}
