// Package responses translates a stateless subset of OpenAI's Responses
// API to and from the gateway's neutral form. No provider is called in
// this protocol: requests reach providers as Chat Completions or Messages,
// and their answers come back as response objects or response event
// streams. The gateway stores no responses, so whatever refers to stored
// state (a previous response, a conversation, a stored prompt or item) is
// refused with a message that says what to send instead.
package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

type wireRequest struct {
	Model              string            `json:"model"`
	Input              json.RawMessage   `json:"input"`
	Instructions       *string           `json:"instructions"`
	Tools              json.RawMessage   `json:"tools"`
	ToolChoice         json.RawMessage   `json:"tool_choice"`
	Text               *wireText         `json:"text"`
	MaxOutputTokens    *int              `json:"max_output_tokens"`
	Temperature        *float64          `json:"temperature"`
	TopP               *float64          `json:"top_p"`
	Stream             bool              `json:"stream"`
	User               string            `json:"user"`
	SafetyIdentifier   string            `json:"safety_identifier"`
	Metadata           map[string]string `json:"metadata"`
	ParallelToolCalls  *bool             `json:"parallel_tool_calls"`
	Background         *bool             `json:"background"`
	PreviousResponseID *string           `json:"previous_response_id"`
	Conversation       json.RawMessage   `json:"conversation"`
	Prompt             json.RawMessage   `json:"prompt"`
}

type wireText struct {
	Format json.RawMessage `json:"format"`
}

type wireFormat struct {
	Type   string          `json:"type"`
	Name   string          `json:"name"`
	Schema json.RawMessage `json:"schema"`
	Strict *bool           `json:"strict"`
}

type wireTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

type wireItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

type wirePart struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Refusal  string `json:"refusal"`
	ImageURL string `json:"image_url"`
}

// Echo is what a response object repeats of the request it answers, as
// the client sent it: never the text the guards rewrote.
type Echo struct {
	model        string
	instructions *string
	// tools, toolChoice, format and metadata are compact JSON.
	tools       []byte
	toolChoice  []byte
	format      []byte
	metadata    []byte
	parallel    bool
	temperature *float64
	topP        *float64
	maxOutput   *int
}

// DecodeRequest parses a Responses API request body into the neutral form
// and the settings the answer repeats. Errors are *chat.Error values that
// name the offending parameter and never quote content.
func DecodeRequest(body []byte) (*chat.Request, *Echo, error) {
	if err := chat.CheckObject(body); err != nil {
		return nil, nil, err
	}
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, nil, chat.DecodeError(err)
	}
	if err := refuseState(&w); err != nil {
		return nil, nil, err
	}
	r := &chat.Request{Source: chat.Responses, Model: w.Model, Stream: w.Stream, Temperature: w.Temperature, TopP: w.TopP,
		ParallelToolCalls: w.ParallelToolCalls}
	if r.Model == "" {
		return nil, nil, chat.BadRequest("model", "model is required: name a model or route alias from GET /v1/models")
	}
	if w.Instructions != nil && *w.Instructions != "" {
		r.SystemParts = append(r.SystemParts, *w.Instructions)
	}
	if err := decodeInput(r, w.Input); err != nil {
		return nil, nil, err
	}
	r.JoinSystem()
	if err := decodeTools(r, w.Tools); err != nil {
		return nil, nil, err
	}
	if err := decodeToolChoice(r, w.ToolChoice); err != nil {
		return nil, nil, err
	}
	var format json.RawMessage
	if w.Text != nil {
		format = w.Text.Format
	}
	if err := decodeFormat(r, format); err != nil {
		return nil, nil, err
	}
	if w.MaxOutputTokens != nil {
		if *w.MaxOutputTokens < 0 {
			return nil, nil, chat.BadRequest("max_output_tokens", "max_output_tokens must not be negative")
		}
		r.MaxTokens = *w.MaxOutputTokens
	}
	r.User = w.User
	if r.User == "" {
		r.User = w.SafetyIdentifier
	}
	e := &Echo{model: w.Model, instructions: w.Instructions, parallel: w.ParallelToolCalls == nil || *w.ParallelToolCalls,
		temperature: w.Temperature, topP: w.TopP, maxOutput: w.MaxOutputTokens,
		tools: compact(w.Tools, "[]"), toolChoice: compact(w.ToolChoice, `"auto"`), format: compact(format, `{"type":"text"}`)}
	e.metadata = []byte("{}")
	if len(w.Metadata) > 0 {
		// A map of strings always encodes.
		e.metadata, _ = json.Marshal(w.Metadata)
	}
	return r, e, nil
}

// refuseState refuses the parts of the API that need state kept between
// requests, or work done on OpenAI's side, which the gateway cannot offer.
func refuseState(w *wireRequest) error {
	if w.PreviousResponseID != nil && *w.PreviousResponseID != "" {
		return chat.BadRequest("previous_response_id", "previous_response_id is not supported: the gateway keeps no conversation state "+
			"(zero retention), so send the whole conversation in input, with earlier output items and function_call_output items")
	}
	if present(w.Conversation) {
		return chat.BadRequest("conversation", "conversation is not supported: the gateway keeps no conversation state "+
			"(zero retention), so send the whole conversation in input")
	}
	if present(w.Prompt) {
		return chat.BadRequest("prompt", "prompt is not supported: the gateway cannot read prompt templates stored with OpenAI, "+
			"so send the text in instructions and input")
	}
	if w.Background != nil && *w.Background {
		return chat.BadRequest("background", "background is not supported: the gateway answers while the request is open and stores no responses "+
			"to poll later; leave background unset, or use stream for long answers")
	}
	return nil
}

func present(b json.RawMessage) bool {
	return len(b) > 0 && string(b) != "null"
}

// compact returns b without insignificant spaces, so that it fits on one
// event stream line, or def when b is absent.
func compact(b json.RawMessage, def string) []byte {
	if !present(b) {
		return []byte(def)
	}
	var out bytes.Buffer
	if json.Compact(&out, b) != nil {
		return []byte(def)
	}
	return out.Bytes()
}

// decodeInput reads input: a string, which is one user message, or a list
// of items.
func decodeInput(r *chat.Request, in json.RawMessage) error {
	in = bytes.TrimSpace(in)
	if !present(in) {
		return chat.BadRequest("input", "input is required: send the user's text, or the conversation as a list of items")
	}
	if in[0] == '"' {
		var s string
		if err := json.Unmarshal(in, &s); err != nil {
			return chat.BadRequest("input", "input is not a valid string")
		}
		r.Messages = append(r.Messages, chat.Message{Role: chat.RoleUser, Parts: []chat.Part{{Type: chat.PartText, Text: s}}})
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(in, &items); err != nil {
		return chat.BadRequest("input", "input must be a string or a list of items")
	}
	if len(items) == 0 {
		return chat.BadRequest("input", "input must hold at least one item")
	}
	for i, raw := range items {
		if err := addItem(r, raw, fmt.Sprintf("input[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func addItem(r *chat.Request, raw json.RawMessage, param string) error {
	var it wireItem
	if err := json.Unmarshal(raw, &it); err != nil {
		return chat.BadRequest(param, "%s has the wrong type: %s", param, chat.JSONProblem(err))
	}
	switch it.Type {
	case "message":
		return addMessage(r, &it, param)
	case "":
		if it.Role == "" {
			return chat.BadRequest(param+".type", "every input item needs a type, or a role for a message")
		}
		return addMessage(r, &it, param)
	case "function_call":
		if it.CallID == "" || it.Name == "" {
			return chat.BadRequest(param, "a function_call item needs call_id and name")
		}
		appendParts(r, chat.RoleAssistant, chat.Part{Type: chat.PartToolCall, ToolID: it.CallID, ToolName: it.Name, Args: it.Arguments})
		return nil
	case "function_call_output":
		if it.CallID == "" {
			return chat.BadRequest(param+".call_id", "a function_call_output item needs the call_id of its function_call")
		}
		text, err := outputText(it.Output, param+".output")
		if err != nil {
			return err
		}
		appendParts(r, chat.RoleUser, chat.Part{Type: chat.PartToolResult, ToolID: it.CallID, Text: text})
		return nil
	case "reasoning":
		// Reasoning items carry a model's private state, readable by that
		// model alone; the providers behind the gateway are sent none.
		return nil
	case "item_reference":
		return chat.BadRequest(param+".type", "item_reference is not supported: the gateway stores no items, so send the item itself")
	default:
		return chat.BadRequest(param+".type", "input items must be messages, function_call or function_call_output items; "+
			"the gateway serves function tools only")
	}
}

func addMessage(r *chat.Request, it *wireItem, param string) error {
	switch it.Role {
	case "system", "developer":
		parts, err := contentParts(it.Content, param+".content")
		if err != nil {
			return err
		}
		var b strings.Builder
		for _, p := range parts {
			if p.Type != chat.PartText {
				return chat.BadRequest(param+".content", "system and developer messages take text only")
			}
			b.WriteString(p.Text)
		}
		r.SystemParts = append(r.SystemParts, b.String())
		return nil
	case "user", "assistant":
		parts, err := contentParts(it.Content, param+".content")
		if err != nil {
			return err
		}
		role := chat.RoleUser
		if it.Role == "assistant" {
			role = chat.RoleAssistant
		}
		appendParts(r, role, parts...)
		return nil
	case "":
		return chat.BadRequest(param+".role", "every message needs a role")
	default:
		return chat.BadRequest(param+".role", "role must be one of user, assistant, system or developer")
	}
}

// appendParts adds parts as a message, merging with the previous message
// when the role repeats (a function call after the assistant's text,
// several function outputs in a row).
func appendParts(r *chat.Request, role string, parts ...chat.Part) {
	if n := len(r.Messages); n > 0 && r.Messages[n-1].Role == role {
		r.Messages[n-1].Parts = append(r.Messages[n-1].Parts, parts...)
		return
	}
	r.Messages = append(r.Messages, chat.Message{Role: role, Parts: parts})
}

func contentParts(c json.RawMessage, param string) ([]chat.Part, error) {
	c = bytes.TrimSpace(c)
	if !present(c) {
		return nil, chat.BadRequest(param, "a message needs content")
	}
	switch c[0] {
	case '"':
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, chat.BadRequest(param, "content is not a valid string")
		}
		return []chat.Part{{Type: chat.PartText, Text: s}}, nil
	case '[':
		var wp []wirePart
		if err := json.Unmarshal(c, &wp); err != nil {
			return nil, chat.BadRequest(param, "content parts have the wrong type: %s", chat.JSONProblem(err))
		}
		parts := make([]chat.Part, 0, len(wp))
		for j, p := range wp {
			where := fmt.Sprintf("%s[%d]", param, j)
			switch p.Type {
			case "input_text", "output_text":
				parts = append(parts, chat.Part{Type: chat.PartText, Text: p.Text})
			case "refusal":
				parts = append(parts, chat.Part{Type: chat.PartText, Text: p.Refusal})
			case "input_image":
				if p.ImageURL == "" {
					return nil, chat.BadRequest(where+".image_url", "an input_image part needs image_url, a URL or a data: URL; "+
						"files stored with OpenAI cannot be read through the gateway")
				}
				parts = append(parts, chat.ImagePart(p.ImageURL))
			default:
				// Dropping a file or audio part would change what the model
				// is asked without anyone knowing.
				return nil, chat.BadRequest(where+".type", "content parts must be input_text, input_image, output_text or refusal; "+
					"files and audio cannot be passed on to every provider")
			}
		}
		return parts, nil
	default:
		return nil, chat.BadRequest(param, "content must be a string or a list of parts")
	}
}

// outputText reads a function call's output: a string, or a list of
// input_text parts.
func outputText(c json.RawMessage, param string) (string, error) {
	c = bytes.TrimSpace(c)
	if !present(c) {
		return "", chat.BadRequest(param, "a function_call_output item needs output")
	}
	parts, err := contentParts(c, param)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != chat.PartText {
			return "", chat.BadRequest(param, "a function call's output must be text")
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

func decodeTools(r *chat.Request, raw json.RawMessage) error {
	if !present(raw) {
		return nil
	}
	var tools []wireTool
	if err := json.Unmarshal(raw, &tools); err != nil {
		return chat.BadRequest("tools", "tools has the wrong type: %s", chat.JSONProblem(err))
	}
	for i, t := range tools {
		param := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" && t.Type != "" {
			return chat.BadRequest(param+".type", "only function tools are supported: built-in tools (web search, file search, code interpreter, "+
				"computer use, MCP, image generation and the like) run on OpenAI's platform, which the gateway's providers are not; "+
				"declare a function tool and run it yourself")
		}
		if t.Name == "" {
			return chat.BadRequest(param+".name", "every function tool needs a name")
		}
		tool := chat.Tool{Name: t.Name, Description: t.Description, Strict: t.Strict != nil && *t.Strict}
		if present(t.Parameters) {
			tool.Schema = t.Parameters
		}
		r.Tools = append(r.Tools, tool)
	}
	return nil
}

func decodeToolChoice(r *chat.Request, b json.RawMessage) error {
	if !present(b) {
		return nil
	}
	var mode string
	if json.Unmarshal(b, &mode) == nil {
		switch mode {
		case "auto", "none", "required":
			r.ToolChoice = &chat.ToolChoice{Mode: mode}
			return nil
		}
		return chat.BadRequest("tool_choice", `tool_choice must be auto, none, required or {"type":"function","name":...}`)
	}
	var named struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &named); err != nil {
		return chat.BadRequest("tool_choice", "tool_choice has the wrong type: %s", chat.JSONProblem(err))
	}
	if named.Type != "function" || named.Name == "" {
		return chat.BadRequest("tool_choice", `tool_choice must be auto, none, required or {"type":"function","name":...}; `+
			"the gateway serves function tools only")
	}
	r.ToolChoice = &chat.ToolChoice{Mode: chat.ToolNamed, Name: named.Name}
	return nil
}

func decodeFormat(r *chat.Request, b json.RawMessage) error {
	if !present(b) {
		return nil
	}
	var f wireFormat
	if err := json.Unmarshal(b, &f); err != nil {
		return chat.BadRequest("text.format", "text.format has the wrong type: %s", chat.JSONProblem(err))
	}
	switch f.Type {
	case "text":
	case "json_object":
		r.ResponseFormat = &chat.ResponseFormat{Type: chat.FormatJSONObject}
	case "json_schema":
		if f.Name == "" {
			return chat.BadRequest("text.format.name", "a json_schema format needs a name")
		}
		rf := &chat.ResponseFormat{Type: chat.FormatJSONSchema, Name: f.Name, Schema: f.Schema}
		if f.Strict != nil {
			rf.Strict = *f.Strict
		}
		r.ResponseFormat = rf
	default:
		return chat.BadRequest("text.format.type", "text.format.type must be text, json_object or json_schema")
	}
	return nil
}
