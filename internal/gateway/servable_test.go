package gateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
)

// withRegistry adds route support, which serves the registry model
// support at its production alias through the OpenAI fake.
func withRegistry(m gateway.ModelRegistry) envOption {
	return func(c *gateway.Config, d *gateway.Deps) {
		d.Models = m
		c.Routes = append(c.Routes, gateway.RouteConfig{Alias: "support", RegistryModel: "support",
			Chain: []gateway.Target{{Provider: "oa", Model: "support-ft"}}, Timeout: 3 * time.Second})
	}
}

func TestRegistryRoute(t *testing.T) {
	m := gatewaytest.NewModels()
	e := newEnv(t, withRegistry(m))
	body := `{"model":"support","messages":[{"role":"user","content":"hello"}]}`
	for _, why := range []string{
		"model support@3 at alias production is not signed; attach its OMS signature and promote it again",
		"model support@3 at alias production has not been verified at load; run 'attest model verify --record' where it is deployed",
		"model support@3 at alias production is not approved; no change request approved it",
	} {
		m.Refuse("support", "production", why)
		st, h, b := e.post("/v1/chat/completions", keyA, body)
		msg := jsonFieldOr(b, "error.message")
		if st != http.StatusForbidden || jsonFieldOr(b, "error.code") != "model_not_servable" || !strings.HasSuffix(msg, why) || strings.Contains(msg, "may not be served:") {
			t.Errorf("refusal: %d %s", st, b)
		}
		if res := e.byRequest("inference.response", h.Get("X-Request-Id")); res["refused"] != "model_not_servable" {
			t.Errorf("refusal recorded as %v", res["refused"])
		}
	}
	if e.openai.Count() != 0 {
		t.Fatal("an unservable model was called")
	}
	m.Serve("support", "production", gateway.ModelVersion{ID: "support@3", Digest: "sha256:abc"})
	st, h, b := e.post("/v1/messages", keyA, `{"model":"support","max_tokens":10,"messages":[{"role":"user","content":"hello"}]}`, "anthropic-version", "2023-06-01")
	if st != 200 {
		t.Fatalf("servable: %d %s", st, b)
	}
	res := e.byRequest("inference.response", h.Get("X-Request-Id"))
	if res["model_version"] != "support@3" || res["model_digest"] != "sha256:abc" || res["upstream_model"] != "support-ft-2025-01-01" {
		t.Errorf("response entry %v", res)
	}
	if req := e.byRequest("inference.request", h.Get("X-Request-Id")); req["model_version"] != "support@3" {
		t.Errorf("request entry %v", req)
	}
	// Other routes do not ask the registry.
	if st, _, _ := e.post("/v1/chat/completions", keyA, hello); st != 200 {
		t.Errorf("plain route: %d", st)
	}
}

func TestRegistryRouteNeedsRegistry(t *testing.T) {
	cfg := gateway.DefaultConfig()
	cfg.Routes = append(cfg.Routes, gateway.RouteConfig{Alias: "support", RegistryModel: "support", Chain: []gateway.Target{{Provider: "demo", Model: "x"}}})
	if _, err := gateway.New(context.Background(), cfg, minimalDeps()); err == nil || !strings.Contains(err.Error(), "no model registry") {
		t.Errorf("New without a registry: %v", err)
	}
}
