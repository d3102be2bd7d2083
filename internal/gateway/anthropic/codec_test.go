package anthropic

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/openai"
	"github.com/attest-ai/attest/internal/golden"
)

const fullRequest = `{"model":"claude","max_tokens":100,
 "system":[{"type":"text","text":"s1"},{"type":"text","text":"s2"}],
 "messages":[
  {"role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
  {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"x"},{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},
  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"res"}]},{"type":"text","text":"next"}]}],
 "tools":[{"name":"f","description":"d","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}],
 "tool_choice":{"type":"any"},"stop_sequences":["END"],"temperature":0.3,"stream":true,"metadata":{"user_id":"u9"},"top_k":5}`

func TestDecodeRequest(t *testing.T) {
	r, err := DecodeRequest([]byte(fullRequest))
	if err != nil {
		t.Fatal(err)
	}
	if r.System != "s1\n\ns2" || len(r.Messages) != 3 || r.User != "u9" || r.MaxTokens != 100 || len(r.Tools) != 1 || r.ToolChoice.Mode != chat.ToolRequired {
		t.Fatalf("decoded %+v", r)
	}
	if p := r.Messages[1].Parts[0]; p.Type != chat.PartOpaque {
		t.Errorf("thinking block %+v, want an opaque part", p)
	}
	if p := r.Messages[1].Parts[1]; p.Type != chat.PartToolCall || p.Args != `{"a":1}` {
		t.Errorf("tool use %+v", p)
	}
	if p := r.Messages[2].Parts[0]; p.Type != chat.PartToolResult || p.Text != "res" {
		t.Errorf("tool result %+v", p)
	}
	body, _, _ := EncodeRequest(r, "upstream")
	golden.Check(t, "forward.json", body)
	// Translated to OpenAI and back keeps the conversation.
	oa, _ := openai.EncodeRequest(&chat.Request{Source: chat.Anthropic, Model: r.Model, System: r.System, Messages: r.Messages, Tools: r.Tools, ToolChoice: r.ToolChoice, MaxTokens: r.MaxTokens, Stop: r.Stop}, "gpt")
	golden.Check(t, "to_openai.json", oa)
	back, err := openai.DecodeRequest(oa)
	if err != nil {
		t.Fatal(err)
	}
	back.Raw = nil
	ab, jsonMode, _ := EncodeRequest(back, "claude")
	if jsonMode {
		t.Error("JSON mode without a response format")
	}
	golden.Check(t, "from_openai.json", ab)
}

func TestJSONMode(t *testing.T) {
	r := &chat.Request{Source: chat.OpenAI, Messages: []chat.Message{{Role: chat.RoleUser, Parts: []chat.Part{{Type: chat.PartText, Text: "x"}}}},
		ResponseFormat: &chat.ResponseFormat{Type: chat.FormatJSONSchema, Name: "s", Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"number"}}}`)}}
	body, jsonMode, err := EncodeRequest(r, "claude")
	if err != nil || !jsonMode {
		t.Fatalf("json mode %v %v", jsonMode, err)
	}
	golden.Check(t, "json_mode.json", body)
	resp, err := DecodeResponse([]byte(`{"id":"m","type":"message","model":"c","content":[{"type":"tool_use","id":"t","name":"json_response","input":{"a":1}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2}}`), true)
	if err != nil || resp.Text() != `{"a":1}` || resp.StopReason != chat.StopEnd {
		t.Errorf("json mode answer %+v %v", resp, err)
	}
}

func TestStreamRoundTrip(t *testing.T) {
	r := &chat.Response{ID: "msg_1", Model: "c", StopReason: chat.StopToolCalls, Usage: chat.Usage{InputTokens: 3, OutputTokens: 9},
		Parts: []chat.Part{{Type: chat.PartText, Text: "one two three"}, {Type: chat.PartToolCall, ToolID: "t", ToolName: "f", Args: `{"q":1}`}}}
	var enc StreamEncoder
	var wire []byte
	for _, e := range chat.ResponseEvents(r, 4) {
		wire = enc.Encode(wire, e)
	}
	golden.Check(t, "stream.txt", wire)
	got, err := chat.Collect(t.Context(), NewStreamDecoder(io.NopCloser(strings.NewReader(string(wire))), false))
	if err != nil {
		t.Fatal(err)
	}
	if got.Text() != "one two three" || got.Parts[1].Args != `{"q":1}` || got.StopReason != chat.StopToolCalls || got.Usage.OutputTokens != 9 {
		t.Errorf("round trip %+v", got)
	}
	if _, err := chat.Collect(t.Context(), NewStreamDecoder(io.NopCloser(strings.NewReader(string(wire[:len(wire)-30]))), false)); err == nil {
		t.Error("a stream cut before message_stop decoded without error")
	}
}

func TestResponse(t *testing.T) {
	r := &chat.Response{ID: "m", Model: "c", StopReason: chat.StopLength, Parts: []chat.Part{{Type: chat.PartText, Text: "a"}, {Type: chat.PartToolCall, ToolName: "f", Args: "not json"}}}
	b := EncodeResponse(r)
	golden.Check(t, "response.json", b)
	back, err := DecodeResponse(b, false)
	if err != nil || back.StopReason != chat.StopLength || back.Parts[1].Args != "{}" {
		t.Errorf("round trip %+v %v", back, err)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(fullRequest))
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}`))
	f.Add([]byte(`{"model":"m","max_tokens":1,"system":5,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}`))
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}},"tools":[{"name":"f","strict":true}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			if _, ok := err.(*chat.Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		out, _, err := EncodeRequest(r, "m")
		if err == nil && !json.Valid(out) {
			t.Fatalf("forwarded request is not JSON: %s", out)
		}
		r.Raw, r.Source = nil, chat.OpenAI
		if out, _, err = EncodeRequest(r, "m"); err == nil && !json.Valid(out) {
			t.Fatalf("translated request is not JSON: %s", out)
		}
		if oa, err := openai.EncodeRequest(r, "m"); err == nil && !json.Valid(oa) {
			t.Fatalf("OpenAI translation is not JSON: %s", oa)
		}
	})
}

func FuzzStreamDecoder(f *testing.F) {
	f.Add([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
	f.Add([]byte("data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\"}}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewStreamDecoder(io.NopCloser(strings.NewReader(string(b))), len(b)%2 == 0)
		var enc StreamEncoder
		oenc := &openai.StreamEncoder{}
		for i := 0; i < 10000; i++ {
			e, err := d.Next()
			if err != nil {
				return
			}
			enc.Encode(nil, e)
			oenc.Encode(nil, e)
		}
		t.Fatal("decoder did not end")
	})
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add([]byte(`{"id":"m","type":"message","content":[{"type":"text","text":"a"},{"type":"tool_use","name":"json_response","input":{}}],"stop_reason":"tool_use"}`), true)
	f.Fuzz(func(t *testing.T, b []byte, jsonMode bool) {
		r, err := DecodeResponse(b, jsonMode)
		if err == nil && !json.Valid(EncodeResponse(r)) {
			t.Fatal("re-encoded response is not JSON")
		}
	})
}

func TestBetaFeatures(t *testing.T) {
	got, err := BetaFeatures([]string{"a-2025-01-01, b_2.x", "", " c "})
	if err != nil || strings.Join(got, "|") != "a-2025-01-01|b_2.x|c" {
		t.Fatalf("BetaFeatures = %v, %v", got, err)
	}
	for _, bad := range [][]string{{"x y"}, {"a;b"}, {strings.Repeat("a", 101)}, {strings.Repeat("a,", 33)}} {
		if _, err := BetaFeatures(bad); err == nil {
			t.Errorf("BetaFeatures(%q) accepted", bad)
		}
	}
}

// FuzzBetaFeatures checks that whatever the header holds, only feature
// names pass: no separators, spaces or control characters.
func FuzzBetaFeatures(f *testing.F) {
	f.Add("extended-cache-ttl-2025-04-11,context-1m-2025-08-07")
	f.Add("a\r\nX-Injected: 1")
	f.Fuzz(func(t *testing.T, h string) {
		got, err := BetaFeatures([]string{h})
		if err != nil {
			return
		}
		if len(got) > maxBetas {
			t.Fatalf("%d features", len(got))
		}
		for _, g := range got {
			if g == "" || strings.ContainsAny(g, ", \t\r\n;:\"") {
				t.Fatalf("feature %q passed", g)
			}
		}
	})
}

// TestDecodeCountRequest checks that a token count needs no max_tokens,
// which a Messages request must have, and is otherwise read alike.
func TestDecodeCountRequest(t *testing.T) {
	body := []byte(`{"model":"claude","system":"s","messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":{"type":"object"}}]}`)
	if _, err := DecodeRequest(body); err == nil {
		t.Error("a Messages request without max_tokens was accepted")
	}
	r, err := DecodeCountRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	if r.Model != "claude" || r.System != "s" || len(r.Messages) != 1 || len(r.Tools) != 1 {
		t.Errorf("decoded %+v", r)
	}
	for _, bad := range []string{`{"model":"claude"}`, `{"messages":[{"role":"user","content":"hi"}]}`, `{"model":"claude","max_tokens":"x","messages":[{"role":"user","content":"hi"}]}`} {
		if _, err := DecodeCountRequest([]byte(bad)); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

// TestParallelToolCalls checks that forbidding parallel tool calls
// survives translation both ways: Anthropic says it inside tool_choice,
// OpenAI in parallel_tool_calls.
func TestParallelToolCalls(t *testing.T) {
	const tools = `"tools":[{"name":"f","input_schema":{"type":"object"}}]`
	for _, c := range []struct {
		name, choice string
		openai       string // wanted in the translated OpenAI body, "" for absent
		anthropic    string // wanted back in tool_choice, "" for absent
	}{
		{"forbidden", `{"type":"auto","disable_parallel_tool_use":true}`, `"parallel_tool_calls":false`, `"disable_parallel_tool_use":true`},
		{"forbidden with a forced tool", `{"type":"any","disable_parallel_tool_use":true}`, `"parallel_tool_calls":false`, `"disable_parallel_tool_use":true`},
		{"allowed", `{"type":"auto","disable_parallel_tool_use":false}`, `"parallel_tool_calls":true`, ""},
		{"unsaid", `{"type":"auto"}`, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := DecodeRequest([]byte(`{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}],` + tools + `,"tool_choice":` + c.choice + `}`))
			if err != nil {
				t.Fatal(err)
			}
			r.Raw = nil
			oa, err := openai.EncodeRequest(r, "gpt")
			if err != nil {
				t.Fatal(err)
			}
			if has := strings.Contains(string(oa), "parallel_tool_calls"); c.openai == "" && has || c.openai != "" && !strings.Contains(string(oa), c.openai) {
				t.Errorf("OpenAI body %s, want %q", oa, c.openai)
			}
			back, err := openai.DecodeRequest(oa)
			if err != nil {
				t.Fatal(err)
			}
			back.Raw = nil
			ab, _, err := EncodeRequest(back, "claude")
			if err != nil {
				t.Fatal(err)
			}
			if has := strings.Contains(string(ab), "disable_parallel_tool_use"); c.anthropic == "" && has || c.anthropic != "" && !strings.Contains(string(ab), c.anthropic) {
				t.Errorf("Anthropic body %s, want %q", ab, c.anthropic)
			}
		})
	}
}

// TestStructuredOutputs checks that a schema the caller asks to be held
// to survives translation both ways: Anthropic's output_config.format and
// strict tools become OpenAI's strict json_schema and strict functions,
// and a strict OpenAI schema reaches an Anthropic model as
// output_config.format instead of the forced JSON tool.
func TestStructuredOutputs(t *testing.T) {
	const schema = `{"type":"object","properties":{"a":{"type":"number"}},"required":["a"],"additionalProperties":false}`
	for _, spelling := range []string{`"output_config":{"effort":"low","format":{"type":"json_schema","schema":` + schema + `}}`, `"output_format":{"type":"json_schema","schema":` + schema + `}`} {
		r, err := DecodeRequest([]byte(`{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}],` + spelling +
			`,"tools":[{"name":"f","strict":true,"input_schema":` + schema + `},{"name":"g","input_schema":{"type":"object"}}]}`))
		if err != nil {
			t.Fatal(err)
		}
		if f := r.ResponseFormat; f == nil || f.Type != chat.FormatJSONSchema || !f.Strict || string(f.Schema) != schema {
			t.Fatalf("%s: format %+v", spelling, f)
		}
		if !r.Tools[0].Strict || r.Tools[1].Strict {
			t.Errorf("tools %+v", r.Tools)
		}
		r.Raw = nil
		oa, err := openai.EncodeRequest(r, "gpt")
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			ResponseFormat struct {
				Type       string `json:"type"`
				JSONSchema struct {
					Name   string          `json:"name"`
					Strict bool            `json:"strict"`
					Schema json.RawMessage `json:"schema"`
				} `json:"json_schema"`
			} `json:"response_format"`
			Tools []struct {
				Function struct {
					Strict bool `json:"strict"`
				} `json:"function"`
			} `json:"tools"`
		}
		if err := json.Unmarshal(oa, &body); err != nil {
			t.Fatal(err)
		}
		js := body.ResponseFormat.JSONSchema
		if body.ResponseFormat.Type != "json_schema" || js.Name != FormatName || !js.Strict || string(js.Schema) != schema {
			t.Errorf("OpenAI response_format %s", oa)
		}
		if len(body.Tools) != 2 || !body.Tools[0].Function.Strict || body.Tools[1].Function.Strict {
			t.Errorf("OpenAI tools %s", oa)
		}
		// And back: OpenAI's strict schema is Anthropic's structured output.
		back, err := openai.DecodeRequest(oa)
		if err != nil {
			t.Fatal(err)
		}
		back.Raw = nil
		ab, jsonMode, err := EncodeRequest(back, "claude")
		if err != nil || jsonMode {
			t.Fatalf("json mode %v %v", jsonMode, err)
		}
		golden.Check(t, "native_format.json", ab)
	}
}

func TestStructuredOutputErrors(t *testing.T) {
	const canary = "CANARY-7f3"
	for _, c := range []struct{ body, param string }{
		{`"output_config":{"format":{"type":"` + canary + `","schema":{}}}`, "output_config.format.type"},
		{`"output_config":{"format":{"type":"json_schema"}}`, "output_config.format.schema"},
		{`"output_config":{"format":{"type":"json_schema","schema":"` + canary + `"}}`, "output_config.format.schema"},
		{`"output_format":{"type":"json_schema","schema":[1]}`, "output_format.schema"},
		{`"output_config":{"format":{"type":"json_schema","schema":{}}},"output_format":{"type":"json_schema","schema":{}}`, "output_format"},
		{`"output_config":5`, "output_config"},
	} {
		_, err := DecodeRequest([]byte(`{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}],` + c.body + `}`))
		var ce *chat.Error
		if !errors.As(err, &ce) || ce.Param != c.param || strings.Contains(ce.Message, canary) {
			t.Errorf("%s: got %v, want a 400 about %s that does not quote the input", c.body, err, c.param)
		}
	}
}
