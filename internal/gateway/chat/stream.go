package chat

import "context"

// EventType says what a stream event carries.
type EventType int

// Stream event types. A stream is Start, then any number of block events,
// then exactly one Finish.
const (
	// EventStart opens the message: ID and Model are set.
	EventStart EventType = iota + 1
	// EventText appends Text to the text block at Index.
	EventText
	// EventToolStart opens a tool call block at Index with ToolID and ToolName.
	EventToolStart
	// EventToolArgs appends Args (partial JSON) to the tool call at Index.
	EventToolArgs
	// EventFinish closes the message with StopReason and Usage.
	EventFinish
)

// Event is one step of a streamed answer. Index numbers content blocks from
// zero in order of appearance, whatever their type.
type Event struct {
	Type       EventType
	ID         string
	Model      string
	Index      int
	Text       string
	ToolID     string
	ToolName   string
	Args       string
	StopReason string
	Usage      Usage
}

// Stream yields the events of one answer. Next returns io.EOF after the
// Finish event. Close releases the upstream connection and may be called at
// any time.
type Stream interface {
	Next() (Event, error)
	Close() error
}

// Buffered is implemented by streams that can tell whether their next
// event is already in hand. A writer holds its flush while it is, so that
// events which arrived together leave in one write.
type Buffered interface {
	Buffered() bool
}

// ResponseStream replays a complete response as a stream, so providers
// without streaming and rule-based answers share one path.
func ResponseStream(r *Response, chunk int) Stream {
	return &replay{events: ResponseEvents(r, chunk)}
}

// ResponseEvents cuts a response into stream events, splitting text into
// pieces of at most chunk bytes (whole response if chunk <= 0).
func ResponseEvents(r *Response, chunk int) []Event {
	ev := []Event{{Type: EventStart, ID: r.ID, Model: r.Model}}
	for i, p := range r.Parts {
		switch p.Type {
		case PartText:
			for _, piece := range split(p.Text, chunk) {
				ev = append(ev, Event{Type: EventText, Index: i, Text: piece})
			}
		case PartToolCall:
			ev = append(ev, Event{Type: EventToolStart, Index: i, ToolID: p.ToolID, ToolName: p.ToolName})
			if p.Args != "" {
				ev = append(ev, Event{Type: EventToolArgs, Index: i, Args: p.Args})
			}
		}
	}
	return append(ev, Event{Type: EventFinish, StopReason: r.StopReason, Usage: r.Usage})
}

func split(s string, n int) []string {
	if n <= 0 || len(s) <= n {
		return []string{s}
	}
	var out []string
	for len(s) > n {
		// Cut at a space where possible so chunks look like tokens.
		cut := n
		for i := n; i > n/2; i-- {
			if s[i] == ' ' {
				cut = i
				break
			}
		}
		// Never split inside a UTF-8 sequence.
		for cut > 0 && cut < len(s) && s[cut]&0xC0 == 0x80 {
			cut--
		}
		if cut == 0 {
			cut = n
		}
		out = append(out, s[:cut])
		s = s[cut:]
	}
	if s != "" {
		out = append(out, s)
	}
	return out
}

type replay struct {
	events []Event
	i      int
}

func (r *replay) Next() (Event, error) {
	if r.i >= len(r.events) {
		return Event{}, errEOF
	}
	e := r.events[r.i]
	r.i++
	return e, nil
}

func (r *replay) Close() error { return nil }

// Collect reads a whole stream into a response. It stops early when ctx
// ends.
func Collect(ctx context.Context, s Stream) (*Response, error) {
	var a Accumulator
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, err := s.Next()
		if err == errEOF {
			return a.Response(), nil
		}
		if err != nil {
			return nil, err
		}
		a.Add(e)
	}
}

// Accumulator builds a response from stream events.
type Accumulator struct {
	resp  Response
	index map[int]int
}

// Add folds one event into the response.
func (a *Accumulator) Add(e Event) {
	switch e.Type {
	case EventStart:
		a.resp.ID, a.resp.Model = e.ID, e.Model
	case EventText:
		p := a.part(e.Index, PartText)
		p.Text += e.Text
	case EventToolStart:
		p := a.part(e.Index, PartToolCall)
		p.ToolID, p.ToolName = e.ToolID, e.ToolName
	case EventToolArgs:
		p := a.part(e.Index, PartToolCall)
		p.Args += e.Args
	case EventFinish:
		a.resp.StopReason = e.StopReason
		a.resp.Usage = e.Usage
	}
}

func (a *Accumulator) part(index int, typ string) *Part {
	if a.index == nil {
		a.index = map[int]int{}
	}
	i, ok := a.index[index]
	if !ok {
		i = len(a.resp.Parts)
		a.index[index] = i
		a.resp.Parts = append(a.resp.Parts, Part{Type: typ})
	}
	return &a.resp.Parts[i]
}

// Response returns what has been accumulated so far.
func (a *Accumulator) Response() *Response { return &a.resp }
