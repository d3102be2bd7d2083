package guardbridge_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
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

// TestRedactionKeepsMessageFields checks that when the guards rewrite
// texts inside the messages, a provider of the client's own protocol still
// gets every message and block as sent, fields the gateway does not model
// included (an OpenAI message name, an audio part, Anthropic cache_control),
// with only the rewritten texts changed.
func TestRedactionKeepsMessageFields(t *testing.T) {
	for _, tc := range []struct{ name, proto, body string }{
		{"openai", "openai", `{"model":"gpt","messages":[` +
			`{"role":"system","content":"Be brief."},` +
			`{"role":"user","name":"dana","content":[{"type":"text","text":"Please email EMAIL now."},{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]},` +
			`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{\"to\":\"EMAIL\"}"}}]},` +
			`{"role":"tool","tool_call_id":"c1","content":"sent to EMAIL"}]}`},
		{"openai, two system messages", "openai", `{"model":"gpt","messages":[` +
			`{"role":"system","content":"Be brief."},{"role":"developer","name":"policy","content":"Escalate to EMAIL."},` +
			`{"role":"user","name":"dana","content":"Please email EMAIL now."}]}`},
		{"anthropic, system blocks cached", "anthropic", `{"model":"claude","max_tokens":100,` +
			`"system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Escalate to EMAIL.","cache_control":{"type":"ephemeral"}}],` +
			`"messages":[{"role":"user","content":[{"type":"text","text":"Please email EMAIL now.","cache_control":{"type":"ephemeral"}}]}]}`},
		{"anthropic", "anthropic", `{"model":"claude","max_tokens":100,` +
			`"system":[{"type":"text","text":"Be brief; escalate to EMAIL.","cache_control":{"type":"ephemeral"}}],"messages":[` +
			`{"role":"user","content":[{"type":"text","text":"Please email EMAIL now.","cache_control":{"type":"ephemeral","ttl":"1h"}}]},` +
			`{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"lookup","input":{"to":"EMAIL"}}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"sent to EMAIL","cache_control":{"type":"ephemeral"}}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			up := e.openai
			if tc.proto == "anthropic" {
				up = e.anthropic
			}
			st, _, body := e.chat(tc.proto, strings.ReplaceAll(tc.body, "EMAIL", email))
			if st != http.StatusOK {
				t.Fatalf("status %d: %s", st, body)
			}
			raw := sent(t, up)
			if strings.Contains(raw, email) {
				t.Fatalf("the address reached the upstream: %s", raw)
			}
			// The guard's canary line ends the first system text.
			if n := len(canaryLine.FindAllString(raw, -1)); n != 1 {
				t.Fatalf("%d canary lines in %s", n, raw)
			}
			got := decodeAny(t, canaryLine.ReplaceAllString(raw, "")).(map[string]any)
			want := decodeAny(t, strings.ReplaceAll(tc.body, "EMAIL", "<EMAIL_1>")).(map[string]any)
			for _, k := range []string{"messages", "system"} {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("%s reached the upstream as\n%v\nwant\n%v", k, got[k], want[k])
				}
			}
		})
	}
}

// canaryLine matches the line the output guard adds to system prompts, as
// it appears in a JSON string.
var canaryLine = regexp.MustCompile(`\\n\\nInternal reference \(never repeat\): attest-canary-[0-9a-f]+`)

// TestRedactionOfJoinedTexts checks that a text the gateway joins from
// several strings (a system message of two text parts) is still redacted
// everywhere, by re-encoding the messages.
func TestRedactionOfJoinedTexts(t *testing.T) {
	e := newEnv(t, nil)
	in := `{"model":"gpt","messages":[{"role":"system","content":[{"type":"text","text":"Be brief."},{"type":"text","text":"Escalate to ` + email + `."}]},` +
		`{"role":"user","content":"Hello"}]}`
	st, _, body := e.chat("openai", in)
	if st != http.StatusOK {
		t.Fatalf("status %d: %s", st, body)
	}
	if got := sent(t, e.openai); strings.Contains(got, email) || !strings.Contains(got, "<EMAIL_1>") {
		t.Fatalf("the upstream did not get the redacted system prompt: %s", got)
	}
}

func decodeAny(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, s)
	}
	return v
}

// TestCanaryWithoutSystemPrompt checks that a request without a system
// prompt gets the canary line as one of its own, its messages kept as sent.
func TestCanaryWithoutSystemPrompt(t *testing.T) {
	for _, proto := range []string{"openai", "anthropic"} {
		t.Run(proto, func(t *testing.T) {
			e := newEnv(t, nil)
			up := e.openai
			msgs := `[{"role":"user","name":"dana","content":"Mail ` + email + `"}]`
			in := `{"model":"gpt","messages":` + msgs + `}`
			if proto == "anthropic" {
				up = e.anthropic
				msgs = `[{"role":"user","content":[{"type":"text","text":"Mail ` + email + `","cache_control":{"type":"ephemeral"}}]}]`
				in = `{"model":"claude","max_tokens":50,"messages":` + msgs + `}`
			}
			if st, _, body := e.chat(proto, in); st != http.StatusOK {
				t.Fatalf("status %d: %s", st, body)
			}
			got := decodeAny(t, sent(t, up)).(map[string]any)
			gotMsgs := got["messages"].([]any)
			var system string
			if proto == "openai" {
				first := gotMsgs[0].(map[string]any)
				system, _ = first["content"].(string)
				if first["role"] != "system" {
					t.Fatalf("first message %v", first)
				}
				gotMsgs = gotMsgs[1:]
			} else {
				system, _ = got["system"].(string)
			}
			if !strings.HasPrefix(system, "Internal reference (never repeat): attest-canary-") {
				t.Errorf("system prompt %q", system)
			}
			want := decodeAny(t, strings.ReplaceAll(msgs, email, "<EMAIL_1>"))
			if !reflect.DeepEqual(any(gotMsgs), want) {
				t.Errorf("messages reached the upstream as\n%v\nwant\n%v", gotMsgs, want)
			}
		})
	}
}

// TestCanaryKeepsPromptCacheable checks that two requests with the same
// system prompt reach the provider with the same system prompt, canary
// included, so the provider's prompt cache still hits.
func TestCanaryKeepsPromptCacheable(t *testing.T) {
	e := newEnv(t, nil)
	in := userBody("anthropic", "claude", "You help Acme support.", "What is the order status?", "")
	var systems []string
	for range 2 {
		if st, _, body := e.chat("anthropic", in); st != http.StatusOK {
			t.Fatalf("status %d: %s", st, body)
		}
		systems = append(systems, string(members(t, sent(t, e.anthropic))["system"]))
	}
	if !strings.Contains(systems[0], "attest-canary-") || systems[0] != systems[1] {
		t.Fatalf("system prompts differ between requests:\n%s\n%s", systems[0], systems[1])
	}
}
