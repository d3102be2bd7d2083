package responses

import (
	"strconv"
	"strings"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// Meta is what a response object carries besides the answer.
type Meta struct {
	// ID names the response; its output items' ids derive from it.
	ID string
	// Created is the Unix time the request arrived.
	Created int64
	// Echo repeats the request's settings; nil gives the defaults.
	Echo *Echo
}

// Statuses of a response and of its output items.
const (
	statusInProgress = "in_progress"
	statusCompleted  = "completed"
	statusIncomplete = "incomplete"
	statusFailed     = "failed"
)

// item is one output item: a message with one output_text part, or a
// function call.
type item struct {
	call   bool
	id     string
	callID string
	name   string
	// text is the message's text or the call's arguments.
	text   []byte
	status string
}

// object is a response object at one point of its life.
type object struct {
	status string
	model  string
	items  []item
	// usage is nil until the answer is complete.
	usage *chat.Usage
	// failure is set when the response failed, reason when it is
	// incomplete.
	failure *chat.Error
	reason  string
}

// EncodeResponse renders a complete answer as a response object.
func EncodeResponse(r *chat.Response, m Meta) []byte {
	o := object{model: r.Model, usage: &r.Usage}
	o.status, o.reason = outcome(r.StopReason)
	n := 0
	for _, p := range r.Parts {
		n += len(p.Text) + len(p.Args)
		switch p.Type {
		case chat.PartText:
			if p.Text != "" {
				o.items = append(o.items, item{id: m.itemID("msg", len(o.items)), text: []byte(p.Text), status: statusCompleted})
			}
		case chat.PartToolCall:
			it := m.callItem(len(o.items), p.ToolID, p.ToolName)
			it.text, it.status = []byte(p.Args), statusCompleted
			o.items = append(o.items, it)
		}
	}
	if o.status == statusIncomplete && len(o.items) > 0 {
		o.items[len(o.items)-1].status = statusIncomplete
	}
	return m.appendObject(make([]byte, 0, 1024+n), &o)
}

// outcome maps a stop reason to the response's status and, when it is
// incomplete, the reason why.
func outcome(stop string) (status, reason string) {
	switch stop {
	case chat.StopLength:
		return statusIncomplete, "max_output_tokens"
	case chat.StopContentFilter:
		return statusIncomplete, "content_filter"
	}
	return statusCompleted, ""
}

// itemID names output item n after the response.
func (m *Meta) itemID(prefix string, n int) string {
	return prefix + "_" + strings.TrimPrefix(m.ID, "resp_") + "_" + strconv.Itoa(n)
}

// callItem starts a function call item; a call the provider left without
// an id gets one, since the client must send it back with the output.
func (m *Meta) callItem(n int, callID, name string) item {
	if callID == "" {
		callID = m.itemID("call", n)
	}
	return item{call: true, id: m.itemID("fc", n), callID: callID, name: name, status: statusInProgress}
}

func (m *Meta) appendObject(b []byte, o *object) []byte {
	e := m.Echo
	if e == nil {
		e = &Echo{parallel: true}
	}
	b = append(b, `{"id":`...)
	b = chat.AppendString(b, m.ID)
	b = append(b, `,"object":"response","created_at":`...)
	b = chat.AppendInt(b, m.Created)
	b = append(b, `,"status":`...)
	b = chat.AppendString(b, o.status)
	b = append(b, `,"background":false,"error":`...)
	if o.failure != nil {
		b = append(b, `{"code":`...)
		b = chat.AppendString(b, errorCode(o.failure))
		b = append(b, `,"message":`...)
		b = chat.AppendString(b, o.failure.Message)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"incomplete_details":`...)
	if o.reason != "" {
		b = append(b, `{"reason":`...)
		b = chat.AppendString(b, o.reason)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"instructions":`...)
	if e.instructions != nil {
		b = chat.AppendString(b, *e.instructions)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"max_output_tokens":`...)
	if e.maxOutput != nil {
		b = chat.AppendInt(b, int64(*e.maxOutput))
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"metadata":`...)
	b = orJSON(b, e.metadata, "{}")
	b = append(b, `,"model":`...)
	model := o.model
	if model == "" {
		model = e.model
	}
	b = chat.AppendString(b, model)
	b = append(b, `,"output":[`...)
	for i := range o.items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendItem(b, &o.items[i])
	}
	b = append(b, `],"parallel_tool_calls":`...)
	b = strconv.AppendBool(b, e.parallel)
	// The gateway never stores a response, whatever the request said.
	b = append(b, `,"previous_response_id":null,"store":false,"temperature":`...)
	b = appendFloat(b, e.temperature)
	b = append(b, `,"text":{"format":`...)
	b = orJSON(b, e.format, `{"type":"text"}`)
	b = append(b, `},"tool_choice":`...)
	b = orJSON(b, e.toolChoice, `"auto"`)
	b = append(b, `,"tools":`...)
	b = orJSON(b, e.tools, "[]")
	b = append(b, `,"top_p":`...)
	b = appendFloat(b, e.topP)
	b = append(b, `,"usage":`...)
	if o.usage != nil {
		b = appendUsage(b, *o.usage)
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

func appendItem(b []byte, it *item) []byte {
	if it.call {
		b = append(b, `{"type":"function_call","id":`...)
		b = chat.AppendString(b, it.id)
		b = append(b, `,"call_id":`...)
		b = chat.AppendString(b, it.callID)
		b = append(b, `,"name":`...)
		b = chat.AppendString(b, it.name)
		b = append(b, `,"arguments":`...)
		b = chat.AppendString(b, arguments(it))
		b = append(b, `,"status":`...)
		b = chat.AppendString(b, it.status)
		return append(b, '}')
	}
	b = append(b, `{"type":"message","id":`...)
	b = chat.AppendString(b, it.id)
	b = append(b, `,"status":`...)
	b = chat.AppendString(b, it.status)
	b = append(b, `,"role":"assistant","content":[`...)
	// A message just added has no part yet; its part follows in its own
	// event.
	if it.status != statusInProgress {
		b = appendTextPart(b, it.text)
	}
	return append(b, "]}"...)
}

func appendTextPart(b, text []byte) []byte {
	b = append(b, `{"type":"output_text","text":`...)
	b = chat.AppendString(b, string(text))
	return append(b, `,"annotations":[]}`...)
}

// arguments returns a call's arguments; a finished call without any has
// an empty object, which clients can parse.
func arguments(it *item) string {
	if len(it.text) == 0 && it.status != statusInProgress {
		return "{}"
	}
	return string(it.text)
}

func appendUsage(b []byte, u chat.Usage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = chat.AppendInt(b, int64(u.InputTokens))
	b = append(b, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
	b = chat.AppendInt(b, int64(u.OutputTokens))
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`...)
	b = chat.AppendInt(b, int64(u.InputTokens+u.OutputTokens))
	return append(b, '}')
}

func appendFloat(b []byte, f *float64) []byte {
	if f == nil {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, *f, 'g', -1, 64)
}

func orJSON(b, v []byte, def string) []byte {
	if len(v) == 0 {
		return append(b, def...)
	}
	return append(b, v...)
}

// errorCode is the code of a failed response's error.
func errorCode(e *chat.Error) string {
	if e.Code != "" {
		return e.Code
	}
	return "server_error"
}
