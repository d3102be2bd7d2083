package gateway_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/limits"
)

func TestCountTokens(t *testing.T) {
	e := newEnv(t)
	c := e.anthropicClient(keyA)
	params := anthropic.MessageCountTokensParams{
		System:   anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: []anthropic.TextBlockParam{{Text: "be brief"}}},
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello there"))},
	}
	// "be brief" and "hello there" are 19 bytes: 5 tokens at four bytes a
	// token, rounded up.
	for _, model := range []string{"claude", "gpt", "demo"} {
		params.Model = anthropic.Model(model)
		got, err := c.Messages.CountTokens(context.Background(), params)
		if err != nil {
			t.Fatal(err)
		}
		if got.InputTokens != 5 {
			t.Errorf("%s: %d input tokens, want 5", model, got.InputTokens)
		}
	}
	// Tool definitions are read by the model too.
	params.Tools = []anthropic.MessageCountTokensToolUnionParam{{OfTool: &anthropic.ToolParam{
		Name: "get_weather", Description: anthropic.String("Weather of a city"),
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]string{"type": "string"}}},
	}}}
	got, err := c.Messages.CountTokens(context.Background(), params)
	if err != nil || got.InputTokens <= 10 {
		t.Errorf("with a tool: %+v %v", got, err)
	}
	// Nothing went upstream and nothing was recorded: there was no
	// inference.
	if n := e.openai.Count() + e.anthropic.Count(); n != 0 {
		t.Errorf("%d token counts reached an upstream", n)
	}
	if n := e.ledger.Len(); n != 0 {
		t.Errorf("token counts wrote %d ledger entries", n)
	}
	_, metrics := getMetrics(t, e)
	if !strings.Contains(metrics, `attest_gateway_requests_total{api="anthropic.count_tokens",fallback="",provider="none",route="claude",status="2xx"} 1`) {
		t.Error("token counts are not in the request metrics")
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"api":"anthropic.count_tokens"`) || strings.Contains(logs, "hello there") {
		t.Error("the request log does not name the API, or quotes the prompt")
	}
}

func TestCountTokensRefusals(t *testing.T) {
	e := newEnv(t)
	e.auth.Add("sk-limited", gatewayCaller("key_l", "tenant-a", "gpt"))
	e.auth.Add("sk-rpm", gateway.Caller{KeyID: "key_rpm", Tenant: "tenant-a", Role: gateway.RoleConsumer, Limits: limits.Limits{RPM: 1, TPM: 1}})
	count := func(key, model string) error {
		c := e.anthropicClient(key)
		_, err := c.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
			Model:    anthropic.Model(model),
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
		})
		return err
	}
	for _, tc := range []struct {
		name, key, model string
		status           int
		typ              string
	}{
		{"unknown model", keyA, "nope", 404, "not_found_error"},
		{"model the key may not use", "sk-limited", "claude", 404, "not_found_error"},
		{"auditor", keyAuditor, "claude", 403, "permission_error"},
		{"revoked key", keyRevoked, "claude", 401, "authentication_error"},
		{"within the rate", "sk-rpm", "claude", 200, ""},
		{"over the rate", "sk-rpm", "claude", 429, "rate_limit_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := count(tc.key, tc.model)
			if tc.status == 200 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var ae *anthropic.Error
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || jsonField(t, []byte(ae.RawJSON()), "error.type") != tc.typ {
				t.Errorf("want %d %s, got %v", tc.status, tc.typ, err)
			}
		})
	}
	for _, tc := range []struct {
		name, body, param string
	}{
		{"no messages", `{"model":"claude"}`, "messages"},
		{"no model", `{"messages":[{"role":"user","content":"hi"}]}`, "model"},
		{"bad role", `{"model":"claude","messages":[{"role":"system","content":"hi"}]}`, "role"},
		{"malformed", `{"model":"claude","messages":[`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _, b := e.post("/v1/messages/count_tokens", "", tc.body, "x-api-key", keyA, "anthropic-version", "2023-06-01")
			if st != 400 || jsonField(t, b, "type") != "error" || jsonField(t, b, "error.type") != "invalid_request_error" || !strings.Contains(jsonField(t, b, "error.message"), tc.param) {
				t.Errorf("status %d body %s", st, b)
			}
		})
	}
	// max_tokens, which a Messages request needs, is not needed here.
	st, _, b := e.post("/v1/messages/count_tokens", "", `{"model":"claude","messages":[{"role":"user","content":"hi"}]}`, "x-api-key", keyA, "anthropic-version", "2023-06-01")
	if st != 200 || jsonField(t, b, "input_tokens") != "1" {
		t.Errorf("without max_tokens: %d %s", st, b)
	}
	if n := e.ledger.Len(); n != 0 {
		t.Errorf("refused token counts wrote %d ledger entries", n)
	}
}

// TestInputTokens checks the Responses API's token count with the official
// OpenAI SDK: the same estimate, no upstream call, no ledger entry, and
// the same refusals as a Responses request.
func TestInputTokens(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	params := responses.InputTokenCountParams{
		Model:        openai.String("gpt"),
		Instructions: openai.String("be brief"),
		Input:        responses.InputTokenCountParamsInputUnion{OfString: openai.String("hello there")},
	}
	// "be brief" and "hello there" are 19 bytes: 5 tokens.
	got, err := c.Responses.InputTokens.Count(context.Background(), params)
	if err != nil || got.InputTokens != 5 || got.Object != "response.input_tokens" {
		t.Fatalf("count %+v, %v", got, err)
	}
	if n := e.openai.Count() + e.anthropic.Count(); n != 0 {
		t.Errorf("%d token counts reached an upstream", n)
	}
	if n := e.ledger.Len(); n != 0 {
		t.Errorf("token counts wrote %d ledger entries", n)
	}
	for _, tc := range []struct {
		name   string
		params responses.InputTokenCountParams
		status int
	}{
		{"unknown model", responses.InputTokenCountParams{Model: openai.String("nope"), Input: params.Input}, 404},
		{"stored state", responses.InputTokenCountParams{Model: openai.String("gpt"), PreviousResponseID: openai.String("resp_1")}, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Responses.InputTokens.Count(context.Background(), tc.params)
			var oe *openai.Error
			if !errors.As(err, &oe) || oe.StatusCode != tc.status {
				t.Errorf("want %d, got %v", tc.status, err)
			}
		})
	}
	auditor := e.openaiClient(keyAuditor)
	_, err = auditor.Responses.InputTokens.Count(context.Background(), params)
	var oe *openai.Error
	if !errors.As(err, &oe) || oe.StatusCode != 403 {
		t.Errorf("auditor: %v", err)
	}
}
