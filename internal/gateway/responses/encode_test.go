package responses

import (
	"encoding/json"
	"path/filepath"
	"testing"

	oresponses "github.com/openai/openai-go/v3/responses"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/golden"
)

// fullEcho decodes the settings of a request that sets every one.
func fullEcho(t *testing.T) *Echo {
	t.Helper()
	_, e, err := DecodeRequest([]byte(`{"model":"gpt","input":"hi","instructions":"Be <brief>.","max_output_tokens":64,
		"temperature":0.5,"top_p":1,"parallel_tool_calls":false,"metadata":{"ticket":"T-1"},
		"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"},"strict":true}],
		"tool_choice":"required","text":{"format":{"type":"json_schema","name":"a","schema":{"type":"object"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEncodeResponse(t *testing.T) {
	usage := chat.Usage{InputTokens: 12, OutputTokens: 5}
	for _, tc := range []struct {
		name       string
		resp       chat.Response
		echo       bool
		status     string
		reason     string
		text       string
		items      []string
		call, args string
	}{
		{name: "text", resp: chat.Response{Model: "gpt-4o-2025", StopReason: chat.StopEnd, Usage: usage,
			Parts: []chat.Part{{Type: chat.PartText, Text: "Hello <there> & \"you\"\n"}}},
			status: "completed", text: "Hello <there> & \"you\"\n", items: []string{"message"}},
		{name: "tool_call", echo: true, resp: chat.Response{Model: "claude-x", StopReason: chat.StopToolCalls, Usage: usage,
			Parts: []chat.Part{{Type: chat.PartText, Text: "Let me look."}, {Type: chat.PartToolCall, ToolID: "toolu_1", ToolName: "get_weather", Args: `{"city":"Oslo"}`}}},
			status: "completed", text: "Let me look.", items: []string{"message", "function_call"}, call: "toolu_1", args: `{"city":"Oslo"}`},
		{name: "call_without_id", resp: chat.Response{StopReason: chat.StopToolCalls,
			Parts: []chat.Part{{Type: chat.PartToolCall, ToolName: "ping"}}},
			status: "completed", items: []string{"function_call"}, call: "call_abc_0", args: "{}"},
		{name: "length", resp: chat.Response{Model: "m", StopReason: chat.StopLength, Usage: usage,
			Parts: []chat.Part{{Type: chat.PartText, Text: "cut sh"}}},
			status: "incomplete", reason: "max_output_tokens", text: "cut sh", items: []string{"message"}},
		{name: "content_filter", resp: chat.Response{Model: "m", StopReason: chat.StopContentFilter},
			status: "incomplete", reason: "content_filter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Meta{ID: "resp_abc", Created: 1700000000}
			if tc.echo {
				m.Echo = fullEcho(t)
			}
			b := EncodeResponse(&tc.resp, m)
			golden.Check(t, filepath.Join("encode", tc.name+".json"), b)
			// The official SDK reads it as the response it expects.
			var got oresponses.Response
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("the SDK cannot decode it: %v", err)
			}
			if got.ID != "resp_abc" || got.Object != "response" || got.CreatedAt != 1700000000 || string(got.Status) != tc.status {
				t.Errorf("id %q object %q created %v status %q", got.ID, got.Object, got.CreatedAt, got.Status)
			}
			if got.IncompleteDetails.Reason != tc.reason || got.JSON.ExtraFields["store"].Raw() != "false" || got.OutputText() != tc.text {
				t.Errorf("reason %q store %s text %q", got.IncompleteDetails.Reason, got.JSON.ExtraFields["store"].Raw(), got.OutputText())
			}
			if len(got.Output) != len(tc.items) {
				t.Fatalf("%d output items, want %v", len(got.Output), tc.items)
			}
			for i, it := range got.Output {
				if it.Type != tc.items[i] || it.ID == "" {
					t.Errorf("item %d: type %q id %q", i, it.Type, it.ID)
				}
				if it.Type == "function_call" {
					fc := it.AsFunctionCall()
					if fc.CallID != tc.call || fc.Arguments != tc.args || fc.Status != "completed" {
						t.Errorf("function call %+v", fc)
					}
				}
			}
			u := got.Usage
			if u.InputTokens != int64(tc.resp.Usage.InputTokens) || u.OutputTokens != int64(tc.resp.Usage.OutputTokens) ||
				u.TotalTokens != u.InputTokens+u.OutputTokens || !u.JSON.InputTokensDetails.Valid() {
				t.Errorf("usage %+v", u)
			}
		})
	}
}

func TestEncodeResponseEchoesRequest(t *testing.T) {
	b := EncodeResponse(&chat.Response{StopReason: chat.StopEnd}, Meta{ID: "resp_x", Echo: fullEcho(t)})
	var got oresponses.Response
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Instructions.OfString != "Be <brief>." || got.MaxOutputTokens != 64 || got.Temperature != 0.5 || got.TopP != 1 || got.ParallelToolCalls {
		t.Errorf("settings: instructions %q max %d temperature %v top_p %v parallel %v", got.Instructions.OfString, got.MaxOutputTokens,
			got.Temperature, got.TopP, got.ParallelToolCalls)
	}
	if got.Model != "gpt" || got.Metadata["ticket"] != "T-1" || got.ToolChoice.OfToolChoiceMode != "required" || got.Text.Format.Type != "json_schema" {
		t.Errorf("model %q metadata %v tool_choice %+v format %+v", got.Model, got.Metadata, got.ToolChoice, got.Text.Format)
	}
	if len(got.Tools) != 1 || got.Tools[0].Type != "function" || got.Tools[0].Name != "get_weather" {
		t.Errorf("tools %+v", got.Tools)
	}
	// Without settings, the defaults of the API.
	b = EncodeResponse(&chat.Response{StopReason: chat.StopEnd}, Meta{ID: "resp_x"})
	var def oresponses.Response
	if err := json.Unmarshal(b, &def); err != nil {
		t.Fatal(err)
	}
	if !def.ParallelToolCalls || def.ToolChoice.OfToolChoiceMode != "auto" || def.Text.Format.Type != "text" || def.JSON.Temperature.Raw() != "null" {
		t.Errorf("defaults %s", b)
	}
}
