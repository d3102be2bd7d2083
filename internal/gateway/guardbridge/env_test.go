package guardbridge_test

import (
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

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/gateway/guardbridge"
	"github.com/attest-ai/attest/internal/ledger"
)

// Test keys of tenant acme.
const (
	keyUser  = "sk-acme-user"
	keyAdmin = "sk-acme-admin"
	upKey    = "upstream-key"
	tenant   = "acme"
)

var admin = ledger.Actor{Kind: ledger.ActorHuman, ID: "admin@acme.example"}

// env is a gateway with the real guard engine behind it, fake OpenAI and
// Anthropic upstreams that record what they were sent, and the guard
// policy API.
type env struct {
	t         *testing.T
	srv       *httptest.Server
	ledger    *gatewaytest.Ledger
	policies  *guardbridge.Policies
	openai    *gatewaytest.Upstream
	anthropic *gatewaytest.Upstream
	logs      *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
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

// newEnv starts the gateway with routes gpt (OpenAI), claude (Anthropic)
// and embed (OpenAI embeddings). policy, if set, becomes acme's guard policy.
func newEnv(t *testing.T, policy *guardbridge.Doc) *env {
	t.Helper()
	e := &env{t: t, ledger: &gatewaytest.Ledger{}, logs: &syncBuffer{}}
	e.openai = gatewaytest.NewUpstream(gatewaytest.OpenAI, upKey)
	e.anthropic = gatewaytest.NewUpstream(gatewaytest.Anthropic, upKey)
	t.Cleanup(e.openai.Close)
	t.Cleanup(e.anthropic.Close)
	t.Setenv("GUARD_TEST_UPSTREAM_KEY", upKey)
	cred := gateway.CredentialConfig{Env: "GUARD_TEST_UPSTREAM_KEY"}
	cfg := gateway.DefaultConfig()
	cfg.Providers = append(cfg.Providers,
		gateway.ProviderConfig{Name: "oa", Kind: "openai", BaseURL: e.openai.BaseURL(), Credential: cred},
		gateway.ProviderConfig{Name: "an", Kind: "anthropic", BaseURL: e.anthropic.BaseURL(), Credential: cred})
	cfg.Routes = append(cfg.Routes,
		gateway.RouteConfig{Alias: "gpt", Chain: []gateway.Target{{Provider: "oa", Model: "gpt-4o"}}, Timeout: 5 * time.Second},
		gateway.RouteConfig{Alias: "claude", Chain: []gateway.Target{{Provider: "an", Model: "claude-x"}}, Timeout: 5 * time.Second},
		gateway.RouteConfig{Alias: "embed", Chain: []gateway.Target{{Provider: "oa", Model: "text-embedding-3-small"}}, Timeout: 5 * time.Second})
	cfg.Retry = gateway.RetryConfig{MaxAttempts: 1}
	pol, err := guardbridge.NewPolicies(gatewaytest.NewRecords(), e.ledger, []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e.policies = pol
	if policy != nil {
		policy.Tenant = tenant
		if _, err := pol.Set(context.Background(), admin, *policy); err != nil {
			t.Fatal(err)
		}
	}
	g, err := guardbridge.New(pol)
	if err != nil {
		t.Fatal(err)
	}
	auth := gatewaytest.NewAuth()
	auth.Add(keyUser, gateway.Caller{KeyID: "key_user", Tenant: tenant, Role: gateway.RoleConsumer})
	auth.Add(keyAdmin, gateway.Caller{KeyID: "key_admin", Tenant: tenant, Role: gateway.RoleAdmin, ActorKind: ledger.ActorHuman})
	gw, err := gateway.New(context.Background(), cfg, gateway.Deps{
		Auth: auth, Policies: gateway.StaticPolicy{}, Ledger: e.ledger, Pseudonymize: gatewaytest.Pseudonym,
		HashKey: []byte("0123456789abcdef"), Guard: g,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	gw.Routes(mux)
	(&guardbridge.API{Policies: pol, Auth: auth, Logger: slog.New(slog.NewJSONHandler(e.logs, nil))}).Routes(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		e.srv.Close()
		gw.Close()
	})
	return e
}

// do sends a request and returns status, headers and body.
func (e *env) do(method, path, key, body string, headers ...string) (int, http.Header, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// chat posts a chat request in proto ("openai" or "anthropic").
func (e *env) chat(proto, body string) (int, http.Header, string) {
	e.t.Helper()
	if proto == "anthropic" {
		return e.do(http.MethodPost, "/v1/messages", keyUser, body, "anthropic-version", "2023-06-01")
	}
	return e.do(http.MethodPost, "/v1/chat/completions", keyUser, body)
}

// entry waits for the ledger entry of typ for a request id and returns
// its decoded body.
func (e *env) entry(typ, id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, en := range e.ledger.Entries(typ) {
			var m map[string]any
			json.Unmarshal(en.Event.Body, &m)
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

// leaks fails the test if any value appears in the ledger or the logs.
func (e *env) leaks(values ...string) {
	e.t.Helper()
	logs := e.logs.String()
	for _, en := range e.ledger.Entries("") {
		for _, v := range values {
			if strings.Contains(string(en.Data), v) {
				e.t.Errorf("%q reached the ledger in a %s entry", v, en.Event.Type)
			}
		}
	}
	for _, v := range values {
		if strings.Contains(logs, v) {
			e.t.Errorf("%q reached the logs", v)
		}
	}
}

// sent returns the body of the last request an upstream received, with
// the JSON escapes of < > & undone so placeholders read as written.
func sent(t *testing.T, u *gatewaytest.Upstream) string {
	t.Helper()
	rs := u.Requests()
	if len(rs) == 0 {
		t.Fatal("the upstream received nothing")
	}
	return unescape(string(rs[len(rs)-1].Body))
}

var unescaper = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

func unescape(s string) string { return unescaper.Replace(s) }

// field reads a dotted path from a decoded JSON object.
func field(m map[string]any, path string) any {
	var v any = m
	for _, p := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[p]
	}
	return v
}

func jsonPath(t *testing.T, body, path string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("not JSON: %s", body)
	}
	return field(m, path)
}

// protos runs f for both client protocols.
var protos = []string{"openai", "anthropic"}

// userBody builds a one-turn chat request for proto with a system prompt.
func userBody(proto, model, system, user string, extra string) string {
	s, _ := json.Marshal(system)
	u, _ := json.Marshal(user)
	if extra != "" {
		extra = "," + extra
	}
	if proto == "anthropic" {
		return `{"model":"` + model + `","max_tokens":200,"system":` + string(s) + `,"messages":[{"role":"user","content":` + string(u) + `}]` + extra + `}`
	}
	return `{"model":"` + model + `","messages":[{"role":"system","content":` + string(s) + `},{"role":"user","content":` + string(u) + `}]` + extra + `}`
}
