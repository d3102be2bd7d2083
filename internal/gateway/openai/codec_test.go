package openai

import (
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/golden"
)

const fullRequest = `{"model":"gpt","messages":[
 {"role":"system","content":"sys"},
 {"role":"developer","content":[{"type":"text","text":"dev"}]},
 {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},
 {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
 {"role":"tool","tool_call_id":"c1","content":"result"},
 {"role":"user","content":"next"}],
 "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}],
 "tool_choice":{"type":"function","function":{"name":"f"}},
 "response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object"},"strict":true}},
 "max_completion_tokens":50,"temperature":0.5,"top_p":0.9,"stop":"END","stream":true,
 "stream_options":{"include_usage":true},"user":"u1","seed":7,"logprobs":true}`

func TestDecodeRequest(t *testing.T) {
	r, err := DecodeRequest([]byte(fullRequest))
	if err != nil {
		t.Fatal(err)
	}
	if r.System != "sys\n\ndev" || len(r.Messages) != 3 || r.MaxTokens != 50 || r.User != "u1" || !r.Stream || !r.IncludeUsage {
		t.Fatalf("decoded %+v", r)
	}
	asst := r.Messages[1]
	if asst.Role != chat.RoleAssistant || asst.Parts[0].Type != chat.PartToolCall || asst.Parts[0].Args != `{"a":1}` {
		t.Errorf("assistant %+v", asst)
	}
	user := r.Messages[2]
	if user.Parts[0].Type != chat.PartToolResult || user.Parts[0].ToolID != "c1" || user.Parts[1].Text != "next" {
		t.Errorf("tool result should merge into the next user turn: %+v", user)
	}
	if img := r.Messages[0].Parts[1]; img.MediaType != "image/png" || img.Data != "AAAA" {
		t.Errorf("image %+v", img)
	}
	if r.ToolChoice.Mode != chat.ToolNamed || r.ToolChoice.Name != "f" || r.ResponseFormat.Type != chat.FormatJSONSchema || r.Stop[0] != "END" {
		t.Errorf("options %+v %+v %v", r.ToolChoice, r.ResponseFormat, r.Stop)
	}
	// Same protocol: forwarded raw, unknown fields kept, model replaced.
	body, _ := EncodeRequest(r, "upstream-model")
	golden.Check(t, "forward.json", body)
	// Built from the neutral form, as for a request that came in as
	// Anthropic.
	r.Source, r.Raw = chat.Anthropic, nil
	body, _ = EncodeRequest(r, "upstream-model")
	golden.Check(t, "translated.json", body)
}

func TestResponseRoundTrip(t *testing.T) {
	r := &chat.Response{ID: "x", Model: "m", Created: 1, StopReason: chat.StopToolCalls, Usage: chat.Usage{InputTokens: 3, OutputTokens: 4},
		Parts: []chat.Part{{Type: chat.PartText, Text: "hi <b>\n"}, {Type: chat.PartToolCall, ToolID: "c", ToolName: "f", Args: `{"q":1}`}}}
	b := EncodeResponse(r)
	golden.Check(t, "response.json", b)
	back, err := DecodeResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	if back.Text() != "hi <b>\n" || back.Parts[1].Args != `{"q":1}` || back.Usage != r.Usage || back.StopReason != r.StopReason {
		t.Errorf("round trip %+v", back)
	}
}

func TestStreamRoundTrip(t *testing.T) {
	r := &chat.Response{ID: "x", Model: "m", StopReason: chat.StopToolCalls, Usage: chat.Usage{InputTokens: 3, OutputTokens: 4},
		Parts: []chat.Part{{Type: chat.PartText, Text: "one two three"}, {Type: chat.PartToolCall, ToolID: "c", ToolName: "f", Args: `{"q":1}`}}}
	enc := &StreamEncoder{IncludeUsage: true, Created: 1}
	var wire []byte
	for _, e := range chat.ResponseEvents(r, 4) {
		wire = enc.Encode(wire, e)
	}
	golden.Check(t, "stream.txt", wire)
	got, err := chat.Collect(t.Context(), NewStreamDecoder(io.NopCloser(strings.NewReader(string(wire)))))
	if err != nil {
		t.Fatal(err)
	}
	if got.Text() != "one two three" || got.Parts[1].ToolName != "f" || got.Parts[1].Args != `{"q":1}` || got.Usage != r.Usage || got.StopReason != chat.StopToolCalls {
		t.Errorf("round trip %+v", got)
	}
	// A stream cut before [DONE] is an error, not a short answer.
	cut := string(wire[:len(wire)/2])
	if _, err := chat.Collect(t.Context(), NewStreamDecoder(io.NopCloser(strings.NewReader(cut)))); err == nil {
		t.Error("a cut stream decoded without error")
	}
}

func TestEmbedRequest(t *testing.T) {
	for _, tc := range []struct {
		body   string
		inputs int
		tokens int
		bad    bool
	}{
		{`{"model":"e","input":"a"}`, 1, 0, false},
		{`{"model":"e","input":["a","b"]}`, 2, 0, false},
		{`{"model":"e","input":[1,2,3]}`, 0, 3, false},
		{`{"model":"e","input":[[1,2],[3]]}`, 0, 3, false},
		{`{"model":"e","input":[]}`, 0, 0, true},
		{`{"model":"e","input":[{}]}`, 0, 0, true},
		{`{"model":"e","input":"a","encoding_format":"hex"}`, 0, 0, true},
	} {
		r, err := DecodeEmbedRequest([]byte(tc.body))
		if (err != nil) != tc.bad {
			t.Errorf("%s: err %v", tc.body, err)
			continue
		}
		if err == nil && (len(r.Inputs) != tc.inputs || r.TokenInputs != tc.tokens) {
			t.Errorf("%s: %d inputs %d tokens", tc.body, len(r.Inputs), r.TokenInputs)
		}
	}
	b := EncodeEmbedResponse(&chat.EmbedResponse{Model: "m", Vectors: [][]float32{{1, 0.5}}}, "base64")
	var v struct {
		Data []struct{ Embedding string }
	}
	if json.Unmarshal(b, &v) != nil || v.Data[0].Embedding != "AACAPwAAAD8=" {
		t.Errorf("base64 embedding %s", b)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	f.Add([]byte(fullRequest))
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":[{"type":"image_url"}]}]}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"tool","content":"x"}],"tool_choice":"maybe"}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"assistant","function_call":{"name":"f","arguments":"{"}}],"functions":[{"name":"f"}]}`))
	f.Add([]byte(`{"model":"m","stop":[1],"messages":[{"role":"user","content":"\u2028"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			if _, ok := err.(*chat.Error); !ok {
				t.Fatalf("error of type %T", err)
			}
			return
		}
		for _, src := range []chat.Protocol{chat.OpenAI, chat.Anthropic} {
			r.Source = src
			out, err := EncodeRequest(r, "m")
			if err != nil {
				continue
			}
			if !json.Valid(out) {
				t.Fatalf("encoded request is not JSON: %s", out)
			}
			// A conversation left empty (a lone empty system message, say)
			// re-encodes to one the upstream refuses; that is its answer.
			if src == chat.Anthropic && (hasParts(r) || r.System != "") {
				if _, err := DecodeRequest(out); err != nil {
					t.Fatalf("re-decoding a translated request: %v\n%s", err, out)
				}
			}
			r.Raw = nil
		}
	})
}

func FuzzStreamDecoder(f *testing.F) {
	f.Add([]byte("data: {\"id\":\"x\",\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":3,\"function\":{\"arguments\":\"{\"}}]}}]}\n\n"))
	f.Add([]byte("data: {\"error\":{\"message\":\"x\"}}\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewStreamDecoder(io.NopCloser(strings.NewReader(string(b))))
		enc := &StreamEncoder{IncludeUsage: true}
		for i := 0; i < 10000; i++ {
			e, err := d.Next()
			if err != nil {
				return
			}
			enc.Encode(nil, e)
		}
		t.Fatal("decoder did not end")
	})
}

func FuzzDecodeResponse(f *testing.F) {
	f.Add(EncodeResponse(&chat.Response{ID: "x", Parts: []chat.Part{{Type: chat.PartText, Text: "t"}}}))
	f.Add([]byte(`{"choices":[{"message":{"content":[{"type":"text","text":"a"}]}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeResponse(b)
		if err == nil && !json.Valid(EncodeResponse(r)) {
			t.Fatal("re-encoded response is not JSON")
		}
	})
}

func hasParts(r *chat.Request) bool {
	for _, m := range r.Messages {
		if len(m.Parts) > 0 {
			return true
		}
	}
	return false
}

func TestStreamOptionsKeepClientOptions(t *testing.T) {
	for raw, want := range map[string]string{
		`{"model":"m","stream":true}`: `{"include_usage":true}`,
		`{"model":"m","stream":true,"stream_options":{"include_usage":false,"include_obfuscation":false}}`: `{"include_obfuscation":false,"include_usage":true}`,
		`{"model":"m","stream":true,"stream_options":null}`:                                                `{"include_usage":true}`,
	} {
		if got := string(streamOptions([]byte(raw))); got != want {
			t.Errorf("streamOptions(%s) = %s, want %s", raw, got, want)
		}
	}
}
