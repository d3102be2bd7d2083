package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
)

// Test keys.
const (
	keyA       = "sk-test-tenant-a"
	keyB       = "sk-test-tenant-b"
	keyExpired = "sk-test-expired"
	keyRevoked = "sk-test-revoked"
	keyAuditor = "sk-test-auditor"
	upKey      = "upstream-secret-key"
)

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// env is a gateway wired to fake upstreams.
type env struct {
	t         *testing.T
	gw        *gateway.Gateway
	srv       *httptest.Server
	ledger    *gatewaytest.Ledger
	auth      *gatewaytest.Auth
	sealer    *gatewaytest.Sealer
	openai    *gatewaytest.Upstream
	openai2   *gatewaytest.Upstream
	azure     *gatewaytest.Upstream
	anthropic *gatewaytest.Upstream
	logs      *syncBuffer
	registry  *prometheus.Registry
	policy    *policies
}

// policies is a per-tenant policy table.
type policies struct {
	mu sync.Mutex
	m  map[string]gateway.Policy
}

func (p *policies) Policy(_ context.Context, tenant string) (gateway.Policy, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[tenant], nil
}

func (p *policies) set(tenant string, pol gateway.Policy) {
	p.mu.Lock()
	p.m[tenant] = pol
	p.mu.Unlock()
}

type envOption func(*gateway.Config, *gateway.Deps)

// newEnv starts fake upstreams and a gateway with routes:
//
//	gpt     -> openai          (fallback: rule answer)
//	chain   -> openai, openai2 (fallback: rule answer)
//	azure   -> azure
//	claude  -> anthropic
//	mixed   -> anthropic, openai
//	strict  -> openai (no fallback)
//	demo    -> demo
func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := &env{t: t, ledger: &gatewaytest.Ledger{}, auth: gatewaytest.NewAuth(), sealer: &gatewaytest.Sealer{}, logs: &syncBuffer{},
		registry: prometheus.NewRegistry(), policy: &policies{m: map[string]gateway.Policy{}}}
	e.openai = gatewaytest.NewUpstream(gatewaytest.OpenAI, upKey)
	e.openai2 = gatewaytest.NewUpstream(gatewaytest.OpenAI, upKey)
	e.azure = gatewaytest.NewUpstream(gatewaytest.Azure, upKey)
	e.anthropic = gatewaytest.NewUpstream(gatewaytest.Anthropic, upKey)
	for _, u := range []*gatewaytest.Upstream{e.openai, e.openai2, e.azure, e.anthropic} {
		t.Cleanup(u.Close)
	}
	t.Setenv("TEST_UPSTREAM_KEY", upKey)
	cred := gateway.CredentialConfig{Env: "TEST_UPSTREAM_KEY"}
	fb := &gateway.FallbackConfig{Default: "fallback answer", Rules: []gateway.FallbackRule{{Keywords: []string{"refund"}, Answer: "refunds take 5 days"}}}
	cfg := gateway.DefaultConfig()
	cfg.Providers = append(cfg.Providers,
		gateway.ProviderConfig{Name: "oa", Kind: "openai", BaseURL: e.openai.BaseURL(), Credential: cred},
		gateway.ProviderConfig{Name: "oa2", Kind: "openai-compatible", BaseURL: e.openai2.BaseURL(), Credential: cred},
		gateway.ProviderConfig{Name: "az", Kind: "azure", BaseURL: e.azure.BaseURL(), APIVersion: "2024-10-21", Credential: cred},
		gateway.ProviderConfig{Name: "an", Kind: "anthropic", BaseURL: e.anthropic.BaseURL(), Credential: cred},
	)
	short := gateway.RouteConfig{Timeout: 3 * time.Second, AttemptTimeout: 500 * time.Millisecond}
	route := func(alias string, fallback *gateway.FallbackConfig, chain ...gateway.Target) gateway.RouteConfig {
		r := short
		r.Alias, r.Chain, r.Fallback = alias, chain, fallback
		return r
	}
	cfg.Routes = append(cfg.Routes,
		route("gpt", fb, gateway.Target{Provider: "oa", Model: "gpt-4o"}),
		route("chain", fb, gateway.Target{Provider: "oa", Model: "gpt-4o"}, gateway.Target{Provider: "oa2", Model: "llama"}),
		route("azure", nil, gateway.Target{Provider: "az", Model: "my-deployment"}),
		route("claude", nil, gateway.Target{Provider: "an", Model: "claude-x"}),
		route("mixed", nil, gateway.Target{Provider: "an", Model: "claude-x"}, gateway.Target{Provider: "oa", Model: "gpt-4o"}),
		route("strict", nil, gateway.Target{Provider: "oa", Model: "gpt-4o"}),
		route("embed", nil, gateway.Target{Provider: "oa", Model: "text-embedding-3-small"}),
	)
	cfg.Retry = gateway.RetryConfig{MaxAttempts: 2, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond}
	cfg.Breaker = gateway.BreakerConfig{Failures: 1000, Cooldown: time.Second, ProbeInterval: time.Hour}
	deps := gateway.Deps{
		Auth:         e.auth,
		Policies:     e.policy,
		Ledger:       e.ledger,
		Sealer:       e.sealer,
		Pseudonymize: gatewaytest.Pseudonym,
		HashKey:      []byte("0123456789abcdef0123456789abcdef"),
		Registry:     e.registry,
		Logger:       slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	e.auth.Add(keyA, gateway.Caller{KeyID: "key_a", Tenant: "tenant-a", Role: gateway.RoleConsumer})
	e.auth.Add(keyB, gateway.Caller{KeyID: "key_b", Tenant: "tenant-b", Role: gateway.RoleConsumer})
	e.auth.Add(keyAuditor, gateway.Caller{KeyID: "key_aud", Tenant: "tenant-a", Role: gateway.RoleAuditor})
	e.auth.Fail(keyExpired, gateway.ErrExpiredKey)
	e.auth.Fail(keyRevoked, gateway.ErrRevokedKey)
	gw, err := gateway.New(context.Background(), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	e.gw = gw
	mux := http.NewServeMux()
	gw.Routes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{}))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		e.srv.Close()
		gw.Close()
	})
	return e
}

// post sends a raw request and returns status, headers and body.
func (e *env) post(path, key string, body string, headers ...string) (int, http.Header, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// entries returns the ledger entries of typ with their decoded bodies.
func (e *env) entries(typ string) []map[string]any {
	var out []map[string]any
	for _, en := range e.ledger.Entries(typ) {
		var m map[string]any
		if err := json.Unmarshal(en.Event.Body, &m); err != nil {
			e.t.Fatal(err)
		}
		m["_tenant"] = en.Event.Tenant
		m["_subjects"] = en.Event.Subjects
		out = append(out, m)
	}
	return out
}

// waitEntries waits until n entries of typ exist; responses are recorded
// just after the answer goes out.
func (e *env) waitEntries(typ string, n int) []map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := e.entries(typ)
		if len(got) >= n || time.Now().After(deadline) {
			if len(got) < n {
				e.t.Fatalf("want %d %s entries, have %d", n, typ, len(got))
			}
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// byRequest finds the entry of typ for a request id.
func (e *env) byRequest(typ, id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, m := range e.entries(typ) {
			if m["request_id"] == id {
				return m
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("no %s entry for request %s", typ, id)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
