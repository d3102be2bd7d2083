package gateway_test

import (
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway"
)

func TestBadRequests(t *testing.T) {
	e := newEnv(t, func(c *gatewayConfig, _ *gatewayDeps) { c.MaxBodyBytes = 64 << 10 })
	big := `{"model":"gpt","messages":[{"role":"user","content":"` + strings.Repeat("x", 70<<10) + `"}]}`
	for _, tc := range []struct {
		name, path, key, body string
		status                int
		errType, param        string
	}{
		{"malformed json", "/v1/chat/completions", keyA, `{"model":"gpt","messages":[`, 400, "invalid_request_error", ""},
		{"not an object", "/v1/chat/completions", keyA, `[1,2]`, 400, "invalid_request_error", ""},
		{"empty body", "/v1/chat/completions", keyA, ``, 400, "invalid_request_error", ""},
		{"messages wrong type", "/v1/chat/completions", keyA, `{"model":"gpt","messages":"hi"}`, 400, "invalid_request_error", "messages"},
		{"model wrong type", "/v1/chat/completions", keyA, `{"model":7,"messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "model"},
		{"temperature wrong type", "/v1/chat/completions", keyA, `{"model":"gpt","temperature":"hot","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error", "temperature"},
		{"bad role", "/v1/chat/completions", keyA, `{"model":"gpt","messages":[{"role":"wizard","content":"hi"}]}`, 400, "invalid_request_error", "messages[0].role"},
		{"no messages", "/v1/chat/completions", keyA, `{"model":"gpt","messages":[]}`, 400, "invalid_request_error", "messages"},
		{"oversize", "/v1/chat/completions", keyA, big, 413, "invalid_request_error", ""},
		{"unknown model", "/v1/chat/completions", keyA, `{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}`, 404, "invalid_request_error", "model"},
		{"expired key", "/v1/chat/completions", keyExpired, `{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`, 401, "authentication_error", ""},
		{"revoked key", "/v1/chat/completions", keyRevoked, `{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`, 401, "authentication_error", ""},
		{"no key", "/v1/chat/completions", "", `{"model":"gpt","messages":[{"role":"user","content":"hi"}]}`, 401, "authentication_error", ""},
		{"embeddings without input", "/v1/embeddings", keyA, `{"model":"embed"}`, 400, "invalid_request_error", "input"},
		{"embeddings wrong input", "/v1/embeddings", keyA, `{"model":"embed","input":{"a":1}}`, 400, "invalid_request_error", "input"},
	} {
		t.Run("openai/"+tc.name, func(t *testing.T) {
			st, h, b := e.post(tc.path, tc.key, tc.body)
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, b)
			}
			if got := jsonField(t, b, "error.type"); got != tc.errType {
				t.Errorf("error.type %q, want %q", got, tc.errType)
			}
			if got := jsonField(t, b, "error.param"); got != tc.param {
				t.Errorf("error.param %q, want %q", got, tc.param)
			}
			if jsonField(t, b, "error.message") == "" || h.Get("Content-Type") != "application/json" {
				t.Errorf("error without message or content type: %s", b)
			}
		})
	}
	for _, tc := range []struct {
		name, key, body string
		status          int
		errType         string
	}{
		{"malformed json", keyA, `{"model":`, 400, "invalid_request_error"},
		{"missing max_tokens", keyA, `{"model":"claude","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error"},
		{"max_tokens wrong type", keyA, `{"model":"claude","max_tokens":"many","messages":[{"role":"user","content":"hi"}]}`, 400, "invalid_request_error"},
		{"content wrong type", keyA, `{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":5}]}`, 400, "invalid_request_error"},
		{"system role in messages", keyA, `{"model":"claude","max_tokens":5,"messages":[{"role":"system","content":"x"}]}`, 400, "invalid_request_error"},
		{"oversize", keyA, big, 413, "request_too_large"},
		{"unknown model", keyA, `{"model":"nope","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 404, "not_found_error"},
		{"expired key", keyExpired, `{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 401, "authentication_error"},
		{"revoked key", keyRevoked, `{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 401, "authentication_error"},
		{"auditor", keyAuditor, `{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, 403, "permission_error"},
	} {
		t.Run("anthropic/"+tc.name, func(t *testing.T) {
			st, _, b := e.post("/v1/messages", "", tc.body, "x-api-key", tc.key, "anthropic-version", "2023-06-01")
			if st != tc.status {
				t.Fatalf("status %d, want %d: %s", st, tc.status, b)
			}
			if jsonField(t, b, "type") != "error" || jsonField(t, b, "error.type") != tc.errType || jsonField(t, b, "error.message") == "" {
				t.Errorf("body %s, want error type %s", b, tc.errType)
			}
		})
	}
	if e.openai.Count()+e.anthropic.Count() != 0 {
		t.Error("a bad request reached an upstream")
	}
	// Refusals of authenticated requests are audited; unauthenticated
	// ones cannot name a tenant and are only logged.
	for _, en := range e.entries("inference.response") {
		if en["refused"] == "" || en["refused"] == nil {
			t.Errorf("refusal without a reason: %v", en)
		}
	}
	if len(e.entries("inference.request")) != 0 {
		t.Error("a refused request has an inference.request entry")
	}
}

func TestErrorMessagesNeverQuoteContent(t *testing.T) {
	e := newEnv(t)
	const canary = "CANARY-err-7731"
	for _, body := range []string{
		`{"model":"gpt","messages":[{"role":"` + canary + `","content":"hi"}]}`,
		`{"model":"` + canary + `","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"gpt","messages":[{"role":"user","content":{"` + canary + `":1}}]}`,
		`{"model":"gpt","response_format":{"type":"` + canary + `"},"messages":[{"role":"user","content":"hi"}]}`,
	} {
		_, _, b := e.post("/v1/chat/completions", keyA, body)
		if strings.Contains(string(b), canary) {
			t.Errorf("error quotes the request: %s", b)
		}
	}
}

var _ = gateway.RoleConsumer
