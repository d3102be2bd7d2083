package gateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

func (e *env) anthropicClient(key string) anthropic.Client {
	return anthropic.NewClient(option.WithBaseURL(e.srv.URL), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func TestAnthropicSDKPlain(t *testing.T) {
	e := newEnv(t)
	c := e.anthropicClient(keyA)
	for _, model := range []string{"claude", "gpt", "azure", "demo"} {
		t.Run(model, func(t *testing.T) {
			msg, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{
				Model:     anthropic.Model(model),
				MaxTokens: 256,
				System:    []anthropic.TextBlockParam{{Text: "be brief"}},
				Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello there"))},
				Metadata:  anthropic.MetadataParam{UserID: anthropic.String("end-user-7")},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) != 1 || !strings.HasSuffix(msg.Content[0].Text, "hello there") {
				t.Errorf("content = %+v", msg.Content)
			}
			if msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.OutputTokens == 0 {
				t.Errorf("stop %q usage %+v", msg.StopReason, msg.Usage)
			}
		})
	}
	// Same protocol: the upstream got the request as sent, model replaced.
	var body map[string]any
	up := e.anthropic.Requests()[0]
	json.Unmarshal(up.Body, &body)
	if body["model"] != "claude-x" || body["metadata"].(map[string]any)["user_id"] != "end-user-7" {
		t.Errorf("anthropic upstream body: %s", up.Body)
	}
	// Translated: the OpenAI upstream got a system message first.
	json.Unmarshal(e.openai.Requests()[0].Body, &body)
	msgs := body["messages"].([]any)
	if msgs[0].(map[string]any)["role"] != "system" || body["max_tokens"] != float64(256) {
		t.Errorf("openai upstream body: %s", e.openai.Requests()[0].Body)
	}
	for _, en := range e.entries("inference.request") {
		if en["api"] != "anthropic.messages" {
			t.Errorf("api = %v", en["api"])
		}
	}
}

func TestAnthropicSDKStreaming(t *testing.T) {
	e := newEnv(t)
	c := e.anthropicClient(keyA)
	for _, model := range []string{"claude", "gpt", "demo"} {
		t.Run(model, func(t *testing.T) {
			s := c.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
				Model:     anthropic.Model(model),
				MaxTokens: 256,
				Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("stream me some words please"))},
			})
			var msg anthropic.Message
			for s.Next() {
				if err := msg.Accumulate(s.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) != 1 || !strings.HasSuffix(msg.Content[0].Text, "stream me some words please") {
				t.Errorf("accumulated %+v", msg.Content)
			}
			if msg.StopReason != anthropic.StopReasonEndTurn {
				t.Errorf("stop reason %q", msg.StopReason)
			}
		})
	}
}

// TestAnthropicEventSequence checks the exact wire sequence an Anthropic
// client gets from an OpenAI upstream, text and tool use.
func TestAnthropicEventSequence(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"text", `{"model":"gpt","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"a b c"}]}`,
			[]string{"message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}},
		{"tool", `{"model":"gpt","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t","input_schema":{"type":"object"}}]}`,
			[]string{"message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/messages", strings.NewReader(tc.body))
			req.Header.Set("x-api-key", keyA)
			req.Header.Set("anthropic-version", "2023-06-01")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var names []string
			var deltas []string
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				line := sc.Text()
				if n, ok := strings.CutPrefix(line, "event: "); ok {
					names = append(names, n)
				}
				if d, ok := strings.CutPrefix(line, "data: "); ok && strings.Contains(d, "content_block_delta") {
					var ev struct {
						Delta struct{ Type string } `json:"delta"`
					}
					json.Unmarshal([]byte(d), &ev)
					deltas = append(deltas, ev.Delta.Type)
				}
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("events\n got %v\nwant %v", names, tc.want)
			}
			want := "text_delta"
			if tc.name == "tool" {
				want = "input_json_delta"
			}
			for _, d := range deltas {
				if d != want {
					t.Errorf("delta type %q, want %q", d, want)
				}
			}
		})
	}
}

func TestAnthropicSDKToolUse(t *testing.T) {
	e := newEnv(t)
	c := e.anthropicClient(keyA)
	tool := anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{
		Name:        "get_weather",
		InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"query": map[string]string{"type": "string"}}},
	}}
	for _, model := range []string{"claude", "gpt"} {
		t.Run(model, func(t *testing.T) {
			params := anthropic.MessageNewParams{
				Model: anthropic.Model(model), MaxTokens: 256, Tools: []anthropic.ToolUnionParam{tool},
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Oslo"))},
			}
			first, err := c.Messages.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			if first.StopReason != anthropic.StopReasonToolUse || len(first.Content) != 1 || first.Content[0].Type != "tool_use" || first.Content[0].Name != "get_weather" {
				t.Fatalf("want a tool_use block, got %+v", first.Content)
			}
			if string(first.Content[0].Input) != `{"query":"weather in Oslo"}` {
				t.Errorf("input = %s", first.Content[0].Input)
			}
			params.Messages = append(params.Messages, first.ToParam(),
				anthropic.NewUserMessage(anthropic.NewToolResultBlock(first.Content[0].ID, "rain, 9C", false)))
			second, err := c.Messages.New(context.Background(), params)
			if err != nil {
				t.Fatal(err)
			}
			if second.Content[0].Text != "tool said: rain, 9C" {
				t.Errorf("after the tool result: %+v", second.Content)
			}
			s := c.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
				Model: anthropic.Model(model), MaxTokens: 256, Tools: params.Tools, Messages: params.Messages[:1],
			})
			var msg anthropic.Message
			for s.Next() {
				if err := msg.Accumulate(s.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) != 1 || msg.Content[0].Name != "get_weather" || string(msg.Content[0].Input) != `{"query":"weather in Oslo"}` {
				t.Errorf("streamed tool use: %+v", msg.Content)
			}
		})
	}
	// The OpenAI upstream got the tool result as a tool message.
	reqs := e.openai.Requests()
	if len(reqs) < 2 || !strings.Contains(string(reqs[1].Body), `"role":"tool"`) || !strings.Contains(string(reqs[1].Body), `"tool_call_id"`) {
		t.Errorf("openai upstream second turn: %s", reqs[1].Body)
	}
}

func TestAnthropicSDKErrors(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name, key, model string
		status           int
		typ              string
	}{
		{"unknown model", keyA, "nope", 404, "not_found_error"},
		{"expired key", keyExpired, "claude", 401, "authentication_error"},
		{"revoked key", keyRevoked, "claude", 401, "authentication_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := e.anthropicClient(tc.key)
			_, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{
				Model: anthropic.Model(tc.model), MaxTokens: 16,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
			})
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("want *anthropic.Error, got %v", err)
			}
			var body struct {
				Type  string                `json:"type"`
				Error struct{ Type string } `json:"error"`
			}
			json.Unmarshal([]byte(apiErr.RawJSON()), &body)
			if apiErr.StatusCode != tc.status || body.Type != "error" || body.Error.Type != tc.typ {
				t.Errorf("status %d body %s", apiErr.StatusCode, apiErr.RawJSON())
			}
		})
	}
	c := e.anthropicClient(keyA)
	page, err := c.Models.List(context.Background(), anthropic.ModelListParams{})
	if err != nil || len(page.Data) == 0 || page.Data[0].ID != "demo" {
		t.Errorf("models: %+v %v", page, err)
	}
}

// TestAnthropicSDKBetaHeader checks that the beta features an Anthropic
// client asks for reach Anthropic providers, and no others, and that a
// malformed header is refused in Anthropic's error shape.
func TestAnthropicSDKBetaHeader(t *testing.T) {
	e := newEnv(t)
	c := e.anthropicClient(keyA)
	params := anthropic.MessageNewParams{
		Model: "claude", MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello"))},
	}
	const betas = "extended-cache-ttl-2025-04-11, context-1m-2025-08-07"
	if _, err := c.Messages.New(context.Background(), params, option.WithHeader("anthropic-beta", betas)); err != nil {
		t.Fatal(err)
	}
	if got := e.anthropic.Requests()[0].Header.Get("anthropic-beta"); got != "extended-cache-ttl-2025-04-11,context-1m-2025-08-07" {
		t.Errorf("anthropic upstream anthropic-beta = %q", got)
	}
	params.Model = "gpt"
	if _, err := c.Messages.New(context.Background(), params, option.WithHeader("anthropic-beta", betas)); err != nil {
		t.Fatal(err)
	}
	if h := e.openai.Requests()[0].Header; h.Get("anthropic-beta") != "" {
		t.Errorf("an OpenAI upstream got anthropic-beta %q", h.Get("anthropic-beta"))
	}
	_, err := c.Messages.New(context.Background(), params, option.WithHeader("anthropic-beta", "x\"; drop"))
	var ae *anthropic.Error
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest || !strings.Contains(ae.RawJSON(), "anthropic-beta") {
		t.Fatalf("malformed anthropic-beta: %v", err)
	}
}

// TestAnthropicSDKStructuredOutput sends structured output requests
// (output_config.format and a strict tool) through the official SDK: an
// Anthropic provider gets them as sent, an OpenAI-type one as a strict
// json_schema response format and a strict function, and either answer is
// the JSON text the schema asked for.
func TestAnthropicSDKStructuredOutput(t *testing.T) {
	e := newEnv(t)
	c := e.anthropicClient(keyA)
	schema := map[string]any{"type": "object", "properties": map[string]any{"echo": map[string]any{"type": "string"}},
		"required": []string{"echo"}, "additionalProperties": false}
	for _, model := range []string{"claude", "gpt"} {
		t.Run(model, func(t *testing.T) {
			msg, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{
				Model: anthropic.Model(model), MaxTokens: 256,
				Messages:     []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("json please"))},
				OutputConfig: anthropic.OutputConfigParam{Format: anthropic.JSONOutputFormatParam{Schema: schema}},
			})
			if err != nil {
				t.Fatal(err)
			}
			var v map[string]string
			if len(msg.Content) != 1 || json.Unmarshal([]byte(msg.Content[0].Text), &v) != nil || v["echo"] != "json please" {
				t.Errorf("content = %+v, want the JSON answer", msg.Content)
			}
		})
	}
	var body map[string]any
	json.Unmarshal(e.anthropic.Requests()[0].Body, &body)
	if oc, _ := body["output_config"].(map[string]any); oc["format"] == nil {
		t.Errorf("anthropic upstream lost output_config: %s", e.anthropic.Requests()[0].Body)
	}
	json.Unmarshal(e.openai.Requests()[0].Body, &body)
	rf, _ := body["response_format"].(map[string]any)
	js, _ := rf["json_schema"].(map[string]any)
	if rf["type"] != "json_schema" || js["strict"] != true || js["schema"] == nil {
		t.Errorf("openai upstream response_format: %s", e.openai.Requests()[0].Body)
	}

	// A strict tool stays strict on an OpenAI-type provider.
	_, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model: "gpt", MaxTokens: 256,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Oslo"))},
		Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{Name: "get_weather", Strict: anthropic.Bool(true),
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"query": map[string]string{"type": "string"}}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.openai.Requests()
	if last := reqs[len(reqs)-1].Body; !strings.Contains(string(last), `"strict":true`) {
		t.Errorf("openai upstream lost the strict tool: %s", last)
	}
}
