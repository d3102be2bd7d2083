package app

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
)

// Version is attest's version, set at build time with
// -ldflags "-X github.com/attest-ai/attest/internal/app.Version=v1.2.3";
// `attest version`, the start-up line and traces report it.
var Version = "dev"

// newTracerProvider returns the tracer provider of the gateway's
// OpenTelemetry spans: batched and sent by OTLP over HTTP to the collector
// that the standard OTEL_EXPORTER_OTLP_* variables name (by default
// http://localhost:4318), as service "attest" unless OTEL_SERVICE_NAME or
// OTEL_RESOURCE_ATTRIBUTES say otherwise. Sampling follows
// OTEL_TRACES_SAMPLER. Spans never carry prompts or answers.
func newTracerProvider(ctx context.Context) (*sdktrace.TracerProvider, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("gateway.tracing: create the OTLP exporter (check OTEL_EXPORTER_OTLP_ENDPOINT): %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(semconv.ServiceName("attest"), semconv.ServiceVersion(Version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("gateway.tracing: describe the service: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), nil
}
