package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/attest-ai/attest/internal/ledger"
)

func (e *env) openaiClient(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(e.srv.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func TestOpenAISDKPlain(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, tc := range []struct {
		model, want, upstreamModel string
		up                         func() []string
	}{
		{"gpt", "echo: hello there", "gpt-4o-2025-01-01", nil},
		{"azure", "echo: hello there", "my-deployment-2025-01-01", nil},
		{"claude", "echo: hello there", "claude-x-2025-01-01", nil},
		{"demo", "[attest demo model, not a real LLM] You said: hello there", "attest-demo-echo", nil},
	} {
		t.Run(tc.model, func(t *testing.T) {
			var resp *http.Response
			got, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model:    tc.model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello there")},
				User:     openai.String("end-user-1"),
			}, option.WithResponseInto(&resp))
			if err != nil {
				t.Fatal(err)
			}
			if got.Choices[0].Message.Content != tc.want {
				t.Errorf("content = %q, want %q", got.Choices[0].Message.Content, tc.want)
			}
			if got.Model != tc.upstreamModel {
				t.Errorf("model = %q, want %q", got.Model, tc.upstreamModel)
			}
			if got.Usage.TotalTokens == 0 {
				t.Error("usage is missing")
			}
			id := resp.Header.Get("X-Request-Id")
			req := e.byRequest("inference.request", id)
			res := e.byRequest("inference.response", id)
			if req["route"] != tc.model || res["status"] != float64(200) || res["model_version"] != tc.upstreamModel {
				t.Errorf("audit entries: %v / %v", req, res)
			}
			subs := res["_subjects"].([]ledger.Ref)
			if len(subs) != 2 || !strings.HasPrefix(subs[0].ID, "p_tenant-a_") || subs[1] != (ledger.Ref{Kind: "api_key", ID: "key_a"}) {
				t.Errorf("subjects = %v, want the pseudonymous end user and the key", subs)
			}
		})
	}
	// What the upstreams were sent.
	oa := e.openai.Requests()[0]
	if oa.Path != "/v1/chat/completions" || oa.Header.Get("Authorization") != "Bearer "+upKey {
		t.Errorf("openai upstream got %s with auth %q", oa.Path, oa.Header.Get("Authorization"))
	}
	var body map[string]any
	json.Unmarshal(oa.Body, &body)
	if body["model"] != "gpt-4o" || body["user"] != "end-user-1" {
		t.Errorf("openai upstream body: model %v user %v", body["model"], body["user"])
	}
	az := e.azure.Requests()[0]
	if az.Path != "/openai/deployments/my-deployment/chat/completions" || az.Query != "api-version=2024-10-21" || az.Header.Get("api-key") != upKey || az.Header.Get("Authorization") != "" {
		t.Errorf("azure upstream got %s?%s api-key %q", az.Path, az.Query, az.Header.Get("api-key"))
	}
	an := e.anthropic.Requests()[0]
	json.Unmarshal(an.Body, &body)
	if an.Path != "/v1/messages" || an.Header.Get("x-api-key") != upKey || an.Header.Get("anthropic-version") == "" || body["system"] != "be brief" || body["max_tokens"] == nil {
		t.Errorf("anthropic upstream got %s, body %s", an.Path, an.Body)
	}
}

func TestOpenAISDKStreaming(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, model := range []string{"gpt", "claude", "azure", "demo"} {
		t.Run(model, func(t *testing.T) {
			s := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
				Model:         model,
				Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream me some words please")},
				StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
			})
			var acc openai.ChatCompletionAccumulator
			chunks := 0
			for s.Next() {
				acc.AddChunk(s.Current())
				chunks++
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			got := acc.Choices[0].Message.Content
			if !strings.HasSuffix(got, "stream me some words please") || chunks < 4 {
				t.Errorf("streamed %q in %d chunks", got, chunks)
			}
			if acc.Usage.TotalTokens == 0 {
				t.Error("no usage chunk although include_usage was set")
			}
			if acc.Choices[0].FinishReason != "stop" {
				t.Errorf("finish_reason = %q", acc.Choices[0].FinishReason)
			}
		})
	}
}

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Weather of a city"),
		Parameters: shared.FunctionParameters{
			"type":       "object",
			"properties": map[string]any{"query": map[string]string{"type": "string"}},
		},
	})
}

func TestOpenAISDKToolCalls(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, model := range []string{"gpt", "claude"} {
		t.Run(model, func(t *testing.T) {
			params := openai.ChatCompletionNewParams{
				Model:    model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris")},
				Tools:    []openai.ChatCompletionToolUnionParam{weatherTool()},
			}
			first, err := c.Chat.Completions.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			msg := first.Choices[0].Message
			if first.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "get_weather" {
				t.Fatalf("want a get_weather call, got %+v", msg)
			}
			var args map[string]string
			if err := json.Unmarshal([]byte(msg.ToolCalls[0].Function.Arguments), &args); err != nil || args["query"] != "weather in Paris" {
				t.Fatalf("arguments = %q", msg.ToolCalls[0].Function.Arguments)
			}
			params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("sunny, 21C", msg.ToolCalls[0].ID))
			second, err := c.Chat.Completions.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			if got := second.Choices[0].Message.Content; got != "tool said: sunny, 21C" {
				t.Errorf("after the tool result: %q", got)
			}

			// The same first turn, streamed.
			s := c.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
				Model: model, Messages: params.Messages[:1], Tools: params.Tools,
			})
			var acc openai.ChatCompletionAccumulator
			for s.Next() {
				acc.AddChunk(s.Current())
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			tc := acc.Choices[0].Message.ToolCalls
			if len(tc) != 1 || tc[0].Function.Name != "get_weather" || tc[0].Function.Arguments != `{"query":"weather in Paris"}` {
				t.Errorf("streamed tool call: %+v", tc)
			}
		})
	}
	// The Anthropic upstream got the tool result as a tool_result block.
	reqs := e.anthropic.Requests()
	if len(reqs) < 2 || !strings.Contains(string(reqs[1].Body), `"tool_result"`) || !strings.Contains(string(reqs[1].Body), `"tool_use"`) {
		t.Errorf("anthropic upstream second turn: %s", reqs[1].Body)
	}
}

func TestOpenAISDKResponseFormat(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, model := range []string{"gpt", "claude"} {
		got, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
			Model:    model,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("json please")},
			ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "answer", Schema: map[string]any{"type": "object"}},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(got.Choices[0].Message.Content), &v); err != nil {
			t.Errorf("%s: content is not JSON: %q", model, got.Choices[0].Message.Content)
		}
		if got.Choices[0].FinishReason != "stop" {
			t.Errorf("%s: finish_reason %q", model, got.Choices[0].FinishReason)
		}
	}
	var body map[string]any
	json.Unmarshal(e.anthropic.Requests()[0].Body, &body)
	if tc, _ := body["tool_choice"].(map[string]any); tc["name"] != "json_response" {
		t.Errorf("anthropic upstream was not forced to the JSON tool: %v", body["tool_choice"])
	}
	json.Unmarshal(e.openai.Requests()[0].Body, &body)
	if rf, _ := body["response_format"].(map[string]any); rf["type"] != "json_schema" {
		t.Errorf("openai upstream lost response_format: %v", body["response_format"])
	}

	// A strict schema reaches an Anthropic model as its own structured
	// output, with no tool forced.
	got, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "claude",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("json please")},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "answer", Strict: openai.Bool(true), Schema: map[string]any{
				"type": "object", "properties": map[string]any{"echo": map[string]any{"type": "string"}}, "required": []string{"echo"}, "additionalProperties": false}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if json.Unmarshal([]byte(got.Choices[0].Message.Content), &v) != nil || v["echo"] != "json please" {
		t.Errorf("strict schema on claude: content %q", got.Choices[0].Message.Content)
	}
	// The built-in demo model answers in the schema's shape.
	demo, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "demo",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("json please")},
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
			JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{Name: "answer", Strict: openai.Bool(true), Schema: map[string]any{
				"type": "object", "properties": map[string]any{"echo": map[string]any{"type": "string"}, "n": map[string]any{"type": "integer"}},
				"required": []string{"echo", "n"}, "additionalProperties": false}},
		}},
	})
	if err != nil || demo.Choices[0].Message.Content != `{"echo":"json please","n":0}` {
		t.Errorf("demo model with a schema: %v %+v", err, demo)
	}
	reqs := e.anthropic.Requests()
	body = nil
	json.Unmarshal(reqs[len(reqs)-1].Body, &body)
	if oc, _ := body["output_config"].(map[string]any); oc["format"] == nil || body["tool_choice"] != nil {
		t.Errorf("anthropic upstream for a strict schema: %s", reqs[len(reqs)-1].Body)
	}
}

func TestOpenAISDKErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, key, model string
		status           int
		code             string
	}{
		{"unknown model", keyA, "no-such-model", 404, "model_not_found"},
		{"revoked key", keyRevoked, "gpt", 401, "revoked_api_key"},
		{"expired key", keyExpired, "gpt", 401, "expired_api_key"},
		{"unknown key", "sk-nope", "gpt", 401, "invalid_api_key"},
		{"auditor role", keyAuditor, "gpt", 403, "role_not_allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.openaiClient(tc.key)
			_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
				Model: tc.model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
			})
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *openai.Error, got %v", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.code {
				t.Errorf("status %d code %q, want %d %q", apiErr.StatusCode, apiErr.Code, tc.status, tc.code)
			}
		})
	}
	// An upstream refusing the request (400) is passed on, not failed over.
	e.openai.SetFault(func(int) gatewaytestFault { return gatewaytestFault{Status: 400} })
	c := e.openaiClient(keyA)
	_, err := c.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "chain", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("want the upstream's 400, got %v", err)
	}
	if e.openai2.Count() != 0 {
		t.Error("a request the primary refused as invalid was sent to the secondary")
	}
}

func TestOpenAISDKEmbeddingsAndModels(t *testing.T) {
	e := newEnv(t)
	c := e.openaiClient(keyA)
	for _, model := range []string{"embed", "attest-demo-echo"} {
		got, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
			Model: model,
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Data) != 2 || len(got.Data[0].Embedding) == 0 {
			t.Errorf("%s: %d embeddings", model, len(got.Data))
		}
	}
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if !strings.Contains(strings.Join(ids, ","), "gpt,chain,azure,claude") {
		t.Errorf("models = %v", ids)
	}
	// A key limited to some models sees only those.
	e.auth.Add("sk-limited", gatewayCaller("key_l", "tenant-a", "gpt"))
	lc := e.openaiClient("sk-limited")
	page, err = lc.Models.List(context.Background())
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "gpt" {
		t.Errorf("limited key sees %+v (%v)", page.Data, err)
	}
	if _, err := lc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model: "claude", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	}); err == nil {
		t.Error("a key limited to gpt reached claude")
	}
}
