package provider

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/guard/output"
)

// TestDemoAnswersInSchema checks that the demo model's structured answers
// validate against the schema asked for, with the output guard's own
// validator, and that schemas it cannot satisfy fall back to its fixed
// object rather than to something invalid.
func TestDemoAnswersInSchema(t *testing.T) {
	for _, c := range []struct {
		name, schema string
		ok           bool
	}{
		{"strict object", `{"type":"object","properties":{"answer":{"type":"string"},"score":{"type":"integer","minimum":3}},"required":["answer","score"],"additionalProperties":false}`, true},
		{"nested and arrays", `{"type":"object","properties":{"items":{"type":"array","minItems":2,"items":{"type":"object","properties":{"n":{"type":"number","exclusiveMinimum":0},"ok":{"type":"boolean"}},"required":["n","ok"],"additionalProperties":false}}},"required":["items"],"additionalProperties":false}`, true},
		{"enum const and nullable", `{"type":"object","properties":{"kind":{"enum":["a","b"]},"v":{"const":7},"note":{"type":["string","null"],"maxLength":4}},"required":["kind","v","note"],"additionalProperties":false}`, true},
		{"refs and anyOf", `{"$defs":{"step":{"type":"object","properties":{"text":{"type":"string","minLength":40}},"required":["text"],"additionalProperties":false}},"type":"object","properties":{"steps":{"type":"array","items":{"$ref":"#/$defs/step"}},"when":{"anyOf":[{"type":"string","format":"date-time"},{"type":"null"}]}},"required":["steps","when"],"additionalProperties":false}`, true},
		{"pattern the echo meets", `{"type":"object","properties":{"code":{"type":"string","pattern":"^[a-z ]+$"}},"required":["code"]}`, true},
		{"pattern it cannot meet", `{"type":"object","properties":{"code":{"type":"string","pattern":"^[0-9]{6}$"}},"required":["code"]}`, false},
		{"required but undescribed", `{"type":"object","properties":{},"required":["x"]}`, false},
		{"external ref", `{"$ref":"https://example.com/s.json"}`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, ok := demoInstance(json.RawMessage(c.schema), "hello there")
			if ok != c.ok {
				t.Fatalf("ok = %v, want %v (%s)", ok, c.ok, b)
			}
			if !ok {
				return
			}
			s, err := output.CompileSchema([]byte(c.schema))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Validate(b); err != nil {
				t.Errorf("%s does not validate: %v", b, err)
			}
			if strings.Contains(c.schema, `"type":"string"}`) && !strings.Contains(string(b), "hell") {
				t.Errorf("%s does not echo the prompt", b)
			}
		})
	}
	// Through the provider, streamed or not.
	schema := json.RawMessage(`{"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"],"additionalProperties":false}`)
	req := &chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Parts: []chat.Part{{Type: chat.PartText, Text: "hi"}}}},
		ResponseFormat: &chat.ResponseFormat{Type: chat.FormatJSONSchema, Name: "r", Schema: schema, Strict: true}}
	res, err := NewDemo("demo").Chat(context.Background(), req, DemoModel)
	if err != nil || res.Response.Text() != `{"answer":"hi"}` {
		t.Fatalf("demo answer %+v, %v", res, err)
	}
}

// FuzzDemoInstance feeds the demo's schema reader client schemas: it never
// panics, stays bounded on recursive schemas, and what it builds is JSON.
func FuzzDemoInstance(f *testing.F) {
	f.Add(`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"]}`)
	f.Add(`{"properties":{"a":{"$ref":"#"},"b":{"$ref":"#"},"c":{"$ref":"#"},"d":{"$ref":"#"},"e":{"$ref":"#"}}}`)
	f.Add(`{"anyOf":[{"$ref":"#/$defs/x"}],"$defs":{"x":{"type":"array","minItems":8,"items":{"$ref":"#"}}}}`)
	f.Add(`{"type":"string","pattern":"(a+)+$"}`)
	f.Fuzz(func(t *testing.T, schema string) {
		b, ok := demoInstance(json.RawMessage(schema), "echo")
		if ok && !json.Valid(b) {
			t.Fatalf("not JSON: %s", b)
		}
	})
}
