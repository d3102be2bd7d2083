// Package provider calls upstream model APIs: OpenAI, Azure OpenAI,
// Anthropic, any OpenAI-compatible server, and the built-in demo model.
package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"

	"github.com/attest-ai/attest/internal/gateway/chat"
)

// Provider kinds.
const (
	KindOpenAI     = "openai"
	KindAzure      = "azure"
	KindAnthropic  = "anthropic"
	KindCompatible = "openai-compatible"
	KindDemo       = "demo"
)

// Provider is one upstream.
type Provider interface {
	Name() string
	Kind() string
	// Chat sends req to model. For stream requests the result holds a
	// stream whose first event has already been read successfully, so a
	// caller can still fail over when Chat returns an error.
	Chat(ctx context.Context, req *chat.Request, model string) (*Result, error)
	Embed(ctx context.Context, req *chat.EmbedRequest, model string) (*chat.EmbedResponse, error)
	// Probe checks that the upstream answers, for the circuit breaker.
	Probe(ctx context.Context) error
}

// Result is what a chat call returned.
type Result struct {
	// Response is set for non-stream requests.
	Response *chat.Response
	// Raw is the upstream body, set when the upstream speaks the protocol
	// the request came in, so it can be forwarded unchanged.
	Raw []byte
	// Stream is set for stream requests.
	Stream chat.Stream
}

// Error is an upstream failure. Message is what the upstream said; it may
// quote the prompt, so it goes back to the client only and is never
// logged.
type Error struct {
	Provider   string
	Status     int
	Retryable  bool
	AuthFailed bool
	// Final marks errors caused by the request itself (400, 404, 413, 422):
	// another provider would refuse it too.
	Final      bool
	RetryAfter time.Duration
	Message    string
	Err        error
}

func (e *Error) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("provider %s: upstream status %d", e.Provider, e.Status)
	}
	return fmt.Sprintf("provider %s: %v", e.Provider, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// statusError classifies an upstream HTTP error status.
func statusError(provider string, resp *http.Response, message string) *Error {
	e := &Error{Provider: provider, Status: resp.StatusCode, Message: message}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests || s == http.StatusRequestTimeout || s >= 500:
		e.Retryable = true
		e.RetryAfter = retryAfter(resp.Header)
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		e.AuthFailed = true
	case s == http.StatusNotFound:
		// A missing model or deployment is a provider misconfiguration;
		// the next provider in the chain may serve it.
	default:
		e.Final = true
	}
	return e
}

// transportError classifies a failure to get an answer at all: timeouts,
// refused and reset connections and cut bodies are worth a retry.
func transportError(provider string, err error) *Error {
	e := &Error{Provider: provider, Err: err}
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		e.Retryable = true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, os.ErrDeadlineExceeded):
		e.Retryable = true
	default:
		// Anything else at this stage is the upstream's fault too: a
		// stream that could not be parsed, say.
		e.Retryable = true
	}
	return e
}

// badBody reports an upstream answer that could not be understood.
func badBody(provider string, err error) *Error {
	return &Error{Provider: provider, Retryable: true, Err: err}
}

func retryAfter(h http.Header) time.Duration {
	if ms := h.Get("retry-after-ms"); ms != "" {
		if n, err := strconv.ParseFloat(ms, 64); err == nil && n > 0 {
			return time.Duration(n * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

// firstEvent reads a stream up to its first content event (or its end),
// so that a stream which fails before any content can still fail over:
// nothing has been sent to the client yet.
func firstEvent(provider string, s chat.Stream) (chat.Stream, error) {
	var held []chat.Event
	for {
		e, err := s.Next()
		if err != nil {
			s.Close()
			return nil, transportError(provider, err)
		}
		held = append(held, e)
		if e.Type != chat.EventStart {
			return &peeked{Stream: s, held: held}, nil
		}
	}
}

type peeked struct {
	chat.Stream
	held []chat.Event
}

var _ chat.Buffered = (*peeked)(nil)

// Buffered implements chat.Buffered: the events read while looking for the
// first real one are in hand.
func (p *peeked) Buffered() bool { return len(p.held) > 0 }

func (p *peeked) Next() (chat.Event, error) {
	if len(p.held) > 0 {
		e := p.held[0]
		p.held = p.held[1:]
		return e, nil
	}
	return p.Stream.Next()
}
