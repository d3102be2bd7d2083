package responses

import (
	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/sse"
)

// StreamEncoder renders neutral stream events as a Responses API event
// stream: response.created and response.in_progress; for each output item
// its opening, deltas and closing events; then response.completed, or
// response.incomplete, carrying the whole response object. Every event has
// a sequence number one higher than the last.
//
// Neutral blocks arrive one after another, as the upstreams send them, so
// a block's start closes the item before it.
type StreamEncoder struct {
	Meta Meta

	seq    int64
	model  string
	input  int
	items  []item
	open   bool
	openAt int // neutral index of the open item, the last of items
	buf    []byte
}

// Encode appends the wire form of e to dst.
func (s *StreamEncoder) Encode(dst []byte, e chat.Event) []byte {
	switch e.Type {
	case chat.EventStart:
		s.model, s.input = e.Model, e.Usage.InputTokens
		o := object{status: statusInProgress, model: s.model}
		dst = s.response(dst, "response.created", &o)
		return s.response(dst, "response.in_progress", &o)
	case chat.EventText:
		if e.Text == "" {
			return dst
		}
		if !s.isOpen(e.Index, false) {
			dst = s.close(dst, statusCompleted)
			dst = s.openMessage(dst, e.Index)
		}
		it := &s.items[len(s.items)-1]
		it.text = append(it.text, e.Text...)
		b := s.head("response.output_text.delta")
		b = s.itemRef(b, true)
		b = append(b, `,"delta":`...)
		b = chat.AppendString(b, e.Text)
		b = append(b, `,"logprobs":[]`...)
		return s.send(dst, "response.output_text.delta", b)
	case chat.EventToolStart:
		dst = s.close(dst, statusCompleted)
		s.items = append(s.items, s.Meta.callItem(len(s.items), e.ToolID, e.ToolName))
		s.open, s.openAt = true, e.Index
		return s.itemEvent(dst, "response.output_item.added")
	case chat.EventToolArgs:
		if !s.isOpen(e.Index, true) || e.Args == "" {
			return dst
		}
		it := &s.items[len(s.items)-1]
		it.text = append(it.text, e.Args...)
		b := s.head("response.function_call_arguments.delta")
		b = s.itemRef(b, false)
		b = append(b, `,"delta":`...)
		b = chat.AppendString(b, e.Args)
		return s.send(dst, "response.function_call_arguments.delta", b)
	case chat.EventFinish:
		status, reason := outcome(e.StopReason)
		dst = s.close(dst, status)
		u := e.Usage
		if u.InputTokens == 0 {
			u.InputTokens = s.input
		}
		o := object{status: status, reason: reason, model: s.model, items: s.items, usage: &u}
		return s.response(dst, "response."+status, &o)
	}
	return dst
}

// EncodeError ends a stream that failed after it began: an error event,
// then response.failed with what was sent so far.
func (s *StreamEncoder) EncodeError(dst []byte, e *chat.Error) []byte {
	b := s.head("error")
	b = append(b, `,"code":`...)
	b = chat.AppendString(b, errorCode(e))
	b = append(b, `,"message":`...)
	b = chat.AppendString(b, e.Message)
	b = append(b, `,"param":null`...)
	dst = s.send(dst, "error", b)
	if s.open {
		s.items[len(s.items)-1].status = statusIncomplete
		s.open = false
	}
	o := object{status: statusFailed, model: s.model, items: s.items, failure: e}
	return s.response(dst, "response.failed", &o)
}

func (s *StreamEncoder) isOpen(index int, call bool) bool {
	return s.open && s.openAt == index && s.items[len(s.items)-1].call == call
}

func (s *StreamEncoder) openMessage(dst []byte, index int) []byte {
	s.items = append(s.items, item{id: s.Meta.itemID("msg", len(s.items)), status: statusInProgress})
	s.open, s.openAt = true, index
	dst = s.itemEvent(dst, "response.output_item.added")
	return s.partEvent(dst, "response.content_part.added")
}

// close finishes the open item, if any, with status.
func (s *StreamEncoder) close(dst []byte, status string) []byte {
	if !s.open {
		return dst
	}
	s.open = false
	it := &s.items[len(s.items)-1]
	it.status = status
	if it.call {
		b := s.head("response.function_call_arguments.done")
		b = s.itemRef(b, false)
		b = append(b, `,"arguments":`...)
		b = chat.AppendString(b, arguments(it))
		dst = s.send(dst, "response.function_call_arguments.done", b)
		return s.itemEvent(dst, "response.output_item.done")
	}
	b := s.head("response.output_text.done")
	b = s.itemRef(b, true)
	b = append(b, `,"text":`...)
	b = chat.AppendString(b, string(it.text))
	b = append(b, `,"logprobs":[]`...)
	dst = s.send(dst, "response.output_text.done", b)
	dst = s.partEvent(dst, "response.content_part.done")
	return s.itemEvent(dst, "response.output_item.done")
}

// itemEvent sends an output_item event about the last item.
func (s *StreamEncoder) itemEvent(dst []byte, typ string) []byte {
	b := s.head(typ)
	b = append(b, `,"output_index":`...)
	b = chat.AppendInt(b, int64(len(s.items)-1))
	b = append(b, `,"item":`...)
	b = appendItem(b, &s.items[len(s.items)-1])
	return s.send(dst, typ, b)
}

// partEvent sends a content_part event about the last item's text.
func (s *StreamEncoder) partEvent(dst []byte, typ string) []byte {
	b := s.head(typ)
	b = s.itemRef(b, true)
	b = append(b, `,"part":`...)
	b = appendTextPart(b, s.items[len(s.items)-1].text)
	return s.send(dst, typ, b)
}

func (s *StreamEncoder) response(dst []byte, typ string, o *object) []byte {
	b := s.head(typ)
	b = append(b, `,"response":`...)
	b = s.Meta.appendObject(b, o)
	return s.send(dst, typ, b)
}

// head starts an event's data in the encoder's buffer.
func (s *StreamEncoder) head(typ string) []byte {
	b := append(s.buf[:0], `{"type":`...)
	b = chat.AppendString(b, typ)
	b = append(b, `,"sequence_number":`...)
	b = chat.AppendInt(b, s.seq)
	s.seq++
	return b
}

// itemRef names the last item and, for text, its only content part.
func (s *StreamEncoder) itemRef(b []byte, part bool) []byte {
	b = append(b, `,"item_id":`...)
	b = chat.AppendString(b, s.items[len(s.items)-1].id)
	b = append(b, `,"output_index":`...)
	b = chat.AppendInt(b, int64(len(s.items)-1))
	if part {
		b = append(b, `,"content_index":0`...)
	}
	return b
}

func (s *StreamEncoder) send(dst []byte, typ string, b []byte) []byte {
	b = append(b, '}')
	s.buf = b
	return sse.AppendEvent(dst, typ, b)
}
