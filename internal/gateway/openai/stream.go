package openai

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/sse"
)

// StreamEncoder renders neutral stream events as chat.completion.chunk
// server-sent events.
type StreamEncoder struct {
	// IncludeUsage adds the final usage chunk the client asked for.
	IncludeUsage bool
	// Created is the Unix time stamped on every chunk.
	Created int64

	id, model string
	tools     map[int]int
	buf       []byte
}

// Encode appends the wire form of e to dst.
func (s *StreamEncoder) Encode(dst []byte, e chat.Event) []byte {
	switch e.Type {
	case chat.EventStart:
		s.id, s.model = e.ID, e.Model
		return s.chunk(dst, `{"role":"assistant","content":""}`, "")
	case chat.EventText:
		if e.Text == "" {
			return dst
		}
		s.buf = append(s.buf[:0], `{"content":`...)
		s.buf = chat.AppendString(s.buf, e.Text)
		s.buf = append(s.buf, '}')
		return s.chunk(dst, string(s.buf), "")
	case chat.EventToolStart:
		if s.tools == nil {
			s.tools = map[int]int{}
		}
		ti := len(s.tools)
		s.tools[e.Index] = ti
		s.buf = append(s.buf[:0], `{"tool_calls":[`...)
		s.buf = appendToolCall(s.buf, ti, e.ToolID, e.ToolName, "")
		s.buf = append(s.buf, `]}`...)
		return s.chunk(dst, string(s.buf), "")
	case chat.EventToolArgs:
		ti, ok := s.tools[e.Index]
		if !ok {
			return dst
		}
		s.buf = append(s.buf[:0], `{"tool_calls":[`...)
		s.buf = appendToolCall(s.buf, ti, "", "", e.Args)
		s.buf = append(s.buf, `]}`...)
		return s.chunk(dst, string(s.buf), "")
	case chat.EventFinish:
		dst = s.chunk(dst, `{}`, stopReason(e.StopReason))
		if s.IncludeUsage {
			b := s.head(nil)
			b = append(b, `,"choices":[],"usage":`...)
			b = appendUsage(b, e.Usage)
			b = append(b, '}')
			dst = sse.AppendEvent(dst, "", b)
		}
		return sse.AppendEvent(dst, "", []byte("[DONE]"))
	}
	return dst
}

func (s *StreamEncoder) head(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = chat.AppendString(b, s.id)
	b = append(b, `,"object":"chat.completion.chunk","created":`...)
	b = chat.AppendInt(b, s.Created)
	b = append(b, `,"model":`...)
	return chat.AppendString(b, s.model)
}

func (s *StreamEncoder) chunk(dst []byte, delta, finish string) []byte {
	b := s.head(make([]byte, 0, 128+len(delta)))
	b = append(b, `,"choices":[{"index":0,"delta":`...)
	b = append(b, delta...)
	b = append(b, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		b = append(b, "null"...)
	} else {
		b = chat.AppendString(b, finish)
	}
	b = append(b, `}]}`...)
	return sse.AppendEvent(dst, "", b)
}

// EncodeStreamError renders an error that happens after the stream began, in the
// shape OpenAI uses for mid-stream errors.
func EncodeStreamError(dst []byte, e *chat.Error) []byte {
	return sse.AppendEvent(dst, "", errorBody(e))
}

type wireChunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Delta struct {
			Content   *string        `json:"content"`
			Refusal   *string        `json:"refusal"`
			ToolCalls []wireToolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// StreamDecoder turns an upstream chat.completion.chunk stream into neutral
// events.
type StreamDecoder struct {
	r       *sse.Reader
	body    io.Closer
	pending []chat.Event
	started bool
	done    bool
	text    int // block index of the open text block, or -1
	blocks  int
	tools   map[int]int
	stop    string
	usage   chat.Usage
}

// NewStreamDecoder reads the event stream body and closes it on Close.
func NewStreamDecoder(body io.ReadCloser) *StreamDecoder {
	return &StreamDecoder{r: sse.NewReader(body), body: body, text: -1}
}

// ErrStreamError reports an error event inside an upstream stream.
var ErrStreamError = fmt.Errorf("upstream sent an error event in the stream")

// Next returns the next neutral event, io.EOF after Finish.
func (d *StreamDecoder) Next() (chat.Event, error) {
	for len(d.pending) == 0 {
		if d.done {
			return chat.Event{}, io.EOF
		}
		if err := d.read(); err != nil {
			return chat.Event{}, err
		}
	}
	e := d.pending[0]
	d.pending = d.pending[1:]
	return e, nil
}

func (d *StreamDecoder) read() error {
	ev, err := d.r.Next()
	if err == io.EOF {
		// A stream that ends without [DONE] was cut.
		return io.ErrUnexpectedEOF
	}
	if err != nil {
		return err
	}
	if string(ev.Data) == "[DONE]" {
		d.finish()
		return nil
	}
	var c wireChunk
	if err := json.Unmarshal(ev.Data, &c); err != nil {
		return fmt.Errorf("decode openai stream chunk: %s", chat.JSONProblem(err))
	}
	if c.Error != nil {
		return ErrStreamError
	}
	if !d.started {
		d.started = true
		d.pending = append(d.pending, chat.Event{Type: chat.EventStart, ID: c.ID, Model: c.Model})
	}
	if c.Usage != nil {
		d.usage = chat.Usage{InputTokens: c.Usage.PromptTokens, OutputTokens: c.Usage.CompletionTokens}
	}
	if len(c.Choices) == 0 {
		return nil
	}
	ch := c.Choices[0]
	text := ""
	if ch.Delta.Content != nil {
		text = *ch.Delta.Content
	}
	if ch.Delta.Refusal != nil {
		text += *ch.Delta.Refusal
	}
	if text != "" {
		if d.text < 0 {
			d.text = d.blocks
			d.blocks++
		}
		d.pending = append(d.pending, chat.Event{Type: chat.EventText, Index: d.text, Text: text})
	}
	for _, tc := range ch.Delta.ToolCalls {
		ti := 0
		if tc.Index != nil {
			ti = *tc.Index
		}
		if d.tools == nil {
			d.tools = map[int]int{}
		}
		bi, ok := d.tools[ti]
		if !ok {
			bi = d.blocks
			d.blocks++
			d.tools[ti] = bi
			// Text after a tool call opens a new text block.
			d.text = -1
			d.pending = append(d.pending, chat.Event{Type: chat.EventToolStart, Index: bi, ToolID: tc.ID, ToolName: tc.Function.Name})
		}
		if tc.Function.Arguments != "" {
			d.pending = append(d.pending, chat.Event{Type: chat.EventToolArgs, Index: bi, Args: tc.Function.Arguments})
		}
	}
	if ch.FinishReason != nil && *ch.FinishReason != "" {
		d.stop = *ch.FinishReason
	}
	return nil
}

func (d *StreamDecoder) finish() {
	if !d.started {
		d.pending = append(d.pending, chat.Event{Type: chat.EventStart})
	}
	stop := d.stop
	if stop == "" {
		stop = chat.StopEnd
	}
	d.pending = append(d.pending, chat.Event{Type: chat.EventFinish, StopReason: stop, Usage: d.usage})
	d.done = true
}

// Close releases the upstream body.
func (d *StreamDecoder) Close() error { return d.body.Close() }

var _ chat.Stream = (*StreamDecoder)(nil)
