package app_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
)

// collector is an OTLP/HTTP trace receiver: it decodes each export with
// the protocol's own protobuf types, as a real collector does.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	attrs map[string]string // resource attributes
	raw   []byte            // every export as received
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want a protobuf POST to /v1/traces", http.StatusBadRequest)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.raw = append(c.raw, b...)
	for _, rs := range req.ResourceSpans {
		for _, kv := range rs.GetResource().GetAttributes() {
			c.attrs[kv.Key] = kv.GetValue().GetStringValue()
		}
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

// TestGatewayTracesToOTLP turns on gateway.tracing in a real process
// wiring and checks that the collector the standard OTEL_* variables name
// receives a GenAI span for a chat request, without its content.
func TestGatewayTracesToOTLP(t *testing.T) {
	col := &collector{attrs: map[string]string{}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")

	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	if err := config.Parse([]byte("gateway:\n  tracing: true\n"), &c); err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{ID: "t", Kind: "test", Tenant: "acme", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	tok, _, err := a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	const canary = "CANARY-TRACE-4471"
	r := httptest.NewRequest("POST", "/v1/chat/completions",
		strings.NewReader(`{"model":"demo","messages":[{"role":"user","content":"hello `+canary+`"}]}`))
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	a.Web.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("chat: %d %s", w.Code, w.Body)
	}
	a.Close() // flushes the spans

	col.mu.Lock()
	defer col.mu.Unlock()
	var chat *tracepb.Span
	for _, s := range col.spans {
		if strings.HasPrefix(s.Name, "chat ") {
			chat = s
		}
	}
	if chat == nil {
		t.Fatalf("no chat span among %d spans", len(col.spans))
	}
	got := map[string]string{}
	for _, kv := range chat.Attributes {
		got[kv.Key] = kv.GetValue().GetStringValue()
	}
	if got["gen_ai.operation.name"] != "chat" || got["gen_ai.request.model"] != "demo" || chat.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("span %s kind %v attributes %v", chat.Name, chat.Kind, got)
	}
	if col.attrs["service.name"] != "attest" || col.attrs["deployment.environment.name"] != "test" {
		t.Errorf("resource %v", col.attrs)
	}
	if strings.Contains(string(col.raw), canary) {
		t.Error("the prompt reached the trace collector")
	}
}
