package guardbridge_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/gateway/guardbridge"
	"github.com/attest-ai/attest/internal/limits"
)

// memUpstream answers chat completions in process, so the benchmark
// measures the gateway and its guards, not the network.
type memUpstream struct{}

var benchAnswer = []byte(`{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"bench-model","choices":[{"index":0,"message":{"role":"assistant","content":"The quarterly report shows revenue up eight percent, driven by the new support plans. Costs held steady, and the team recommends widening the pilot to two more regions next quarter.","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1024,"completion_tokens":40,"total_tokens":1064}}`)

func (memUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(benchAnswer)), ContentLength: int64(len(benchAnswer)), Request: r}, nil
}

// prompt4KB is about 4 KB of ordinary business English with one email
// address and one phone number in it.
func prompt4KB() string {
	sentences := []string{
		"Please summarise the quarterly report for the leadership meeting on Thursday.",
		"Revenue grew in every region except the north, where two large renewals slipped into the next quarter.",
		"The support team closed more tickets than ever, although the average response time rose slightly in March.",
		"Our new onboarding flow cut the time to first value by a third for small customers.",
		"Marketing spend stayed flat while qualified leads increased, mostly from partner referrals.",
		"Questions about the figures can go to finance-team@example.com or to the desk on +44 20 7946 0958.",
		"The board asked for a short view on risks, including supplier concentration and hiring plans.",
		"Keep the tone factual, avoid jargon, and list three recommendations at the end.",
	}
	var b strings.Builder
	for i := 0; b.Len() < 4000; i++ {
		s := sentences[i%len(sentences)]
		if i >= len(sentences) && strings.Contains(s, "@") {
			s = sentences[0]
		}
		b.WriteString(s)
		b.WriteByte(' ')
	}
	return b.String()
}

func benchGateway(b *testing.B, g gateway.Guard) http.Handler {
	cfg := gateway.DefaultConfig()
	cfg.Providers = append(cfg.Providers, gateway.ProviderConfig{Name: "up", Kind: "openai-compatible", BaseURL: "http://upstream.invalid/v1"})
	cfg.Routes = append(cfg.Routes, gateway.RouteConfig{Alias: "bench", Chain: []gateway.Target{{Provider: "up", Model: "bench-model"}}})
	auth := gatewaytest.NewAuth()
	auth.Add("sk", gateway.Caller{KeyID: "k", Tenant: tenant, Role: gateway.RoleConsumer, Limits: limits.Limits{RPM: 1 << 40, TPM: 1 << 50}})
	led := &gatewaytest.Ledger{}
	gw, err := gateway.New(context.Background(), cfg, gateway.Deps{
		Auth: auth, Policies: gateway.StaticPolicy{}, Ledger: led, Pseudonymize: gatewaytest.Pseudonym,
		HashKey: []byte("0123456789abcdef"), Guard: g, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Client: &http.Client{Transport: memUpstream{}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(gw.Close)
	h := gw.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if led.Len() > 20000 {
			led.Reset()
		}
		h.ServeHTTP(w, r)
	})
}

// BenchmarkGuardOverhead serves the same 4 KB chat requests through a
// gateway with every guard on (the default policy: PII in all 24 types,
// injection screening, canary, output checks) and one with no guard,
// alternating request by request in the same run, and reports each one's
// latency percentiles and the difference.
func BenchmarkGuardOverhead(b *testing.B) {
	p, err := guardbridge.NewPolicies(gatewaytest.NewRecords(), &gatewaytest.Ledger{}, key)
	if err != nil {
		b.Fatal(err)
	}
	g, err := guardbridge.New(p)
	if err != nil {
		b.Fatal(err)
	}
	off, on := benchGateway(b, gateway.NopGuard{}), benchGateway(b, g)
	body := `{"model":"bench","messages":[{"role":"system","content":"You are a concise analyst."},{"role":"user","content":"` + prompt4KB() + `"}]}`
	serve := func(h http.Handler) time.Duration {
		req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer sk")
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, req)
		d := time.Since(start)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
		return d
	}
	serve(on) // loads the tenant's engine
	offs := make([]time.Duration, 0, b.N)
	ons := make([]time.Duration, 0, b.N)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		offs = append(offs, serve(off))
		ons = append(ons, serve(on))
	}
	b.StopTimer()
	q := func(ds []time.Duration, f float64) float64 {
		slices.Sort(ds)
		return float64(ds[int(f*float64(len(ds)-1))].Nanoseconds()) / 1000
	}
	b.ReportMetric(q(offs, 0.5), "off-p50-µs")
	b.ReportMetric(q(ons, 0.5), "on-p50-µs")
	b.ReportMetric(q(offs, 0.99), "off-p99-µs")
	b.ReportMetric(q(ons, 0.99), "on-p99-µs")
	b.ReportMetric(q(ons, 0.5)-q(offs, 0.5), "added-p50-µs")
	b.ReportMetric(q(ons, 0.99)-q(offs, 0.99), "added-p99-µs")
}
