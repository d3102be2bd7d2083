// Package chat holds the gateway's neutral form of a chat request, its
// answer and its stream events. The OpenAI, Anthropic and Responses codecs
// translate their wire formats to and from this form, so any client can
// reach any kind of provider.
package chat

import (
	"encoding/json"
	"strings"
)

// Protocol names a wire format.
type Protocol string

// The wire formats the gateway speaks. Responses, OpenAI's Responses API,
// is spoken to clients only: no provider is called in it, so its requests
// are always translated.
const (
	OpenAI    Protocol = "openai"
	Anthropic Protocol = "anthropic"
	Responses Protocol = "responses"
)

// Roles of a message. Tool results travel in their own parts, so a neutral
// message is only ever from the user or the assistant.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Part types.
const (
	PartText       = "text"
	PartImage      = "image"
	PartToolCall   = "tool_call"
	PartToolResult = "tool_result"
	// PartOpaque stands for a content block this form does not model
	// (audio, files, documents, thinking). It carries nothing: the block
	// reaches a provider only inside Raw, and guards count it as unscanned.
	PartOpaque = "opaque"
)

// Stop reasons, named after OpenAI's finish_reason values.
const (
	StopEnd           = "stop"
	StopLength        = "length"
	StopToolCalls     = "tool_calls"
	StopContentFilter = "content_filter"
)

// Request is one chat completion request in neutral form.
type Request struct {
	// Model is what the client asked for: a route alias or a model name.
	Model string
	// System is the system prompt: the SystemParts joined by blank lines.
	System string
	// SystemParts are the system prompt's texts as the body gave them, one
	// per OpenAI system or developer message or Anthropic system block, so
	// that a guard's rewrite of one goes back in its place.
	SystemParts []string
	Messages    []Message
	Tools       []Tool
	ToolChoice  *ToolChoice
	// ParallelToolCalls, when set, allows or forbids several tool calls in
	// one answer; nil leaves it to the provider.
	ParallelToolCalls *bool
	ResponseFormat    *ResponseFormat
	MaxTokens         int
	Temperature       *float64
	TopP              *float64
	Stop              []string
	Stream            bool
	// IncludeUsage asks for a final usage chunk on OpenAI streams.
	IncludeUsage bool
	// User is the end-user identifier the client supplied, if any.
	User string
	// Source is the wire format the request arrived in.
	Source Protocol
	// Raw is the body as received. A request forwarded to a provider of the
	// same protocol is sent as Raw with only the model replaced, so fields
	// this form does not model are kept.
	Raw []byte
	// Edited says which parts of the request the guards rewrote. Forwarded
	// as Raw, the rewritten texts are put back in place (Rewrites), or, when
	// that cannot be done, those members are re-encoded from this form;
	// every other member is kept as received.
	Edited Edit
	// Rewrites are the texts the guards replaced.
	Rewrites []Rewrite
	// SystemLine is text the guards added to the system prompt (a canary);
	// System already ends with it.
	SystemLine string
	// Beta lists the Anthropic beta features the client asked for (the
	// anthropic-beta header). They reach Anthropic providers only, and
	// only with a request of the Anthropic protocol.
	Beta []string
	// Joined says some text of this form joins several strings of Raw
	// (a message whose content has several text parts, say), so rewrites
	// cannot be put back in place.
	Joined bool
}

// Edit is a set of request parts the guards rewrote.
type Edit uint8

// Parts of a request a guard may rewrite.
const (
	EditSystem Edit = 1 << iota
	EditMessages
)

// Message is one turn of the conversation.
type Message struct {
	Role  string
	Parts []Part
}

// Part is one piece of a message's content.
type Part struct {
	Type string
	Text string
	// Image: either a URL (which may be a data: URL) or base64 data with its
	// media type.
	ImageURL  string
	MediaType string
	Data      string
	// Tool call and tool result.
	ToolID   string
	ToolName string
	// Args is the tool call's arguments as JSON text.
	Args    string
	IsError bool
}

// Tool is a function the model may call.
type Tool struct {
	Name        string
	Description string
	// Schema is the JSON Schema of the arguments.
	Schema json.RawMessage
	// Strict asks the provider to hold the arguments to Schema exactly
	// (OpenAI's strict function calling); providers without it ignore it.
	Strict bool
}

// Tool choice modes.
const (
	ToolAuto     = "auto"
	ToolNone     = "none"
	ToolRequired = "required"
	ToolNamed    = "tool"
)

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	Mode string
	Name string
}

// Response format types.
const (
	FormatText       = "text"
	FormatJSONObject = "json_object"
	FormatJSONSchema = "json_schema"
)

// ResponseFormat asks for structured output.
type ResponseFormat struct {
	Type   string
	Name   string
	Schema json.RawMessage
	Strict bool
}

// Usage counts tokens.
type Usage struct {
	InputTokens  int
	OutputTokens int
}

// Response is a complete answer.
type Response struct {
	ID      string
	Model   string
	Created int64
	// Parts holds text and tool call parts in order.
	Parts      []Part
	StopReason string
	Usage      Usage
}

// Text returns the concatenated text parts.
func (r *Response) Text() string {
	n := 0
	for _, p := range r.Parts {
		n += len(p.Text)
	}
	b := make([]byte, 0, n)
	for _, p := range r.Parts {
		if p.Type == PartText {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// Texts returns every piece of text in the request, system prompt first,
// for guards, hashing and token estimates. Tool arguments and results count
// as text because they reach the model.
func (r *Request) Texts() []string {
	out := make([]string, 0, len(r.Messages)+1)
	if r.System != "" {
		out = append(out, r.System)
	}
	for _, m := range r.Messages {
		for _, p := range m.Parts {
			switch {
			case p.Text != "":
				out = append(out, p.Text)
			case p.Args != "":
				out = append(out, p.Args)
			}
		}
	}
	return out
}

// LastUserText returns the text of the last user message.
func (r *Request) LastUserText() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		m := r.Messages[i]
		if m.Role != RoleUser {
			continue
		}
		var s string
		for _, p := range m.Parts {
			if p.Type == PartText {
				s += p.Text
			}
		}
		if s != "" {
			return s
		}
	}
	return ""
}

// EstimateTokens guesses a token count from text length: about four bytes a
// token for English, which is what limits need before the real count is
// known.
func EstimateTokens(texts ...string) int {
	n := 0
	for _, t := range texts {
		n += len(t)
	}
	return (n + 3) / 4
}

// JoinSystem sets System from SystemParts.
func (r *Request) JoinSystem() {
	r.System = strings.Join(r.SystemParts, "\n\n")
}

// ImagePart is an image given by URL. A data: URL is also split into its
// media type and base64 data, which is how Anthropic providers take it.
func ImagePart(url string) Part {
	p := Part{Type: PartImage, ImageURL: url}
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		if meta, data, ok := strings.Cut(rest, ","); ok {
			if mt, ok := strings.CutSuffix(meta, ";base64"); ok {
				p.MediaType, p.Data = mt, data
			}
		}
	}
	return p
}
