package guardbridge_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestRedactionKeepsUnmodelledFields checks that a request the guards
// rewrite still reaches a provider of its own protocol with every field
// the gateway does not model as the client sent it: only the members
// holding the rewritten text change.
func TestRedactionKeepsUnmodelledFields(t *testing.T) {
	const openaiExtra = `"seed":42,"n":2,"logprobs":true,"top_logprobs":3,"presence_penalty":0.5,"frequency_penalty":-0.25,` +
		`"logit_bias":{"50256":-100},"parallel_tool_calls":false,"metadata":{"ticket":"T-9"},"service_tier":"flex","store":true`
	const anthropicExtra = `"top_k":5,"metadata":{"user_id":"u-1"},"thinking":{"type":"enabled","budget_tokens":1024}`
	for _, tc := range []struct {
		name, proto, model, extra string
		stream                    bool
	}{
		{"openai", "openai", "gpt", openaiExtra, false},
		{"openai stream", "openai", "gpt", openaiExtra, true},
		{"anthropic", "anthropic", "claude", anthropicExtra, false},
		{"anthropic stream", "anthropic", "claude", anthropicExtra, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			up := e.openai
			if tc.proto == "anthropic" {
				up = e.anthropic
			}
			extra := tc.extra
			if tc.stream {
				extra += `,"stream":true`
			}
			in := userBody(tc.proto, tc.model, "You help Acme support.", "Please email "+email+" about order 7.", extra)
			st, _, body := e.chat(tc.proto, in)
			if st != http.StatusOK {
				t.Fatalf("status %d: %s", st, body)
			}
			got := sent(t, up)
			if strings.Contains(got, email) || !strings.Contains(got, "<EMAIL_1>") {
				t.Errorf("the upstream did not get the redacted text: %s", got)
			}
			sentFields, inFields := members(t, got), members(t, in)
			for k, v := range members(t, "{"+tc.extra+"}") {
				if !bytes.Equal(sentFields[k], v) || !bytes.Equal(inFields[k], v) {
					t.Errorf("%s reached the upstream as %s, want %s", k, sentFields[k], v)
				}
			}
			if string(sentFields["model"]) == `"`+tc.model+`"` {
				t.Errorf("the route alias reached the upstream: %s", got)
			}
		})
	}
}

// TestAnthropicUneditedMessagesKept checks that when the guards change
// only the system prompt (the canary line), the messages reach an
// Anthropic provider byte for byte, cache hints and all.
func TestAnthropicUneditedMessagesKept(t *testing.T) {
	e := newEnv(t, nil)
	msgs := `[{"role":"user","content":[{"type":"text","text":"What is the order status?","cache_control":{"type":"ephemeral"}}]}]`
	in := `{"model":"claude","max_tokens":200,"system":"Be brief.","messages":` + msgs + `,"top_k":3}`
	st, _, body := e.chat("anthropic", in)
	if st != http.StatusOK {
		t.Fatalf("status %d: %s", st, body)
	}
	got := members(t, sent(t, e.anthropic))
	if string(got["messages"]) != msgs {
		t.Errorf("messages reached the upstream as %s, want %s", got["messages"], msgs)
	}
	if !strings.Contains(string(got["system"]), "attest-canary-") || string(got["top_k"]) != "3" {
		t.Errorf("system %s, top_k %s", got["system"], got["top_k"])
	}
}

func members(t *testing.T, body string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not a JSON object: %s", body)
	}
	return m
}
