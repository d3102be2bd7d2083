package provider

import (
	"context"
	"errors"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

func TestStatusError(t *testing.T) {
	for _, tc := range []struct {
		status                  int
		retry, final, authFails bool
	}{
		{429, true, false, false}, {500, true, false, false}, {503, true, false, false}, {408, true, false, false},
		{401, false, false, true}, {403, false, false, true},
		{404, false, false, false},
		{400, false, true, false}, {413, false, true, false}, {422, false, true, false},
	} {
		e := statusError("p", &http.Response{StatusCode: tc.status, Header: http.Header{}}, "")
		if e.Retryable != tc.retry || e.Final != tc.final || e.AuthFailed != tc.authFails {
			t.Errorf("status %d: %+v", tc.status, e)
		}
	}
}

func TestTransportError(t *testing.T) {
	for _, tc := range []struct {
		err   error
		retry bool
	}{
		{context.Canceled, false},
		{context.DeadlineExceeded, true},
		{syscall.ECONNRESET, true},
		{syscall.ECONNREFUSED, true},
		{io.ErrUnexpectedEOF, true},
		{errors.New("decode openai stream chunk: syntax error"), true},
	} {
		if got := transportError("p", tc.err).Retryable; got != tc.retry {
			t.Errorf("%v: retryable %v", tc.err, got)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{}, 0},
	} {
		if got := retryAfter(tc.h); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.h, got, tc.want)
		}
	}
}

// A stream that fails before its first content event can still fail
// over; the held events come out first and in order.
func TestFirstEvent(t *testing.T) {
	r := &chat.Response{ID: "x", Parts: []chat.Part{{Type: chat.PartText, Text: "hi"}}, StopReason: chat.StopEnd}
	s, err := firstEvent("p", chat.ResponseStream(r, 0))
	if err != nil {
		t.Fatal(err)
	}
	got, err := chat.Collect(context.Background(), s)
	if err != nil || got.Text() != "hi" || got.ID != "x" {
		t.Errorf("%+v %v", got, err)
	}
	if _, err := firstEvent("p", &failing{}); err == nil {
		t.Error("a stream that failed at once was accepted")
	}
}

type failing struct{}

func (failing) Next() (chat.Event, error) { return chat.Event{}, io.ErrUnexpectedEOF }
func (failing) Close() error              { return nil }

func TestDemo(t *testing.T) {
	d := NewDemo("demo")
	req := &chat.Request{Messages: []chat.Message{{Role: chat.RoleUser, Parts: []chat.Part{{Type: chat.PartText, Text: "ping"}}}}}
	a, _ := d.Chat(context.Background(), req, DemoModel)
	b, _ := d.Chat(context.Background(), req, DemoModel)
	if a.Response.Text() != demoPrefix+"ping" || a.Response.ID != b.Response.ID {
		t.Errorf("demo answer %q id %q/%q", a.Response.Text(), a.Response.ID, b.Response.ID)
	}
	e1, _ := d.Embed(context.Background(), &chat.EmbedRequest{Inputs: []string{"a", "a", "b"}}, DemoModel)
	if len(e1.Vectors) != 3 || e1.Vectors[0][0] != e1.Vectors[1][0] || e1.Vectors[0][0] == e1.Vectors[2][0] {
		t.Error("demo embeddings are not deterministic per input")
	}
}
