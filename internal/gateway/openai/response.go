package openai

import (
	"encoding/json"
	"fmt"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

type wireResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role         string          `json:"role"`
			Content      json.RawMessage `json:"content"`
			Refusal      *string         `json:"refusal"`
			ToolCalls    []wireToolCall  `json:"tool_calls"`
			FunctionCall *wireFunction   `json:"function_call"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// DecodeResponse parses an upstream chat completion. Only the first choice
// is kept.
func DecodeResponse(body []byte) (*chat.Response, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode openai response: %s", chat.JSONProblem(err))
	}
	if len(w.Choices) == 0 {
		return nil, fmt.Errorf("decode openai response: no choices")
	}
	c := w.Choices[0]
	r := &chat.Response{ID: w.ID, Model: w.Model, Created: w.Created, StopReason: c.FinishReason}
	parts, err := contentParts(c.Message.Content, "choices[0].message")
	if err != nil {
		return nil, fmt.Errorf("decode openai response: message content is neither text nor parts")
	}
	r.Parts = parts
	if c.Message.Refusal != nil && *c.Message.Refusal != "" {
		r.Parts = append(r.Parts, chat.Part{Type: chat.PartText, Text: *c.Message.Refusal})
	}
	for _, tc := range c.Message.ToolCalls {
		r.Parts = append(r.Parts, chat.Part{Type: chat.PartToolCall, ToolID: tc.ID, ToolName: tc.Function.Name, Args: tc.Function.Arguments})
	}
	if w.Usage != nil {
		r.Usage = chat.Usage{InputTokens: w.Usage.PromptTokens, OutputTokens: w.Usage.CompletionTokens}
	}
	if r.StopReason == "" {
		r.StopReason = chat.StopEnd
	}
	return r, nil
}

// EncodeResponse renders a complete answer as a chat completion.
func EncodeResponse(r *chat.Response) []byte {
	b := make([]byte, 0, 256+len(r.Text()))
	b = append(b, `{"id":`...)
	b = chat.AppendString(b, r.ID)
	b = append(b, `,"object":"chat.completion","created":`...)
	b = chat.AppendInt(b, r.Created)
	b = append(b, `,"model":`...)
	b = chat.AppendString(b, r.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	text, hasText := "", false
	for _, p := range r.Parts {
		if p.Type == chat.PartText {
			text += p.Text
			hasText = true
		}
	}
	if hasText {
		b = chat.AppendString(b, text)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"refusal":null`...)
	first := true
	for _, p := range r.Parts {
		if p.Type != chat.PartToolCall {
			continue
		}
		if first {
			b = append(b, `,"tool_calls":[`...)
			first = false
		} else {
			b = append(b, ',')
		}
		b = appendToolCall(b, -1, p.ToolID, p.ToolName, orEmptyObject(p.Args))
	}
	if !first {
		b = append(b, ']')
	}
	b = append(b, `},"logprobs":null,"finish_reason":`...)
	b = chat.AppendString(b, stopReason(r.StopReason))
	b = append(b, `}],"usage":`...)
	b = appendUsage(b, r.Usage)
	return append(b, '}')
}

func orEmptyObject(s string) string {
	if s == "" {
		return "{}"
	}
	return s
}

func stopReason(s string) string {
	switch s {
	case chat.StopEnd, chat.StopLength, chat.StopToolCalls, chat.StopContentFilter:
		return s
	case "":
		return chat.StopEnd
	}
	return chat.StopEnd
}

func appendUsage(b []byte, u chat.Usage) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = chat.AppendInt(b, int64(u.InputTokens))
	b = append(b, `,"completion_tokens":`...)
	b = chat.AppendInt(b, int64(u.OutputTokens))
	b = append(b, `,"total_tokens":`...)
	b = chat.AppendInt(b, int64(u.InputTokens+u.OutputTokens))
	return append(b, '}')
}

// appendToolCall writes one tool call; index < 0 leaves it out (complete
// messages have no index, stream deltas do).
func appendToolCall(b []byte, index int, id, name, args string) []byte {
	b = append(b, '{')
	if index >= 0 {
		b = append(b, `"index":`...)
		b = chat.AppendInt(b, int64(index))
		b = append(b, ',')
	}
	if id != "" {
		b = append(b, `"id":`...)
		b = chat.AppendString(b, id)
		b = append(b, `,"type":"function",`...)
	}
	b = append(b, `"function":{`...)
	if name != "" {
		b = append(b, `"name":`...)
		b = chat.AppendString(b, name)
		b = append(b, ',')
	}
	b = append(b, `"arguments":`...)
	b = chat.AppendString(b, args)
	return append(b, `}}`...)
}
