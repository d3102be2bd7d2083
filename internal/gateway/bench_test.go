package gateway_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/limits"
)

// memUpstream answers chat completions in process, so benchmarks measure
// the gateway's own work and not the network.
type memUpstream struct{}

var benchAnswer = []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"This is a fixed benchmark answer of a few words.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":256,"completion_tokens":12,"total_tokens":268}}`)

func (memUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(benchAnswer)), ContentLength: int64(len(benchAnswer)), Request: r}, nil
}

// benchBody is a chat request of about 1 KB.
func benchBody(model string) string {
	pad := strings.Repeat("Please summarise the quarterly report in three short bullet points. ", 14)
	return `{"model":"` + model + `","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"` + pad + `"}]}`
}

// BenchmarkServeChat is the gateway's cost per request with auth, limits,
// abuse detection, write-ahead audit (an in-memory ledger that
// canonicalises every event), metrics and request logs.
func BenchmarkServeChat(b *testing.B) { benchServe(b, "/v1/chat/completions", benchBody("bench")) }

// BenchmarkServeResponses is BenchmarkServeChat through the Responses API:
// the same prompt, decoded from a Responses body and answered as a
// response object, so the two differ by the translation alone.
func BenchmarkServeResponses(b *testing.B) {
	pad := strings.Repeat("Please summarise the quarterly report in three short bullet points. ", 14)
	benchServe(b, "/v1/responses", `{"model":"bench","instructions":"You are a helpful assistant.","input":"`+pad+`"}`)
}

func benchServe(b *testing.B, path, body string) {
	cfg := gateway.DefaultConfig()
	cfg.Providers = append(cfg.Providers, gateway.ProviderConfig{Name: "up", Kind: "openai-compatible", BaseURL: "http://upstream.invalid/v1"})
	cfg.Routes = append(cfg.Routes, gateway.RouteConfig{Alias: "bench", Chain: []gateway.Target{{Provider: "up", Model: "bench-model"}}})
	cfg.Abuse.Enabled = true
	cfg.Abuse.SweepMin = 1 << 30
	cfg.Abuse.MinRequests = 1 << 30
	cfg.Abuse.HourlyRequests = 1 << 30
	cfg.Abuse.MinTokens = 1 << 40
	auth := gatewaytest.NewAuth()
	auth.Add("sk", gateway.Caller{KeyID: "k", Tenant: "t", Role: gateway.RoleConsumer, Limits: limits.Limits{RPM: 1 << 40, TPM: 1 << 50}})
	led := &gatewaytest.Ledger{}
	gw, err := gateway.New(context.Background(), cfg, gateway.Deps{
		Auth: auth, Policies: gateway.StaticPolicy{Limits: limits.Limits{RPM: 1 << 40}}, Ledger: led,
		Pseudonymize: gatewaytest.Pseudonym, HashKey: []byte("0123456789abcdef"),
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Client: &http.Client{Transport: memUpstream{}},
	})
	if err != nil {
		b.Fatal(err)
	}
	h := gw.Handler()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%50000 == 0 {
			led.Reset()
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

// BenchmarkReverseProxy is the floor: a bare httputil.ReverseProxy doing
// the same hop in process.
func BenchmarkReverseProxy(b *testing.B) {
	u, _ := url.Parse("http://upstream.invalid")
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = memUpstream{}
	rp.ErrorLog = nil
	body := benchBody("bench-model")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		w := httptest.NewRecorder()
		rp.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
