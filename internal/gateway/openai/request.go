// Package openai translates the OpenAI chat completions and embeddings wire
// format to and from the gateway's neutral form.
package openai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

type wireMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content,omitempty"`
	Name         string          `json:"name,omitempty"`
	ToolCalls    []wireToolCall  `json:"tool_calls,omitempty"`
	ToolCallID   string          `json:"tool_call_id,omitempty"`
	FunctionCall *wireFunction   `json:"function_call,omitempty"`
}

type wireToolCall struct {
	Index    *int         `json:"index,omitempty"`
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type,omitempty"`
	Function wireFunction `json:"function"`
}

type wireFunction struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type wirePart struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitempty"`
	Refusal  string `json:"refusal,omitempty"`
	ImageURL *struct {
		URL    string `json:"url"`
		Detail string `json:"detail,omitempty"`
	} `json:"image_url,omitempty"`
}

type wireTool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		Parameters  json.RawMessage `json:"parameters,omitempty"`
		Strict      *bool           `json:"strict,omitempty"`
	} `json:"function"`
}

type wireFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema,omitempty"`
		Strict *bool           `json:"strict,omitempty"`
	} `json:"json_schema,omitempty"`
}

type wireRequest struct {
	Model               string          `json:"model"`
	Messages            []wireMessage   `json:"messages"`
	Tools               []wireTool      `json:"tools"`
	Functions           []wireFuncDef   `json:"functions"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
	ParallelToolCalls   *bool           `json:"parallel_tool_calls"`
	FunctionCall        json.RawMessage `json:"function_call"`
	ResponseFormat      *wireFormat     `json:"response_format"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	Stop                json.RawMessage `json:"stop"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	User             string `json:"user"`
	SafetyIdentifier string `json:"safety_identifier"`
}

type wireFuncDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

// DecodeRequest parses a chat completions request body in one pass.
// Errors are *chat.Error values that name the offending parameter and
// never quote content.
func DecodeRequest(body []byte) (*chat.Request, error) {
	if err := chat.CheckObject(body); err != nil {
		return nil, err
	}
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, chat.DecodeError(err)
	}
	r := &chat.Request{Source: chat.OpenAI, Raw: body, Model: w.Model, Stream: w.Stream, Temperature: w.Temperature, TopP: w.TopP,
		ParallelToolCalls: w.ParallelToolCalls}
	if r.Model == "" {
		return nil, chat.BadRequest("model", "model is required: name a model or route alias from GET /v1/models")
	}
	if len(w.Messages) == 0 {
		return nil, chat.BadRequest("messages", "messages must hold at least one message")
	}
	for i := range w.Messages {
		if err := addMessage(r, &w.Messages[i], i); err != nil {
			return nil, err
		}
	}
	r.JoinSystem()
	if err := decodeTools(r, &w); err != nil {
		return nil, err
	}
	if err := decodeFormat(r, w.ResponseFormat); err != nil {
		return nil, err
	}
	if w.MaxTokens != nil {
		r.MaxTokens = *w.MaxTokens
	}
	if w.MaxCompletionTokens != nil {
		r.MaxTokens = max(r.MaxTokens, *w.MaxCompletionTokens)
	}
	if r.MaxTokens < 0 {
		return nil, chat.BadRequest("max_tokens", "max_tokens must not be negative")
	}
	if err := decodeStop(r, w.Stop); err != nil {
		return nil, err
	}
	if w.StreamOptions != nil {
		r.IncludeUsage = w.StreamOptions.IncludeUsage
	}
	r.User = w.User
	if r.User == "" {
		// Newer clients send safety_identifier in place of user.
		r.User = w.SafetyIdentifier
	}
	return r, nil
}

// decodeObject splits a JSON object into its top-level fields.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, chat.BadRequest("", "the request body is empty: send a JSON object")
	}
	if body[0] != '{' {
		return nil, chat.BadRequest("", "the request body must be a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, chat.BadRequest("", "the request body is not valid JSON: %s", chat.JSONProblem(err))
	}
	return raw, nil
}

// field decodes raw[name] into v if present and not null.
func field(raw map[string]json.RawMessage, name string, v any) error {
	b, ok := raw[name]
	if !ok || string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return chat.BadRequest(name, "%s has the wrong type: %s", name, chat.JSONProblem(err))
	}
	return nil
}

func addMessage(r *chat.Request, m *wireMessage, i int) error {
	param := fmt.Sprintf("messages[%d]", i)
	switch m.Role {
	case "system", "developer":
		text, err := contentText(r, m.Content, param)
		if err != nil {
			return err
		}
		r.SystemParts = append(r.SystemParts, text)
		return nil
	case "user":
		parts, err := contentParts(m.Content, param)
		if err != nil {
			return err
		}
		appendParts(r, chat.RoleUser, parts)
		return nil
	case "assistant":
		parts, err := contentParts(m.Content, param)
		if err != nil {
			return err
		}
		for _, tc := range m.ToolCalls {
			parts = append(parts, chat.Part{Type: chat.PartToolCall, ToolID: tc.ID, ToolName: tc.Function.Name, Args: tc.Function.Arguments})
		}
		if m.FunctionCall != nil {
			parts = append(parts, chat.Part{Type: chat.PartToolCall, ToolID: "call_" + m.FunctionCall.Name, ToolName: m.FunctionCall.Name, Args: m.FunctionCall.Arguments})
		}
		appendParts(r, chat.RoleAssistant, parts)
		return nil
	case "tool", "function":
		text, err := contentText(r, m.Content, param)
		if err != nil {
			return err
		}
		id := m.ToolCallID
		if m.Role == "function" {
			id = "call_" + m.Name
		}
		if id == "" {
			return chat.BadRequest(param+".tool_call_id", "a tool message needs tool_call_id")
		}
		appendParts(r, chat.RoleUser, []chat.Part{{Type: chat.PartToolResult, ToolID: id, Text: text}})
		return nil
	case "":
		return chat.BadRequest(param+".role", "every message needs a role")
	default:
		return chat.BadRequest(param+".role", "role must be one of system, developer, user, assistant or tool")
	}
}

// appendParts adds parts as a message, merging with the previous message
// when the role repeats (tool results following each other, say).
func appendParts(r *chat.Request, role string, parts []chat.Part) {
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Parts = append(r.Messages[n-1].Parts, parts...)
		return
	}
	r.Messages = append(r.Messages, chat.Message{Role: role, Parts: parts})
}

// contentText joins the texts of a content; several non-empty ones make
// the request Joined.
func contentText(r *chat.Request, c json.RawMessage, param string) (string, error) {
	parts, err := contentParts(c, param)
	if err != nil {
		return "", err
	}
	n := 0
	for _, p := range parts {
		if p.Text != "" {
			n++
		}
	}
	if n > 1 {
		r.Joined = true
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

func contentParts(c json.RawMessage, param string) ([]chat.Part, error) {
	c = bytes.TrimSpace(c)
	if len(c) == 0 || string(c) == "null" {
		return nil, nil
	}
	switch c[0] {
	case '"':
		// The body is valid JSON already, so a string without escapes is
		// its bytes between the quotes.
		if bytes.IndexByte(c, '\\') < 0 {
			return []chat.Part{{Type: chat.PartText, Text: string(c[1 : len(c)-1])}}, nil
		}
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, chat.BadRequest(param+".content", "content is not a valid string")
		}
		return []chat.Part{{Type: chat.PartText, Text: s}}, nil
	case '[':
		var wp []wirePart
		if err := json.Unmarshal(c, &wp); err != nil {
			return nil, chat.BadRequest(param+".content", "content parts have the wrong type: %s", chat.JSONProblem(err))
		}
		parts := make([]chat.Part, 0, len(wp))
		for j, p := range wp {
			switch p.Type {
			case "text":
				parts = append(parts, chat.Part{Type: chat.PartText, Text: p.Text})
			case "refusal":
				parts = append(parts, chat.Part{Type: chat.PartText, Text: p.Refusal})
			case "image_url":
				if p.ImageURL == nil || p.ImageURL.URL == "" {
					return nil, chat.BadRequest(fmt.Sprintf("%s.content[%d].image_url", param, j), "an image_url part needs image_url.url")
				}
				parts = append(parts, chat.ImagePart(p.ImageURL.URL))
			default:
				// Other part types (audio, files) pass through to OpenAI
				// providers in the raw body; other providers never see them.
				parts = append(parts, chat.Part{Type: chat.PartOpaque})
			}
		}
		return parts, nil
	default:
		return nil, chat.BadRequest(param+".content", "content must be a string or an array of parts")
	}
}

func decodeTools(r *chat.Request, w *wireRequest) error {
	for i, t := range w.Tools {
		if t.Type != "" && t.Type != "function" {
			// Custom tool types are forwarded raw to OpenAI providers only.
			continue
		}
		if t.Function.Name == "" {
			return chat.BadRequest(fmt.Sprintf("tools[%d].function.name", i), "every tool needs a function name")
		}
		r.Tools = append(r.Tools, chat.Tool{Name: t.Function.Name, Description: t.Function.Description, Schema: t.Function.Parameters,
			Strict: t.Function.Strict != nil && *t.Function.Strict})
	}
	for _, f := range w.Functions {
		r.Tools = append(r.Tools, chat.Tool{Name: f.Name, Description: f.Description, Schema: f.Parameters})
	}
	for name, b := range map[string]json.RawMessage{"tool_choice": w.ToolChoice, "function_call": w.FunctionCall} {
		if len(b) == 0 || string(b) == "null" {
			continue
		}
		var mode string
		if json.Unmarshal(b, &mode) == nil {
			switch mode {
			case "auto", "none", "required":
				r.ToolChoice = &chat.ToolChoice{Mode: mode}
			default:
				return chat.BadRequest(name, "%s must be auto, none, required or a named function", name)
			}
			continue
		}
		var named struct {
			Name     string `json:"name"`
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if err := json.Unmarshal(b, &named); err != nil {
			return chat.BadRequest(name, "%s has the wrong type: %s", name, chat.JSONProblem(err))
		}
		fn := named.Function.Name
		if fn == "" {
			fn = named.Name
		}
		if fn == "" {
			return chat.BadRequest(name, "%s names no function", name)
		}
		r.ToolChoice = &chat.ToolChoice{Mode: chat.ToolNamed, Name: fn}
	}
	return nil
}

func decodeFormat(r *chat.Request, f *wireFormat) error {
	if f == nil {
		return nil
	}
	switch f.Type {
	case "text":
	case "json_object":
		r.ResponseFormat = &chat.ResponseFormat{Type: chat.FormatJSONObject}
	case "json_schema":
		if f.JSONSchema == nil || f.JSONSchema.Name == "" {
			return chat.BadRequest("response_format.json_schema", "a json_schema response format needs json_schema.name")
		}
		rf := &chat.ResponseFormat{Type: chat.FormatJSONSchema, Name: f.JSONSchema.Name, Schema: f.JSONSchema.Schema}
		if f.JSONSchema.Strict != nil {
			rf.Strict = *f.JSONSchema.Strict
		}
		r.ResponseFormat = rf
	default:
		return chat.BadRequest("response_format.type", "response_format.type must be text, json_object or json_schema")
	}
	return nil
}

func decodeStop(r *chat.Request, b json.RawMessage) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var one string
	if json.Unmarshal(b, &one) == nil {
		r.Stop = []string{one}
		return nil
	}
	if err := json.Unmarshal(b, &r.Stop); err != nil {
		return chat.BadRequest("stop", "stop must be a string or an array of strings")
	}
	return nil
}

// EncodeRequest builds the upstream body for model. A request that came
// in as OpenAI is forwarded field for field with only the model replaced
// (and usage requested on streams so the gateway can count tokens); when
// the guards rewrote its text, "messages" is re-encoded from the neutral
// form too. Others are built from the neutral form.
func EncodeRequest(r *chat.Request, model string) ([]byte, error) {
	if r.Source == chat.OpenAI && r.Raw != nil {
		if b, ok := forward(r, model); ok {
			return b, nil
		}
	}
	w := map[string]any{"model": model, "messages": encodeMessages(r)}
	if len(r.Tools) > 0 {
		tools := make([]any, len(r.Tools))
		for i, t := range r.Tools {
			fn := map[string]any{"name": t.Name}
			if t.Description != "" {
				fn["description"] = t.Description
			}
			if len(t.Schema) > 0 {
				fn["parameters"] = t.Schema
			} else {
				fn["parameters"] = json.RawMessage(`{"type":"object","properties":{}}`)
			}
			if t.Strict {
				fn["strict"] = true
			}
			tools[i] = map[string]any{"type": "function", "function": fn}
		}
		w["tools"] = tools
	}
	if tc := r.ToolChoice; tc != nil {
		if tc.Mode == chat.ToolNamed {
			w["tool_choice"] = map[string]any{"type": "function", "function": map[string]string{"name": tc.Name}}
		} else {
			w["tool_choice"] = tc.Mode
		}
	}
	if p := r.ParallelToolCalls; p != nil && len(r.Tools) > 0 {
		// OpenAI accepts the flag only alongside tools.
		w["parallel_tool_calls"] = *p
	}
	if f := r.ResponseFormat; f != nil {
		switch f.Type {
		case chat.FormatJSONObject:
			w["response_format"] = map[string]string{"type": "json_object"}
		case chat.FormatJSONSchema:
			js := map[string]any{"name": f.Name, "strict": f.Strict}
			if len(f.Schema) > 0 {
				js["schema"] = f.Schema
			}
			w["response_format"] = map[string]any{"type": "json_schema", "json_schema": js}
		}
	}
	if r.MaxTokens > 0 {
		w["max_tokens"] = r.MaxTokens
	}
	if r.Temperature != nil {
		w["temperature"] = *r.Temperature
	}
	if r.TopP != nil {
		w["top_p"] = *r.TopP
	}
	if len(r.Stop) > 0 {
		w["stop"] = r.Stop
	}
	if r.Stream {
		w["stream"] = true
		w["stream_options"] = map[string]bool{"include_usage": true}
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("encode openai request: %w", err)
	}
	return b, nil
}

// forward rewrites the raw body for model, or reports false.
func forward(r *chat.Request, model string) ([]byte, bool) {
	var set [2]chat.Member
	n := 0
	if r.Edited != 0 {
		msgs, ok := editInPlace(r)
		if !ok {
			// The system prompt travels inside messages.
			var err error
			if msgs, err = json.Marshal(encodeMessages(r)); err != nil {
				return nil, false
			}
		}
		set[n] = chat.Member{Name: "messages", Value: msgs}
		n++
	}
	if r.Stream {
		set[n] = chat.Member{Name: "stream_options", Value: streamOptions(r.Raw)}
		n++
	}
	return chat.RewriteModel(r.Raw, model, set[:n]...)
}

// streamOptions returns the client's stream_options with include_usage
// on, which the gateway needs for the audit entry's token counts; the
// client's other options (include_obfuscation, say) are kept.
func streamOptions(raw []byte) []byte {
	usage := []byte(`{"include_usage":true}`)
	if !bytes.Contains(raw, []byte("stream_options")) {
		return usage // most streams: no scan of the body
	}
	v, ok := chat.MemberValue(raw, "stream_options")
	var opts map[string]json.RawMessage
	if !ok || json.Unmarshal(v, &opts) != nil || opts == nil {
		return usage
	}
	opts["include_usage"] = json.RawMessage("true")
	if b, err := json.Marshal(opts); err == nil {
		return b
	}
	return usage
}

// editInPlace puts the guards' rewrites back into the messages as
// received, keeping every field the neutral form does not model, with a
// guard's system line as a system message of its own in front. It reports
// false when that cannot be done and the messages must be re-encoded.
func editInPlace(r *chat.Request) ([]byte, bool) {
	msgs, ed, ok := chat.EditInPlace(r)
	if !ok || !ed.Complete() || len(msgs) < 2 || msgs[0] != '[' {
		return nil, false
	}
	if r.SystemLine == "" {
		return msgs, true
	}
	out := make([]byte, 0, len(msgs)+len(r.SystemLine)+40)
	out = append(out, `[{"role":"system","content":`...)
	out = chat.AppendString(out, r.SystemLine)
	out = append(out, '}')
	if rest := bytes.TrimSpace(msgs[1:]); len(rest) > 0 && rest[0] != ']' {
		out = append(out, ',')
	}
	return append(out, msgs[1:]...), true
}

type outMessage struct {
	Role       string         `json:"role"`
	Content    any            `json:"content"`
	ToolCalls  []wireToolCall `json:"tool_calls,omitempty"`
	ToolCallID string         `json:"tool_call_id,omitempty"`
}

func encodeMessages(r *chat.Request) []outMessage {
	var out []outMessage
	if r.System != "" {
		out = append(out, outMessage{Role: "system", Content: r.System})
	}
	for _, m := range r.Messages {
		var content []map[string]any
		var calls []wireToolCall
		for _, p := range m.Parts {
			switch p.Type {
			case chat.PartText:
				content = append(content, map[string]any{"type": "text", "text": p.Text})
			case chat.PartImage:
				url := p.ImageURL
				if url == "" {
					url = "data:" + p.MediaType + ";base64," + p.Data
				}
				content = append(content, map[string]any{"type": "image_url", "image_url": map[string]string{"url": url}})
			case chat.PartToolCall:
				args := p.Args
				if args == "" {
					args = "{}"
				}
				calls = append(calls, wireToolCall{ID: p.ToolID, Type: "function", Function: wireFunction{Name: p.ToolName, Arguments: args}})
			case chat.PartToolResult:
				// OpenAI wants each tool result as its own message.
				out = append(out, outMessage{Role: "tool", ToolCallID: p.ToolID, Content: p.Text})
			}
		}
		if len(content) == 0 && len(calls) == 0 {
			continue
		}
		msg := outMessage{Role: m.Role, ToolCalls: calls}
		switch {
		case len(content) == 1 && content[0]["type"] == "text":
			msg.Content = content[0]["text"]
		case len(content) > 0:
			msg.Content = content
		}
		out = append(out, msg)
	}
	return out
}
