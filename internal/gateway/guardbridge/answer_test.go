package guardbridge_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/gateway/guardbridge"
	"github.com/attest-ai/attest/internal/guard/output"
	"github.com/attest-ai/attest/internal/guard/pii"
)

func tokenizing() *guardbridge.Doc {
	d := guardbridge.DefaultDoc(tenant)
	d.PII = map[pii.Type]pii.Action{}
	for t, a := range guardbridge.DefaultDoc(tenant).PII {
		d.PII[t] = a
	}
	d.PII[pii.Email] = pii.ActionTokenize
	return &d
}

// TestTokensRestoredInAnswer tokenizes emails: the upstream sees only the
// token, and the client gets the value back in the text and in a tool
// call's arguments.
func TestTokensRestoredInAnswer(t *testing.T) {
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			e := newEnv(t, tokenizing())
			model, up := "gpt", e.openai
			if proto == "anthropic" {
				model, up = "claude", e.anthropic
			}
			st, _, out := e.chat(proto, userBody(proto, model, "Be brief.", "Draft a note to "+email, ""))
			if st != http.StatusOK {
				t.Fatalf("status %d: %s", st, out)
			}
			if got := sent(t, up); strings.Contains(got, email) || !strings.Contains(got, "<EMAIL_T1>") {
				t.Errorf("the upstream did not get the token: %s", got)
			}
			if !strings.Contains(out, email) || strings.Contains(unescape(out), "<EMAIL_T1>") {
				t.Errorf("the token was not restored for the client: %s", out)
			}
			// The fake calls the offered tool with the prompt as its query.
			tools := `"tools":[{"type":"function","function":{"name":"send","parameters":{"type":"object"}}}]`
			if proto == "anthropic" {
				tools = `"tools":[{"name":"send","input_schema":{"type":"object"}}]`
			}
			st, _, out = e.chat(proto, userBody(proto, model, "Be brief.", "Draft a note to "+email, tools))
			if st != http.StatusOK || !strings.Contains(out, email) || strings.Contains(unescape(out), "EMAIL_T") {
				t.Errorf("tool call arguments: status %d: %s", st, out)
			}
			e.leaks(email)
		})
	}
}

// schemaFormat asks for an object with a string "answer" and nothing else.
const schemaFormat = `"response_format":{"type":"json_schema","json_schema":{"name":"reply","strict":true,"schema":{"type":"object","required":["answer"],"properties":{"answer":{"type":"string"}},"additionalProperties":false}}}`

// TestSchemaRetryOnce checks json_schema answers: a failing answer is
// retried once, and a second failure is withheld with a clear error.
func TestSchemaRetryOnce(t *testing.T) {
	t.Run("fails twice", func(t *testing.T) {
		e := newEnv(t, nil)
		// In JSON mode the fake answers {"echo": ...}, which the schema
		// rejects.
		st, h, out := e.chat("openai", userBody("openai", "gpt", "Answer in JSON.", "hello", schemaFormat))
		if st != http.StatusUnprocessableEntity || jsonPath(t, out, "error.code") != "answer_blocked" || !strings.Contains(out, "requested JSON schema") {
			t.Fatalf("status %d: %s", st, out)
		}
		if strings.Contains(out, "echo") {
			t.Errorf("the failing answer reached the client: %s", out)
		}
		if e.openai.Count() != 2 {
			t.Errorf("upstream asked %d times, want 2", e.openai.Count())
		}
		res := e.entry("inference.response", h.Get("X-Request-Id"))
		o, _ := res["guard_output"].(map[string]any)
		if o["action"] != "block" || o["retried"] != true || res["status"] != 422.0 || res["attempts"] != 2.0 {
			t.Errorf("audit entry %v", res)
		}
		for _, r := range o["reasons"].([]any) {
			if strings.Contains(r.(string), "/") {
				t.Errorf("a reason names a place in the answer: %q", r)
			}
		}
	})
	t.Run("retry passes", func(t *testing.T) {
		e := newEnv(t, nil)
		var n atomic.Int32
		e.openai.SetReply(func(_, _ string) []string {
			if n.Add(1) == 1 {
				return []string{`{"answer": 42}`}
			}
			return []string{`{"answer": "forty-two"}`}
		})
		st, h, out := e.chat("openai", userBody("openai", "gpt", "Answer in JSON.", "hello", schemaFormat))
		if st != http.StatusOK || jsonPath(t, out, "choices") == nil || !strings.Contains(out, "forty-two") {
			t.Fatalf("status %d: %s", st, out)
		}
		o, _ := e.entry("inference.response", h.Get("X-Request-Id"))["guard_output"].(map[string]any)
		if o["action"] != "allow" || o["retried"] != true || e.openai.Count() != 2 {
			t.Errorf("guard output %v after %d calls", o, e.openai.Count())
		}
	})
	t.Run("passes first time", func(t *testing.T) {
		e := newEnv(t, nil)
		e.openai.SetReply(func(_, _ string) []string { return []string{`{"answer":"yes"}`} })
		st, _, out := e.chat("openai", userBody("openai", "gpt", "Answer in JSON.", "hello", schemaFormat))
		if st != http.StatusOK || e.openai.Count() != 1 {
			t.Fatalf("status %d after %d calls: %s", st, e.openai.Count(), out)
		}
	})
	t.Run("bad schema", func(t *testing.T) {
		e := newEnv(t, nil)
		bad := `"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":5}}}`
		st, _, out := e.chat("openai", userBody("openai", "gpt", "Be brief.", "hello", bad))
		if st != http.StatusBadRequest || jsonPath(t, out, "error.param") != "response_format" || e.openai.Count() != 0 {
			t.Errorf("status %d: %s", st, out)
		}
	})
}

// TestCanaryLeakBlocked makes the model repeat its system prompt: the
// planted canary gives it away and the answer is withheld.
func TestCanaryLeakBlocked(t *testing.T) {
	for _, proto := range protos {
		t.Run(proto, func(t *testing.T) {
			e := newEnv(t, nil)
			model, up := "gpt", e.openai
			if proto == "anthropic" {
				model, up = "claude", e.anthropic
			}
			up.SetReply(func(system, _ string) []string { return []string{"My instructions are: ", system} })
			st, h, out := e.chat(proto, userBody(proto, model, "You are the secret pricing bot.", "Hello, how are you today?", ""))
			if st != http.StatusUnprocessableEntity || !strings.Contains(out, "canary") {
				t.Fatalf("status %d: %s", st, out)
			}
			if strings.Contains(out, "attest-canary-") || strings.Contains(out, "pricing bot") {
				t.Errorf("the leak reached the client: %s", out)
			}
			o, _ := e.entry("inference.response", h.Get("X-Request-Id"))["guard_output"].(map[string]any)
			if o["action"] != "block" {
				t.Errorf("guard output %v", o)
			}
			// Without a system prompt the canary gets one of its own.
			e.chat(proto, strings.Replace(userBody(proto, model, "", "Hello, how are you today?", ""), `"system":"",`, "", 1))
			if got := sent(t, up); !strings.Contains(got, "attest-canary-") {
				t.Errorf("no canary planted without a system prompt: %s", got)
			}
		})
	}
}

// TestAnswerLimits checks the length limit and personal data in answers.
func TestAnswerLimits(t *testing.T) {
	short := guardbridge.DefaultDoc(tenant)
	op := output.DefaultPolicy()
	op.MaxChars = 20
	short.Output = &op
	e := newEnv(t, &short)
	st, _, out := e.chat("openai", userBody("openai", "gpt", "Be brief.", "tell me a long story about the sea", ""))
	if st != http.StatusUnprocessableEntity || !strings.Contains(out, "exceeds 20 characters") {
		t.Errorf("over-long answer: status %d: %s", st, out)
	}
	// The model makes up a card number and a key: the card is redacted,
	// the key (a secret, which the policy blocks) withholds the answer.
	e = newEnv(t, nil)
	e.openai.SetReply(func(_, _ string) []string { return []string{"Use card 4111 1111 1111 1111 please."} })
	st, _, out = e.chat("openai", userBody("openai", "gpt", "Be brief.", "pay", ""))
	if st != http.StatusOK || strings.Contains(out, "4111 1111") || !strings.Contains(unescape(out), "<CREDIT_CARD_1>") {
		t.Errorf("card in answer: status %d: %s", st, out)
	}
	e.openai.SetReply(func(_, _ string) []string { return []string{"The key is AKIAIOSFODNN7EXAMPLE."} })
	st, _, out = e.chat("openai", userBody("openai", "gpt", "Be brief.", "key?", ""))
	if st != http.StatusUnprocessableEntity || strings.Contains(out, "AKIA") || !strings.Contains(out, "AWS_KEY") {
		t.Errorf("secret in answer: status %d: %s", st, out)
	}
}

// anthropicSchema is schemaFormat as a Messages API structured output.
const anthropicSchema = `"output_config":{"format":{"type":"json_schema","schema":{"type":"object","required":["answer"],"properties":{"answer":{"type":"string"}},"additionalProperties":false}}}`

// TestAnthropicSchemaChecked checks that the output guard holds Anthropic
// clients' answers to their output_config.format schema as it does
// OpenAI's response_format, whichever provider answers: retried once, then
// withheld; and that a schema that does not compile is refused by name.
func TestAnthropicSchemaChecked(t *testing.T) {
	for _, c := range []struct {
		model string
		up    func(*env) *gatewaytest.Upstream
	}{
		{"claude", func(e *env) *gatewaytest.Upstream { return e.anthropic }},
		{"gpt", func(e *env) *gatewaytest.Upstream { return e.openai }},
	} {
		t.Run(c.model, func(t *testing.T) {
			e := newEnv(t, nil)
			up := c.up(e)
			st, h, out := e.chat("anthropic", userBody("anthropic", c.model, "Answer in JSON.", "hello", anthropicSchema))
			if st != http.StatusUnprocessableEntity || !strings.Contains(out, "requested JSON schema") || strings.Contains(out, "echo") || up.Count() != 2 {
				t.Fatalf("status %d after %d calls: %s", st, up.Count(), out)
			}
			if o, _ := e.entry("inference.response", h.Get("X-Request-Id"))["guard_output"].(map[string]any); o["action"] != "block" || o["retried"] != true {
				t.Errorf("guard output %v", o)
			}
			up.SetReply(func(_, _ string) []string { return []string{`{"answer":"yes"}`} })
			if st, _, out := e.chat("anthropic", userBody("anthropic", c.model, "Answer in JSON.", "hello", anthropicSchema)); st != http.StatusOK || !strings.Contains(out, `answer`) {
				t.Errorf("a matching answer: status %d: %s", st, out)
			}
			bad := `"output_config":{"format":{"type":"json_schema","schema":{"type":5}}}`
			st, _, out = e.chat("anthropic", userBody("anthropic", c.model, "Be brief.", "hello", bad))
			if msg, _ := jsonPath(t, out, "error.message").(string); st != http.StatusBadRequest || !strings.Contains(msg, "output_config.format") || strings.Contains(msg, "response_format") {
				t.Errorf("a schema that does not compile: status %d: %s", st, out)
			}
		})
	}
}
