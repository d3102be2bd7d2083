package responses

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway/anthropic"
	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/openai"
	"github.com/attest-ai/attest/internal/golden"
)

// decoded is what a golden file shows of a decoded request.
type decoded struct {
	Model          string
	System         string
	SystemParts    []string
	Messages       []message
	Tools          []chat.Tool
	ToolChoice     *chat.ToolChoice
	ResponseFormat *chat.ResponseFormat
	MaxTokens      int
	Temperature    *float64
	TopP           *float64
	Stream         bool
	User           string
	Source         chat.Protocol
	Echo           map[string]any
}

// message shows a message's parts by their fields that are set.
type message struct {
	Role  string
	Parts []map[string]any
}

func messages(ms []chat.Message) []message {
	out := make([]message, len(ms))
	for i, m := range ms {
		out[i].Role = m.Role
		for _, p := range m.Parts {
			v := map[string]any{"type": p.Type}
			for k, s := range map[string]string{"text": p.Text, "image_url": p.ImageURL, "media_type": p.MediaType, "data": p.Data,
				"tool_id": p.ToolID, "tool_name": p.ToolName, "args": p.Args} {
				if s != "" {
					v[k] = s
				}
			}
			out[i].Parts = append(out[i].Parts, v)
		}
	}
	return out
}

func TestDecodeRequest(t *testing.T) {
	for _, name := range []string{"string_input", "conversation", "json_object"} {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "decode", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			r, e, err := DecodeRequest(body)
			if err != nil {
				t.Fatal(err)
			}
			d := decoded{Model: r.Model, System: r.System, SystemParts: r.SystemParts, Messages: messages(r.Messages), Tools: r.Tools,
				ToolChoice: r.ToolChoice, ResponseFormat: r.ResponseFormat, MaxTokens: r.MaxTokens, Temperature: r.Temperature,
				TopP: r.TopP, Stream: r.Stream, User: r.User, Source: r.Source, Echo: map[string]any{
					"model": e.model, "instructions": e.instructions, "tools": string(e.tools), "tool_choice": string(e.toolChoice),
					"format": string(e.format), "metadata": string(e.metadata), "parallel": e.parallel,
					"temperature": e.temperature, "top_p": e.topP, "max_output": e.maxOutput,
				}}
			if r.Raw != nil {
				t.Error("a Responses request keeps its raw body, which no provider can be sent")
			}
			out, err := json.MarshalIndent(d, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("decode", name+".golden"), append(out, '\n'))
		})
	}
}

// TestDecodeRefusals checks every refusal: a 400 naming the field, and a
// message that says what to do without quoting the request.
func TestDecodeRefusals(t *testing.T) {
	const canary = "CANARY-resp-9931"
	for _, tc := range []struct {
		name, body, param, says string
	}{
		{"previous response", `{"model":"m","input":"hi","previous_response_id":"resp_` + canary + `"}`, "previous_response_id", "whole conversation in input"},
		{"conversation id", `{"model":"m","input":"hi","conversation":"conv_` + canary + `"}`, "conversation", "whole conversation in input"},
		{"conversation object", `{"model":"m","input":"hi","conversation":{"id":"conv_1"}}`, "conversation", "no conversation state"},
		{"stored prompt", `{"model":"m","input":"hi","prompt":{"id":"pmpt_1"}}`, "prompt", "instructions and input"},
		{"background", `{"model":"m","input":"hi","background":true}`, "background", "stores no responses"},
		{"web search", `{"model":"m","input":"hi","tools":[{"type":"web_search"}]}`, "tools[0].type", "function tools"},
		{"file search second", `{"model":"m","input":"hi","tools":[{"type":"function","name":"f"},{"type":"file_search","vector_store_ids":["vs_1"]}]}`, "tools[1].type", "function tools"},
		{"mcp", `{"model":"m","input":"hi","tools":[{"type":"mcp","server_label":"x"}]}`, "tools[0].type", "function tools"},
		{"custom type", `{"model":"m","input":"hi","tools":[{"type":"` + canary + `"}]}`, "tools[0].type", "function tools"},
		{"tool without name", `{"model":"m","input":"hi","tools":[{"type":"function"}]}`, "tools[0].name", "name"},
		{"tools not a list", `{"model":"m","input":"hi","tools":{"a":1}}`, "tools", "wrong type"},
		{"hosted tool choice", `{"model":"m","input":"hi","tool_choice":{"type":"web_search_preview"}}`, "tool_choice", "function tools only"},
		{"bad tool choice", `{"model":"m","input":"hi","tool_choice":"` + canary + `"}`, "tool_choice", "auto, none, required"},
		{"no input", `{"model":"m"}`, "input", "input is required"},
		{"null input", `{"model":"m","input":null}`, "input", "input is required"},
		{"empty input", `{"model":"m","input":[]}`, "input", "at least one item"},
		{"input a number", `{"model":"m","input":5}`, "input", "string or a list"},
		{"item without type or role", `{"model":"m","input":[{"content":"hi"}]}`, "input[0].type", "type, or a role"},
		{"unknown item", `{"model":"m","input":[{"type":"computer_call_output","call_id":"c"}]}`, "input[0].type", "function tools only"},
		{"item reference", `{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0].type", "stores no items"},
		{"item not an object", `{"model":"m","input":["hi"]}`, "input[0]", "wrong type"},
		{"call without id", `{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0]", "call_id and name"},
		{"arguments not a string", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":{"a":1}}]}`, "input[0]", "wrong type"},
		{"output without id", `{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id", "call_id"},
		{"output missing", `{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}`, "input[0].output", "needs output"},
		{"output with image", `{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"https://x/y.png"}]}]}`, "input[0].output", "must be text"},
		{"file part", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}`, "input[0].content[0].type", "files and audio"},
		{"stored image", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]}`, "input[0].content[0].image_url", "image_url"},
		{"image in system", `{"model":"m","input":[{"role":"system","content":[{"type":"input_image","image_url":"https://x/y.png"}]}]}`, "input[0].content", "text only"},
		{"content missing", `{"model":"m","input":[{"role":"user"}]}`, "input[0].content", "needs content"},
		{"content a number", `{"model":"m","input":[{"role":"user","content":7}]}`, "input[0].content", "string or a list"},
		{"bad role", `{"model":"m","input":[{"role":"` + canary + `","content":"hi"}]}`, "input[0].role", "user, assistant, system or developer"},
		{"message without role", `{"model":"m","input":[{"type":"message","content":"hi"}]}`, "input[0].role", "needs a role"},
		{"bad format", `{"model":"m","input":"hi","text":{"format":{"type":"` + canary + `"}}}`, "text.format.type", "text, json_object or json_schema"},
		{"schema without name", `{"model":"m","input":"hi","text":{"format":{"type":"json_schema","schema":{}}}}`, "text.format.name", "name"},
		{"negative max", `{"model":"m","input":"hi","max_output_tokens":-1}`, "max_output_tokens", "negative"},
		{"no model", `{"input":"hi"}`, "model", "GET /v1/models"},
		{"model a number", `{"model":7,"input":"hi"}`, "model", "wrong type"},
		{"temperature a string", `{"model":"m","input":"hi","temperature":"hot"}`, "temperature", "wrong type"},
		{"metadata not strings", `{"model":"m","input":"hi","metadata":{"a":1}}`, "metadata", "wrong type"},
		{"not an object", `["model"]`, "", "JSON object"},
		{"empty body", ``, "", "empty"},
		{"malformed", `{"model":"m","input":`, "", "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeRequest([]byte(tc.body))
			ce, ok := err.(*chat.Error)
			if !ok {
				t.Fatalf("want a *chat.Error, got %v", err)
			}
			if ce.Status != http.StatusBadRequest || ce.Kind != chat.KindInvalidRequest || ce.Param != tc.param {
				t.Errorf("status %d kind %s param %q, want 400 %q", ce.Status, ce.Kind, ce.Param, tc.param)
			}
			if !strings.Contains(ce.Message, tc.says) {
				t.Errorf("message %q does not say %q", ce.Message, tc.says)
			}
			if strings.Contains(ce.Message, canary) {
				t.Errorf("message quotes the request: %q", ce.Message)
			}
		})
	}
}

// TestDecodeAccepts checks settings a client may send that change nothing
// the gateway does.
func TestDecodeAccepts(t *testing.T) {
	for _, body := range []string{
		`{"model":"m","input":"hi","store":true}`,
		`{"model":"m","input":"hi","background":false,"previous_response_id":"","conversation":null,"prompt":null}`,
		`{"model":"m","input":"hi","reasoning":{"effort":"high","summary":"auto"},"truncation":"auto","include":["message.output_text.logprobs"]}`,
		`{"model":"m","input":"hi","some_future_field":{"x":[1,2]}}`,
	} {
		if _, _, err := DecodeRequest([]byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// TestParallelToolCallsReachProviders checks that parallel_tool_calls is
// passed on in both providers' terms.
func TestParallelToolCallsReachProviders(t *testing.T) {
	r, _, err := DecodeRequest([]byte(`{"model":"m","input":"hi","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"parallel_tool_calls":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if oa, err := openai.EncodeRequest(r, "m"); err != nil || !strings.Contains(string(oa), `"parallel_tool_calls":false`) {
		t.Errorf("chat completions request %s, %v", oa, err)
	}
	if ab, _, err := anthropic.EncodeRequest(r, "m"); err != nil || !strings.Contains(string(ab), `"disable_parallel_tool_use":true`) {
		t.Errorf("messages request %s, %v", ab, err)
	}
}

// TestStrictToolsReachOpenAI checks that a strict function tool stays
// strict when the request is translated for an OpenAI-type provider.
func TestStrictToolsReachOpenAI(t *testing.T) {
	r, _, err := DecodeRequest([]byte(`{"model":"m","input":"hi","tools":[{"type":"function","name":"f","strict":true,"parameters":{"type":"object","properties":{},"additionalProperties":false}},{"type":"function","name":"g","strict":false}]}`))
	if err != nil {
		t.Fatal(err)
	}
	oa, err := openai.EncodeRequest(r, "m")
	if err != nil || strings.Count(string(oa), `"strict":true`) != 1 {
		t.Errorf("chat completions request %s, %v", oa, err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, name := range []string{"string_input", "conversation", "json_object"} {
		b, err := os.ReadFile(filepath.Join("testdata", "decode", name+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":[{"type":"input_text","text":"\u2028"}]}]}`))
	f.Add([]byte(`{"model":"m","input":"x","tools":[{"name":"f","parameters":[1]}],"tool_choice":{"type":"function"}}`))
	f.Add([]byte(`{"model":"m","input":"x","metadata":{"k":"<v>"},"temperature":1e308,"text":{"format":null}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, e, err := DecodeRequest(b)
		if err != nil {
			if _, ok := err.(*chat.Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		// What the request repeats back must splice into valid JSON.
		resp := &chat.Response{Model: "m", StopReason: chat.StopEnd, Parts: []chat.Part{{Type: chat.PartText, Text: "a"}}}
		if out := EncodeResponse(resp, Meta{ID: "resp_x", Echo: e}); !json.Valid(out) {
			t.Fatalf("response object is not JSON: %s", out)
		}
		if out, err := openai.EncodeRequest(r, "m"); err == nil && !json.Valid(out) {
			t.Fatalf("chat completions request is not JSON: %s", out)
		}
		if out, _, err := anthropic.EncodeRequest(r, "m"); err == nil && !json.Valid(out) {
			t.Fatalf("messages request is not JSON: %s", out)
		}
	})
}
