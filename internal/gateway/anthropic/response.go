package anthropic

import (
	"encoding/json"
	"fmt"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

type wireResponse struct {
	ID         string      `json:"id"`
	Type       string      `json:"type"`
	Model      string      `json:"model"`
	Content    []wireBlock `json:"content"`
	StopReason string      `json:"stop_reason"`
	Usage      wireUsage   `json:"usage"`
}

type wireUsage struct {
	InputTokens  int `json:"input_tokens"`
	OutputTokens int `json:"output_tokens"`
}

// stopFromWire maps Anthropic stop reasons to the neutral ones.
func stopFromWire(s string) string {
	switch s {
	case "max_tokens", "model_context_window_exceeded":
		return chat.StopLength
	case "tool_use":
		return chat.StopToolCalls
	case "refusal":
		return chat.StopContentFilter
	}
	return chat.StopEnd
}

func stopToWire(s string) string {
	switch s {
	case chat.StopLength:
		return "max_tokens"
	case chat.StopToolCalls:
		return "tool_use"
	case chat.StopContentFilter:
		return "refusal"
	}
	return "end_turn"
}

// DecodeResponse parses an upstream message. In JSON mode the forced tool's
// input becomes the text of the answer.
func DecodeResponse(body []byte, jsonMode bool) (*chat.Response, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode anthropic response: %s", chat.JSONProblem(err))
	}
	if w.Type != "message" {
		return nil, fmt.Errorf("decode anthropic response: type is not message")
	}
	r := &chat.Response{ID: w.ID, Model: w.Model, StopReason: stopFromWire(w.StopReason),
		Usage: chat.Usage{InputTokens: w.Usage.InputTokens, OutputTokens: w.Usage.OutputTokens}}
	for _, b := range w.Content {
		switch b.Type {
		case "text":
			r.Parts = append(r.Parts, chat.Part{Type: chat.PartText, Text: b.Text})
		case "tool_use":
			if jsonMode && b.Name == JSONTool {
				r.Parts = append(r.Parts, chat.Part{Type: chat.PartText, Text: string(b.Input)})
				r.StopReason = chat.StopEnd
				continue
			}
			r.Parts = append(r.Parts, chat.Part{Type: chat.PartToolCall, ToolID: b.ID, ToolName: b.Name, Args: string(b.Input)})
		}
	}
	return r, nil
}

// EncodeResponse renders a complete answer as a Messages API message.
func EncodeResponse(r *chat.Response) []byte {
	b := make([]byte, 0, 256+len(r.Text()))
	b = append(b, `{"id":`...)
	b = chat.AppendString(b, r.ID)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = chat.AppendString(b, r.Model)
	b = append(b, `,"content":[`...)
	n := 0
	for _, p := range r.Parts {
		switch p.Type {
		case chat.PartText:
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":"text","text":`...)
			b = chat.AppendString(b, p.Text)
			b = append(b, '}')
			n++
		case chat.PartToolCall:
			if n > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"type":"tool_use","id":`...)
			b = chat.AppendString(b, toolID(p.ToolID))
			b = append(b, `,"name":`...)
			b = chat.AppendString(b, p.ToolName)
			b = append(b, `,"input":`...)
			b = append(b, inputJSON(p.Args)...)
			b = append(b, '}')
			n++
		}
	}
	b = append(b, `],"stop_reason":`...)
	b = chat.AppendString(b, stopToWire(r.StopReason))
	b = append(b, `,"stop_sequence":null,"usage":{"input_tokens":`...)
	b = chat.AppendInt(b, int64(r.Usage.InputTokens))
	b = append(b, `,"output_tokens":`...)
	b = chat.AppendInt(b, int64(r.Usage.OutputTokens))
	return append(b, "}}"...)
}

// inputJSON returns tool arguments as a JSON object, since the Messages API
// requires one; arguments a model got wrong become an empty object.
func inputJSON(args string) string {
	if args == "" || !json.Valid([]byte(args)) {
		return "{}"
	}
	return args
}

// toolID gives tool calls from other providers an Anthropic-style id when
// they had none.
func toolID(id string) string {
	if id == "" {
		return "toolu_gateway"
	}
	return id
}
