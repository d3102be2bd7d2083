// Package anthropic translates the Anthropic Messages wire format to and
// from the gateway's neutral form.
package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// JSONTool is the name of the tool the gateway forces when an OpenAI client
// asks an Anthropic model for JSON output; its input becomes the text of
// the answer.
const JSONTool = "json_response"

// DefaultMaxTokens is sent upstream when a translated request names no
// limit, because the Messages API requires one.
const DefaultMaxTokens = 4096

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type wireBlock struct {
	Type   string `json:"type"`
	Text   string `json:"text,omitempty"`
	Source *struct {
		Type      string `json:"type"`
		MediaType string `json:"media_type,omitempty"`
		Data      string `json:"data,omitempty"`
		URL       string `json:"url,omitempty"`
	} `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   json.RawMessage `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
}

type wireTool struct {
	Type        string          `json:"type,omitempty"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	InputSchema json.RawMessage `json:"input_schema,omitempty"`
	Strict      bool            `json:"strict,omitempty"`
}

// DecodeRequest parses a Messages API request body. Errors are *chat.Error
// values that never quote content.
func DecodeRequest(body []byte) (*chat.Request, error) {
	return decodeRequest(body, true)
}

// DecodeCountRequest parses the body of a token count request: a Messages
// request that needs no max_tokens, since nothing is generated.
func DecodeCountRequest(body []byte) (*chat.Request, error) {
	return decodeRequest(body, false)
}

func decodeRequest(body []byte, needMax bool) (*chat.Request, error) {
	raw, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	r := &chat.Request{Source: chat.Anthropic, Raw: body}
	if err := field(raw, "model", &r.Model); err != nil {
		return nil, err
	}
	if r.Model == "" {
		return nil, chat.BadRequest("model", "model: field required")
	}
	if _, ok := raw["max_tokens"]; !ok && needMax {
		return nil, chat.BadRequest("max_tokens", "max_tokens: field required")
	}
	if err := field(raw, "max_tokens", &r.MaxTokens); err != nil {
		return nil, err
	}
	if r.MaxTokens < 1 && needMax {
		return nil, chat.BadRequest("max_tokens", "max_tokens: must be at least 1")
	}
	if err := decodeSystem(r, raw); err != nil {
		return nil, err
	}
	var msgs []wireMessage
	if err := field(raw, "messages", &msgs); err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, chat.BadRequest("messages", "messages: at least one message is required")
	}
	for i, m := range msgs {
		param := fmt.Sprintf("messages.%d", i)
		var role string
		switch m.Role {
		case "user":
			role = chat.RoleUser
		case "assistant":
			role = chat.RoleAssistant
		default:
			return nil, chat.BadRequest(param+".role", "%s.role: must be user or assistant", param)
		}
		parts, err := blocks(m.Content, param+".content", &r.Joined)
		if err != nil {
			return nil, err
		}
		if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
			r.Messages[n-1].Parts = append(r.Messages[n-1].Parts, parts...)
			continue
		}
		r.Messages = append(r.Messages, chat.Message{Role: role, Parts: parts})
	}
	if err := decodeTools(r, raw); err != nil {
		return nil, err
	}
	if err := decodeFormat(r, raw); err != nil {
		return nil, err
	}
	if err := field(raw, "temperature", &r.Temperature); err != nil {
		return nil, err
	}
	if err := field(raw, "top_p", &r.TopP); err != nil {
		return nil, err
	}
	if err := field(raw, "stop_sequences", &r.Stop); err != nil {
		return nil, err
	}
	if err := field(raw, "stream", &r.Stream); err != nil {
		return nil, err
	}
	var meta struct {
		UserID string `json:"user_id"`
	}
	if err := field(raw, "metadata", &meta); err != nil {
		return nil, err
	}
	r.User = meta.UserID
	return r, nil
}

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

func field(raw map[string]json.RawMessage, name string, v any) error {
	b, ok := raw[name]
	if !ok || string(b) == "null" {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return chat.BadRequest(name, "%s: %s", name, chat.JSONProblem(err))
	}
	return nil
}

func decodeSystem(r *chat.Request, raw map[string]json.RawMessage) error {
	b := bytes.TrimSpace(raw["system"])
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		if err := field(raw, "system", &r.System); err != nil {
			return err
		}
		r.SystemParts = []string{r.System}
		return nil
	}
	parts, err := blocks(b, "system", &r.Joined)
	if err != nil {
		return err
	}
	for _, p := range parts {
		r.SystemParts = append(r.SystemParts, p.Text)
	}
	r.JoinSystem()
	return nil
}

// blocks decodes content blocks; it sets *joined when a part's text joins
// several strings of the body (a tool result of several text blocks).
func blocks(c json.RawMessage, param string, joined *bool) ([]chat.Part, error) {
	c = bytes.TrimSpace(c)
	if len(c) == 0 || string(c) == "null" {
		return nil, chat.BadRequest(param, "%s: field required", param)
	}
	if c[0] == '"' {
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, chat.BadRequest(param, "%s: not a valid string", param)
		}
		return []chat.Part{{Type: chat.PartText, Text: s}}, nil
	}
	if c[0] != '[' {
		return nil, chat.BadRequest(param, "%s: must be a string or a list of content blocks", param)
	}
	var wb []wireBlock
	if err := json.Unmarshal(c, &wb); err != nil {
		return nil, chat.BadRequest(param, "%s: %s", param, chat.JSONProblem(err))
	}
	parts := make([]chat.Part, 0, len(wb))
	for j, b := range wb {
		where := fmt.Sprintf("%s.%d", param, j)
		switch b.Type {
		case "text":
			parts = append(parts, chat.Part{Type: chat.PartText, Text: b.Text})
		case "image":
			if b.Source == nil {
				return nil, chat.BadRequest(where+".source", "%s.source: field required", where)
			}
			p := chat.Part{Type: chat.PartImage, MediaType: b.Source.MediaType, Data: b.Source.Data, ImageURL: b.Source.URL}
			if p.ImageURL == "" && p.Data != "" {
				p.ImageURL = "data:" + p.MediaType + ";base64," + p.Data
			}
			parts = append(parts, p)
		case "tool_use":
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			parts = append(parts, chat.Part{Type: chat.PartToolCall, ToolID: b.ID, ToolName: b.Name, Args: args})
		case "tool_result":
			if b.ToolUseID == "" {
				return nil, chat.BadRequest(where+".tool_use_id", "%s.tool_use_id: field required", where)
			}
			var text string
			if len(b.Content) > 0 && string(b.Content) != "null" {
				inner, err := blocks(b.Content, where+".content", joined)
				if err != nil {
					return nil, err
				}
				n := 0
				for _, p := range inner {
					if p.Text != "" {
						n++
					}
					text += p.Text
				}
				if n > 1 {
					*joined = true
				}
			}
			parts = append(parts, chat.Part{Type: chat.PartToolResult, ToolID: b.ToolUseID, Text: text, IsError: b.IsError})
		case "":
			return nil, chat.BadRequest(where+".type", "%s.type: field required", where)
		default:
			// Thinking, documents and other block types pass through to
			// Anthropic providers in the raw body only.
			parts = append(parts, chat.Part{Type: chat.PartOpaque})
		}
	}
	return parts, nil
}

func decodeTools(r *chat.Request, raw map[string]json.RawMessage) error {
	var tools []wireTool
	if err := field(raw, "tools", &tools); err != nil {
		return err
	}
	for i, t := range tools {
		if t.Type != "" && t.Type != "custom" {
			continue // server tools run at Anthropic only
		}
		if t.Name == "" {
			return chat.BadRequest(fmt.Sprintf("tools.%d.name", i), "tools.%d.name: field required", i)
		}
		r.Tools = append(r.Tools, chat.Tool{Name: t.Name, Description: t.Description, Schema: t.InputSchema, Strict: t.Strict})
	}
	var tc *struct {
		Type                   string `json:"type"`
		Name                   string `json:"name"`
		DisableParallelToolUse *bool  `json:"disable_parallel_tool_use"`
	}
	if err := field(raw, "tool_choice", &tc); err != nil {
		return err
	}
	if tc == nil {
		return nil
	}
	if d := tc.DisableParallelToolUse; d != nil {
		parallel := !*d
		r.ParallelToolCalls = &parallel
	}
	switch tc.Type {
	case "auto":
		r.ToolChoice = &chat.ToolChoice{Mode: chat.ToolAuto}
	case "any":
		r.ToolChoice = &chat.ToolChoice{Mode: chat.ToolRequired}
	case "none":
		r.ToolChoice = &chat.ToolChoice{Mode: chat.ToolNone}
	case "tool":
		if tc.Name == "" {
			return chat.BadRequest("tool_choice.name", "tool_choice.name: field required")
		}
		r.ToolChoice = &chat.ToolChoice{Mode: chat.ToolNamed, Name: tc.Name}
	default:
		return chat.BadRequest("tool_choice.type", "tool_choice.type: must be auto, any, tool or none")
	}
	return nil
}

// EncodeRequest builds the upstream Messages body for model. It reports
// whether the JSON tool was forced to serve an OpenAI response_format, in
// which case the answer's tool input must be turned back into text. A
// request that came in as Anthropic is forwarded as received with the
// model replaced, and "system" or "messages" re-encoded from the neutral
// form only if the guards rewrote them.
func EncodeRequest(r *chat.Request, model string) (body []byte, jsonMode bool, err error) {
	if r.Source == chat.Anthropic && r.Raw != nil {
		if b, ok := forward(r, model); ok {
			return b, false, nil
		}
	}
	w := map[string]any{"model": model}
	maxTokens := r.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	w["max_tokens"] = maxTokens
	if r.System != "" {
		w["system"] = r.System
	}
	w["messages"] = encodeMessages(r.Messages)
	tools := make([]wireTool, 0, len(r.Tools)+1)
	for _, t := range r.Tools {
		tools = append(tools, wireTool{Name: t.Name, Description: t.Description, InputSchema: schemaOrObject(t.Schema), Strict: t.Strict})
	}
	var choice map[string]any
	if tc := r.ToolChoice; tc != nil {
		switch tc.Mode {
		case chat.ToolAuto:
			choice = map[string]any{"type": "auto"}
		case chat.ToolRequired:
			choice = map[string]any{"type": "any"}
		case chat.ToolNone:
			choice = map[string]any{"type": "none"}
		case chat.ToolNamed:
			choice = map[string]any{"type": "tool", "name": tc.Name}
		}
	}
	switch f := r.ResponseFormat; {
	case f == nil:
	case nativeFormat(f):
		// A strict schema is what the Messages API's structured outputs
		// enforce, and unlike a forced tool it leaves the caller's own
		// tools callable.
		w["output_config"] = map[string]any{"format": map[string]any{"type": "json_schema", "schema": f.Schema}}
	case f.Type == chat.FormatJSONObject || f.Type == chat.FormatJSONSchema:
		// JSON mode, or a schema the caller did not ask to be held to
		// strictly: forcing a tool whose input schema is the requested one
		// gives JSON without refusing schemas that structured outputs
		// cannot enforce.
		tools = append(tools, wireTool{Name: JSONTool, Description: "Answer with the JSON value the user asked for.", InputSchema: schemaOrObject(f.Schema)})
		choice = map[string]any{"type": "tool", "name": JSONTool}
		jsonMode = true
	}
	if p := r.ParallelToolCalls; p != nil && !*p && len(tools) > 0 && !jsonMode {
		// The Messages API says this inside tool_choice, which then must
		// name a mode: auto is what no choice means.
		if choice == nil {
			choice = map[string]any{"type": "auto"}
		}
		if choice["type"] != "none" {
			choice["disable_parallel_tool_use"] = true
		}
	}
	if len(tools) > 0 {
		w["tools"] = tools
	}
	if choice != nil {
		w["tool_choice"] = choice
	}
	if r.Temperature != nil {
		w["temperature"] = min(*r.Temperature, 1)
	}
	if r.TopP != nil {
		w["top_p"] = *r.TopP
	}
	if len(r.Stop) > 0 {
		w["stop_sequences"] = r.Stop
	}
	if r.Stream {
		w["stream"] = true
	}
	b, err := json.Marshal(w)
	if err != nil {
		return nil, false, fmt.Errorf("encode anthropic request: %w", err)
	}
	return b, jsonMode, nil
}

// forward rewrites the raw body for model, or reports false.
func forward(r *chat.Request, model string) ([]byte, bool) {
	var set [2]chat.Member
	n := 0
	if r.Edited != 0 {
		if in, ok := editInPlace(r); ok {
			return chat.RewriteModel(r.Raw, model, in...)
		}
	}
	if r.Edited&chat.EditSystem != 0 {
		set[n] = chat.Member{Name: "system"} // an emptied prompt is dropped
		if r.System != "" {
			set[n].Value = chat.AppendString(nil, r.System)
		}
		n++
	}
	if r.Edited&chat.EditMessages != 0 {
		msgs, err := json.Marshal(encodeMessages(r.Messages))
		if err != nil {
			return nil, false
		}
		set[n] = chat.Member{Name: "messages", Value: msgs}
		n++
	}
	return chat.RewriteModel(r.Raw, model, set[:n]...)
}

// editInPlace puts the guards' rewrites back into the system prompt and
// messages as received, keeping every field the neutral form does not
// model (cache_control, say), with a guard's system line as the system
// prompt of a request that had none. It returns the members to replace, or false when that
// cannot be done and they must be re-encoded.
func editInPlace(r *chat.Request) ([]chat.Member, bool) {
	msgs, ed, ok := chat.EditInPlace(r)
	if !ok {
		return nil, false
	}
	set := []chat.Member{{Name: "messages", Value: msgs}}
	orig, has := chat.MemberValue(r.Raw, "system")
	var sys []byte
	if has && string(orig) != "null" {
		if sys, ok = ed.Edit("system", orig); !ok {
			return nil, false
		}
	}
	if !ed.Complete() {
		return nil, false
	}
	if r.SystemLine != "" {
		// The guards add a line only to a request whose system prompt has
		// no text (they plant it in the first system text otherwise), so
		// the line is the whole system prompt.
		sys = chat.AppendString(nil, r.SystemLine)
	}
	if sys != nil && !bytes.Equal(sys, bytes.TrimSpace(orig)) {
		set = append(set, chat.Member{Name: "system", Value: sys})
	}
	return set, true
}

func schemaOrObject(s json.RawMessage) json.RawMessage {
	if len(s) == 0 || !json.Valid(s) {
		return json.RawMessage(`{"type":"object","properties":{}}`)
	}
	return s
}

type outBlock struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text,omitempty"`
	Source    map[string]any  `json:"source,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   *string         `json:"content,omitempty"`
	IsError   bool            `json:"is_error,omitempty"`
}

func encodeMessages(msgs []chat.Message) []map[string]any {
	out := make([]map[string]any, 0, len(msgs))
	for _, m := range msgs {
		var bl []outBlock
		for _, p := range m.Parts {
			switch p.Type {
			case chat.PartText:
				if p.Text == "" {
					continue // the Messages API rejects empty text blocks
				}
				bl = append(bl, outBlock{Type: "text", Text: &p.Text})
			case chat.PartImage:
				src := map[string]any{"type": "url", "url": p.ImageURL}
				if p.Data != "" {
					src = map[string]any{"type": "base64", "media_type": p.MediaType, "data": p.Data}
				}
				bl = append(bl, outBlock{Type: "image", Source: src})
			case chat.PartToolCall:
				input := json.RawMessage(p.Args)
				if !json.Valid(input) {
					input = json.RawMessage(`{}`)
				}
				bl = append(bl, outBlock{Type: "tool_use", ID: p.ToolID, Name: p.ToolName, Input: input})
			case chat.PartToolResult:
				bl = append(bl, outBlock{Type: "tool_result", ToolUseID: p.ToolID, Content: &p.Text, IsError: p.IsError})
			}
		}
		if len(bl) == 0 {
			continue
		}
		// Tool results must come first in a user turn.
		sort.SliceStable(bl, func(i, j int) bool {
			return bl[i].Type == "tool_result" && bl[j].Type != "tool_result"
		})
		out = append(out, map[string]any{"role": m.Role, "content": bl})
	}
	return out
}

// maxBetas bounds the beta features one request may name.
const maxBetas = 32

// BetaFeatures reads anthropic-beta header values: comma-separated feature
// names such as "extended-cache-ttl-2025-04-11". A name outside letters,
// digits, '-', '_' and '.' is refused, so that nothing but feature names
// is passed on to a provider.
func BetaFeatures(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if len(f) > 100 || strings.IndexFunc(f, func(r rune) bool {
				return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
			}) >= 0 {
				return nil, chat.BadRequest("anthropic-beta", "the anthropic-beta header must list beta feature names such as extended-cache-ttl-2025-04-11, separated by commas")
			}
			out = append(out, f)
		}
	}
	if len(out) > maxBetas {
		return nil, chat.BadRequest("anthropic-beta", "the anthropic-beta header names more than %d features", maxBetas)
	}
	return out, nil
}
