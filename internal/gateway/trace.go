package gateway

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// startSpan opens a span named after the OpenTelemetry GenAI semantic
// conventions ("chat gpt-4o"). Content capture is off: prompts, answers and
// tool arguments are never attributes or events.
func (g *Gateway) startSpan(ctx context.Context, op, model string) (context.Context, trace.Span) {
	return g.tracer.Start(ctx, op+" "+model, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("gen_ai.operation.name", op),
			attribute.String("gen_ai.request.model", model),
		))
}

// genAIProvider maps provider kinds to gen_ai.provider.name values.
func genAIProvider(kind string) string {
	switch kind {
	case "openai", "openai-compatible":
		return "openai"
	case "azure":
		return "azure.ai.openai"
	case "anthropic":
		return "anthropic"
	}
	return kind
}

func (g *Gateway) endSpan(span trace.Span, x *exchange) {
	if !span.IsRecording() {
		span.End()
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("http.response.status_code", x.status),
		attribute.Int("gen_ai.usage.input_tokens", x.usage.InputTokens),
		attribute.Int("gen_ai.usage.output_tokens", x.usage.OutputTokens),
		attribute.String("attest.request_id", x.id),
		attribute.String("attest.tenant", x.caller.Tenant),
	}
	if x.served.kind != "" {
		attrs = append(attrs, attribute.String("gen_ai.provider.name", genAIProvider(x.served.kind)))
	}
	if x.modelVersion != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.model", x.modelVersion))
	}
	if x.stopReason != "" {
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", []string{x.stopReason}))
	}
	if x.served.fallback != "" {
		attrs = append(attrs, attribute.String("attest.fallback", x.served.fallback))
	}
	if x.cancelled {
		attrs = append(attrs, attribute.Bool("attest.cancelled", true))
	}
	if x.errKind != "" {
		attrs = append(attrs, attribute.String("error.type", x.errKind))
		span.SetStatus(codes.Error, x.errKind)
	}
	span.SetAttributes(attrs...)
	span.End()
}
