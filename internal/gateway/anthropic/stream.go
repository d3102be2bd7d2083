package anthropic

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/sse"
)

// StreamEncoder renders neutral stream events as the Messages API event
// sequence: message_start, then per block content_block_start, deltas and
// content_block_stop, then message_delta and message_stop.
type StreamEncoder struct {
	open    bool
	openIdx int // neutral index of the open block
	next    int // wire index of the next block
	buf     []byte
}

// Encode appends the wire form of e to dst.
func (s *StreamEncoder) Encode(dst []byte, e chat.Event) []byte {
	switch e.Type {
	case chat.EventStart:
		b := append(s.buf[:0], `{"type":"message_start","message":{"id":`...)
		b = chat.AppendString(b, e.ID)
		b = append(b, `,"type":"message","role":"assistant","model":`...)
		b = chat.AppendString(b, e.Model)
		b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
		b = chat.AppendInt(b, int64(e.Usage.InputTokens))
		b = append(b, `,"output_tokens":`...)
		b = chat.AppendInt(b, int64(e.Usage.OutputTokens))
		b = append(b, `}}}`...)
		s.buf = b
		return sse.AppendEvent(dst, "message_start", b)
	case chat.EventText:
		if !s.open || s.openIdx != e.Index {
			dst = s.stopBlock(dst)
			dst = s.startBlock(dst, e.Index, `{"type":"text","text":""}`)
		}
		b := append(s.buf[:0], `{"type":"content_block_delta","index":`...)
		b = chat.AppendInt(b, int64(s.next-1))
		b = append(b, `,"delta":{"type":"text_delta","text":`...)
		b = chat.AppendString(b, e.Text)
		b = append(b, `}}`...)
		s.buf = b
		return sse.AppendEvent(dst, "content_block_delta", b)
	case chat.EventToolStart:
		dst = s.stopBlock(dst)
		cb := []byte(`{"type":"tool_use","id":`)
		cb = chat.AppendString(cb, toolID(e.ToolID))
		cb = append(cb, `,"name":`...)
		cb = chat.AppendString(cb, e.ToolName)
		cb = append(cb, `,"input":{}}`...)
		return s.startBlock(dst, e.Index, string(cb))
	case chat.EventToolArgs:
		if !s.open || s.openIdx != e.Index {
			return dst
		}
		b := append(s.buf[:0], `{"type":"content_block_delta","index":`...)
		b = chat.AppendInt(b, int64(s.next-1))
		b = append(b, `,"delta":{"type":"input_json_delta","partial_json":`...)
		b = chat.AppendString(b, e.Args)
		b = append(b, `}}`...)
		s.buf = b
		return sse.AppendEvent(dst, "content_block_delta", b)
	case chat.EventFinish:
		dst = s.stopBlock(dst)
		b := append(s.buf[:0], `{"type":"message_delta","delta":{"stop_reason":`...)
		b = chat.AppendString(b, stopToWire(e.StopReason))
		b = append(b, `,"stop_sequence":null},"usage":{"output_tokens":`...)
		b = chat.AppendInt(b, int64(e.Usage.OutputTokens))
		b = append(b, `}}`...)
		s.buf = b
		dst = sse.AppendEvent(dst, "message_delta", b)
		return sse.AppendEvent(dst, "message_stop", []byte(`{"type":"message_stop"}`))
	}
	return dst
}

func (s *StreamEncoder) startBlock(dst []byte, index int, block string) []byte {
	b := append(s.buf[:0], `{"type":"content_block_start","index":`...)
	b = chat.AppendInt(b, int64(s.next))
	b = append(b, `,"content_block":`...)
	b = append(b, block...)
	b = append(b, '}')
	s.buf = b
	s.open, s.openIdx = true, index
	s.next++
	return sse.AppendEvent(dst, "content_block_start", b)
}

func (s *StreamEncoder) stopBlock(dst []byte) []byte {
	if !s.open {
		return dst
	}
	s.open = false
	b := append(s.buf[:0], `{"type":"content_block_stop","index":`...)
	b = chat.AppendInt(b, int64(s.next-1))
	b = append(b, '}')
	s.buf = b
	return sse.AppendEvent(dst, "content_block_stop", b)
}

// EncodeStreamError renders an error that happens after the stream began.
func EncodeStreamError(dst []byte, e *chat.Error) []byte {
	return sse.AppendEvent(dst, "error", EncodeError(e))
}

type wireEvent struct {
	Type    string `json:"type"`
	Index   int    `json:"index"`
	Message *struct {
		ID    string    `json:"id"`
		Model string    `json:"model"`
		Usage wireUsage `json:"usage"`
	} `json:"message"`
	ContentBlock *wireBlock `json:"content_block"`
	Delta        *struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		PartialJSON string `json:"partial_json"`
		StopReason  string `json:"stop_reason"`
	} `json:"delta"`
	Usage *wireUsage `json:"usage"`
}

// StreamDecoder turns an upstream Messages event stream into neutral
// events.
type StreamDecoder struct {
	r        *sse.Reader
	body     io.Closer
	jsonMode bool
	kinds    map[int]string
	stop     string
	usage    chat.Usage
	done     bool
}

// NewStreamDecoder reads body; in JSON mode the forced tool's input
// deltas become text deltas.
func NewStreamDecoder(body io.ReadCloser, jsonMode bool) *StreamDecoder {
	return &StreamDecoder{r: sse.NewReader(body), body: body, jsonMode: jsonMode, kinds: map[int]string{}}
}

// ErrStreamError reports an error event inside an upstream stream.
var ErrStreamError = fmt.Errorf("upstream sent an error event in the stream")

// Next returns the next neutral event, io.EOF after Finish.
func (d *StreamDecoder) Next() (chat.Event, error) {
	for {
		if d.done {
			return chat.Event{}, io.EOF
		}
		ev, err := d.r.Next()
		if err == io.EOF {
			return chat.Event{}, io.ErrUnexpectedEOF
		}
		if err != nil {
			return chat.Event{}, err
		}
		var w wireEvent
		if err := json.Unmarshal(ev.Data, &w); err != nil {
			return chat.Event{}, fmt.Errorf("decode anthropic stream event: %s", chat.JSONProblem(err))
		}
		switch w.Type {
		case "message_start":
			if w.Message == nil {
				return chat.Event{}, fmt.Errorf("decode anthropic stream event: message_start without message")
			}
			d.usage = chat.Usage{InputTokens: w.Message.Usage.InputTokens, OutputTokens: w.Message.Usage.OutputTokens}
			return chat.Event{Type: chat.EventStart, ID: w.Message.ID, Model: w.Message.Model, Usage: d.usage}, nil
		case "content_block_start":
			if w.ContentBlock == nil {
				return chat.Event{}, fmt.Errorf("decode anthropic stream event: content_block_start without block")
			}
			cb := w.ContentBlock
			switch {
			case cb.Type == "tool_use" && d.jsonMode && cb.Name == JSONTool:
				d.kinds[w.Index] = "json"
			case cb.Type == "tool_use":
				d.kinds[w.Index] = "tool"
				return chat.Event{Type: chat.EventToolStart, Index: w.Index, ToolID: cb.ID, ToolName: cb.Name}, nil
			case cb.Type == "text":
				d.kinds[w.Index] = "text"
				if cb.Text != "" {
					return chat.Event{Type: chat.EventText, Index: w.Index, Text: cb.Text}, nil
				}
			}
		case "content_block_delta":
			if w.Delta == nil {
				continue
			}
			switch w.Delta.Type {
			case "text_delta":
				return chat.Event{Type: chat.EventText, Index: w.Index, Text: w.Delta.Text}, nil
			case "input_json_delta":
				if d.kinds[w.Index] == "json" {
					return chat.Event{Type: chat.EventText, Index: w.Index, Text: w.Delta.PartialJSON}, nil
				}
				return chat.Event{Type: chat.EventToolArgs, Index: w.Index, Args: w.Delta.PartialJSON}, nil
			}
		case "message_delta":
			if w.Delta != nil && w.Delta.StopReason != "" {
				d.stop = w.Delta.StopReason
			}
			if w.Usage != nil {
				d.usage.OutputTokens = w.Usage.OutputTokens
				if w.Usage.InputTokens > 0 {
					d.usage.InputTokens = w.Usage.InputTokens
				}
			}
		case "message_stop":
			d.done = true
			stop := stopFromWire(d.stop)
			if d.jsonMode && stop == chat.StopToolCalls {
				stop = chat.StopEnd
			}
			return chat.Event{Type: chat.EventFinish, StopReason: stop, Usage: d.usage}, nil
		case "error":
			return chat.Event{}, ErrStreamError
		}
	}
}

// Close releases the upstream body.
func (d *StreamDecoder) Close() error { return d.body.Close() }

var _ chat.Stream = (*StreamDecoder)(nil)
