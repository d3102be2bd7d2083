package responses

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/packages/ssestream"
	oresponses "github.com/openai/openai-go/v3/responses"

	"github.com/attest-ai/attest/internal/gateway/chat"
	"github.com/attest-ai/attest/internal/gateway/sse"
	"github.com/attest-ai/attest/internal/golden"
)

// sdkEvents reads a wire stream with the official SDK, checking that each
// event's name is its type and that sequence numbers count up from zero.
func sdkEvents(t *testing.T, wire []byte) []oresponses.ResponseStreamEventUnion {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(wire))
	for i := 0; ; i++ {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Type string `json:"type"`
			Seq  *int   `json:"sequence_number"`
		}
		if err := json.Unmarshal(ev.Data, &head); err != nil {
			t.Fatalf("event %d is not JSON: %s", i, ev.Data)
		}
		if head.Type != ev.Name || head.Seq == nil || *head.Seq != i {
			t.Fatalf("event %d: name %q type %q sequence %v", i, ev.Name, head.Type, head.Seq)
		}
	}
	res := &http.Response{Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(bytes.NewReader(wire))}
	s := ssestream.NewStream[oresponses.ResponseStreamEventUnion](ssestream.NewDecoder(res), nil)
	var out []oresponses.ResponseStreamEventUnion
	for s.Next() {
		out = append(out, s.Current())
	}
	if err := s.Err(); err != nil {
		t.Fatalf("the SDK stopped reading: %v", err)
	}
	return out
}

// accumulate folds events with the SDK's own accumulator and returns the
// response it reconstructs.
func accumulate(t *testing.T, events []oresponses.ResponseStreamEventUnion) (*oresponses.Response, error) {
	t.Helper()
	var acc oresponses.ResponseAccumulator
	for _, e := range events {
		var u oresponses.ResponsesServerEventUnion
		if err := json.Unmarshal([]byte(e.RawJSON()), &u); err != nil {
			t.Fatal(err)
		}
		if err := acc.AddEvent(u); err != nil {
			return nil, err
		}
	}
	return acc.ReconstructedResponse()
}

func TestStreamEncoder(t *testing.T) {
	usage := chat.Usage{InputTokens: 9, OutputTokens: 7}
	for _, tc := range []struct {
		name   string
		events []chat.Event
		types  string
		status string
		text   string
		args   string
	}{
		{"text", chat.ResponseEvents(&chat.Response{ID: "up", Model: "gpt-4o", StopReason: chat.StopEnd, Usage: usage,
			Parts: []chat.Part{{Type: chat.PartText, Text: "one two three"}}}, 4),
			"response.created response.in_progress response.output_item.added response.content_part.added " +
				"response.output_text.delta response.output_text.delta response.output_text.delta response.output_text.delta " +
				"response.output_text.done response.content_part.done response.output_item.done response.completed",
			"completed", "one two three", ""},
		{"text_then_call", chat.ResponseEvents(&chat.Response{Model: "claude-x", StopReason: chat.StopToolCalls, Usage: usage,
			Parts: []chat.Part{{Type: chat.PartText, Text: "Checking."}, {Type: chat.PartToolCall, ToolID: "toolu_1", ToolName: "get_weather", Args: `{"city":"Oslo"}`}}}, 0),
			"response.created response.in_progress response.output_item.added response.content_part.added " +
				"response.output_text.delta response.output_text.done response.content_part.done response.output_item.done " +
				"response.output_item.added response.function_call_arguments.delta response.function_call_arguments.done " +
				"response.output_item.done response.completed",
			"completed", "Checking.", `{"city":"Oslo"}`},
		{"call_in_pieces", []chat.Event{{Type: chat.EventStart, Model: "m", Usage: chat.Usage{InputTokens: 4}},
			{Type: chat.EventToolStart, Index: 0, ToolID: "c1", ToolName: "f"},
			{Type: chat.EventToolArgs, Index: 0, Args: `{"q":`}, {Type: chat.EventToolArgs, Index: 0, Args: `1}`},
			{Type: chat.EventToolArgs, Index: 5, Args: `lost`},
			{Type: chat.EventFinish, StopReason: chat.StopToolCalls, Usage: chat.Usage{OutputTokens: 3}}},
			"response.created response.in_progress response.output_item.added response.function_call_arguments.delta " +
				"response.function_call_arguments.delta response.function_call_arguments.done response.output_item.done response.completed",
			"completed", "", `{"q":1}`},
		{"length", []chat.Event{{Type: chat.EventStart, Model: "m"}, {Type: chat.EventText, Index: 0, Text: ""},
			{Type: chat.EventText, Index: 0, Text: "cut"}, {Type: chat.EventFinish, StopReason: chat.StopLength, Usage: usage}},
			"response.created response.in_progress response.output_item.added response.content_part.added " +
				"response.output_text.delta response.output_text.done response.content_part.done response.output_item.done response.incomplete",
			"incomplete", "cut", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc := &StreamEncoder{Meta: Meta{ID: "resp_s1", Created: 1700000000}}
			var wire []byte
			for _, e := range tc.events {
				wire = enc.Encode(wire, e)
			}
			golden.Check(t, filepath.Join("stream", tc.name+".txt"), wire)
			events := sdkEvents(t, wire)
			var types []string
			var deltas strings.Builder
			for _, e := range events {
				types = append(types, e.Type)
				if e.Type == "response.output_text.delta" {
					deltas.WriteString(e.Delta)
				}
			}
			if got := strings.Join(types, " "); got != tc.types {
				t.Errorf("events\n got %s\nwant %s", got, tc.types)
			}
			last := events[len(events)-1].Response
			if string(last.Status) != tc.status || last.OutputText() != tc.text || deltas.String() != tc.text || last.ID != "resp_s1" {
				t.Errorf("final status %q text %q deltas %q id %q", last.Status, last.OutputText(), deltas.String(), last.ID)
			}
			if last.Usage.InputTokens == 0 || last.Usage.TotalTokens != last.Usage.InputTokens+last.Usage.OutputTokens {
				t.Errorf("usage %+v", last.Usage)
			}
			for _, it := range last.Output {
				if it.Type == "function_call" && it.AsFunctionCall().Arguments != tc.args {
					t.Errorf("arguments %q, want %q", it.AsFunctionCall().Arguments, tc.args)
				}
			}
			got, err := accumulate(t, events)
			if err != nil {
				t.Fatalf("the SDK's accumulator refused the stream: %v", err)
			}
			if got.OutputText() != tc.text || string(got.Status) != tc.status {
				t.Errorf("accumulated %q (%s)", got.OutputText(), got.Status)
			}
		})
	}
}

// TestStreamEncoderError ends a stream that broke after text went out: an
// error event, then response.failed with the text sent so far.
func TestStreamEncoderError(t *testing.T) {
	enc := &StreamEncoder{Meta: Meta{ID: "resp_e1", Created: 1700000000}}
	var wire []byte
	for _, e := range []chat.Event{{Type: chat.EventStart, Model: "m"}, {Type: chat.EventText, Index: 0, Text: "partial "}} {
		wire = enc.Encode(wire, e)
	}
	wire = enc.EncodeError(wire, &chat.Error{Code: "upstream_stream_broken", Message: "the upstream stream broke off; the answer is incomplete"})
	golden.Check(t, filepath.Join("stream", "error.txt"), wire)
	events := sdkEvents(t, wire)
	n := len(events)
	if n < 2 {
		t.Fatalf("%d events", n)
	}
	ee, ok := events[n-2].AsAny().(oresponses.ResponseErrorEvent)
	if !ok || ee.Code != "upstream_stream_broken" || !strings.Contains(ee.Message, "broke off") {
		t.Errorf("error event %s", events[n-2].RawJSON())
	}
	fe, ok := events[n-1].AsAny().(oresponses.ResponseFailedEvent)
	if !ok || fe.Response.Status != "failed" || fe.Response.Error.Code != "upstream_stream_broken" || fe.Response.OutputText() != "partial " {
		t.Errorf("failed event %s", events[n-1].RawJSON())
	}
	if st := fe.Response.Output[0].Status; st != "incomplete" {
		t.Errorf("the cut message is %q", st)
	}
	if _, err := accumulate(t, events); err == nil {
		t.Error("the SDK's accumulator took a failed stream for a finished one")
	}
}
