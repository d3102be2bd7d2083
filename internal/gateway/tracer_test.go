package gateway_test

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"
)

// recorder is a minimal trace.TracerProvider that keeps every span's name
// and attributes as text, so tests can search them.
type recorder struct {
	embedded.TracerProvider
	mu    sync.Mutex
	spans []*recSpan
}

type recTracer struct {
	embedded.Tracer
	r *recorder
}

type recSpan struct {
	embedded.Span
	r     *recorder
	name  string
	attrs map[string]string
	kind  trace.SpanKind
	ended bool
}

func (r *recorder) Tracer(string, ...trace.TracerOption) trace.Tracer { return &recTracer{r: r} }

func (t *recTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	cfg := trace.NewSpanStartConfig(opts...)
	s := &recSpan{r: t.r, name: name, attrs: map[string]string{}, kind: cfg.SpanKind()}
	s.SetAttributes(cfg.Attributes()...)
	t.r.mu.Lock()
	t.r.spans = append(t.r.spans, s)
	t.r.mu.Unlock()
	return trace.ContextWithSpan(ctx, s), s
}

func (s *recSpan) End(...trace.SpanEndOption) {
	s.r.mu.Lock()
	s.ended = true
	s.r.mu.Unlock()
}
func (s *recSpan) AddEvent(string, ...trace.EventOption)   {}
func (s *recSpan) AddLink(trace.Link)                      {}
func (s *recSpan) IsRecording() bool                       { return true }
func (s *recSpan) RecordError(error, ...trace.EventOption) {}
func (s *recSpan) SpanContext() trace.SpanContext          { return trace.SpanContext{} }
func (s *recSpan) SetStatus(codes.Code, string)            {}
func (s *recSpan) SetName(n string)                        { s.name = n }
func (s *recSpan) TracerProvider() trace.TracerProvider    { return s.r }
func (s *recSpan) SetAttributes(kv ...attribute.KeyValue) {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	for _, a := range kv {
		s.attrs[string(a.Key)] = a.Value.Emit()
	}
}

// dump renders every span as text.
func (r *recorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, s := range r.spans {
		fmt.Fprintf(&b, "%s %v\n", s.name, s.attrs)
	}
	return b.String()
}

var _ trace.TracerProvider = (*recorder)(nil)
