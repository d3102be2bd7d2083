// Package output checks a model's answer before it reaches the client:
// JSON Schema conformance when the request asked for structured output,
// canary tokens that reveal system-prompt leakage, personal data, and
// length. The result is a verdict the gateway acts on: allow, flag, retry
// once, or block.
package output

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// MaxSchemaBytes bounds a response_format schema.
const MaxSchemaBytes = 256 << 10

// Schema is a compiled response_format JSON Schema.
type Schema struct{ s *jsonschema.Schema }

// noLoader refuses every external reference, so a tenant's schema cannot
// make the gateway read local files or fetch URLs.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema reference %q is not allowed; inline every definition under $defs", url)
}

// CompileSchema compiles the json_schema.schema object of a request's
// response_format.
func CompileSchema(raw []byte) (*Schema, error) {
	if len(raw) > MaxSchemaBytes {
		return nil, fmt.Errorf("response_format schema is %d bytes; the limit is %d", len(raw), MaxSchemaBytes)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("response_format schema is not valid JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	const loc = "urn:attest:response-format"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, fmt.Errorf("response_format schema: %w", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("response_format schema does not compile: %w", err)
	}
	return &Schema{s: s}, nil
}

// ErrNotJSON means the answer was not JSON at all.
var ErrNotJSON = errors.New("answer is not valid JSON")

// Validate checks an answer against the schema. The error says which
// constraint failed but quotes no value from the answer.
func (s *Schema) Validate(answer []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(answer))
	if err != nil {
		return ErrNotJSON // the decoder's message may quote the answer
	}
	if err := s.s.Validate(v); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("answer does not match the requested JSON schema at %s", location(ve))
		}
		return fmt.Errorf("answer does not match the requested JSON schema")
	}
	return nil
}

// location names the first failing place in the instance, as a JSON
// pointer, which carries keys but no values.
func location(ve *jsonschema.ValidationError) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	p := "/"
	for _, tok := range ve.InstanceLocation {
		p += tok + "/"
	}
	return p
}
