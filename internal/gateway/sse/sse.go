// Package sse reads and writes server-sent events as used by the OpenAI and
// Anthropic streaming APIs.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// MaxLine bounds one line of an event stream so a broken upstream cannot
// make the gateway buffer without end.
const MaxLine = 4 << 20

// Event is one dispatched server-sent event.
type Event struct {
	Name string
	Data []byte
}

// Reader parses an event stream.
type Reader struct {
	r    *bufio.Reader
	data []byte
	name []byte
	line []byte
}

// NewReader returns a reader of the event stream r.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 16<<10)}
}

// ErrLineTooLong reports a line longer than MaxLine.
var ErrLineTooLong = errors.New("event stream line is longer than 4 MiB")

// Next returns the next event. The returned Data is valid until the next
// call. At the end of the stream it returns io.EOF; a stream that ends in
// the middle of an event returns io.ErrUnexpectedEOF.
func (r *Reader) Next() (Event, error) {
	r.data = r.data[:0]
	r.name = r.name[:0]
	hasData := false
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF && (hasData || len(r.name) > 0) {
				return Event{}, io.ErrUnexpectedEOF
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if !hasData {
				r.name = r.name[:0]
				continue
			}
			return Event{Name: string(r.name), Data: r.data}, nil
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte{':'})
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			hasData = true
		case "event":
			r.name = append(r.name[:0], value...)
		}
	}
}

func (r *Reader) readLine() ([]byte, error) {
	r.line = r.line[:0]
	for {
		chunk, err := r.r.ReadSlice('\n')
		r.line = append(r.line, chunk...)
		if len(r.line) > MaxLine {
			return nil, ErrLineTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(r.line) > 0 {
				// A final line without a newline still ends the event.
				return trimEOL(r.line), nil
			}
			return nil, err
		}
		return trimEOL(r.line), nil
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// AppendEvent appends one event in wire form to b. An empty name writes a
// data-only event, as OpenAI streams do.
func AppendEvent(b []byte, name string, data []byte) []byte {
	if name != "" {
		b = append(b, "event: "...)
		b = append(b, name...)
		b = append(b, '\n')
	}
	for {
		i := bytes.IndexByte(data, '\n')
		b = append(b, "data: "...)
		if i < 0 {
			b = append(b, data...)
			break
		}
		b = append(b, data[:i]...)
		b = append(b, '\n')
		data = data[i+1:]
	}
	return append(b, '\n', '\n')
}
