package gateway_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/limits"
)

const hello = `{"model":"gpt","messages":[{"role":"user","content":"hello"}]}`

func TestKeyLimits(t *testing.T) {
	e := newEnv(t)
	e.auth.Add("sk-rpm", gateway.Caller{KeyID: "key_rpm", Tenant: "tenant-a", Role: gateway.RoleConsumer, Limits: limits.Limits{RPM: 2}})
	e.auth.Add("sk-daily", gateway.Caller{KeyID: "key_daily", Tenant: "tenant-a", Role: gateway.RoleConsumer, Limits: limits.Limits{DailyTokens: 5}})
	for i := 0; i < 2; i++ {
		if st, _, b := e.post("/v1/chat/completions", "sk-rpm", hello); st != 200 {
			t.Fatalf("request %d: %d %s", i, st, b)
		}
	}
	st, h, b := e.post("/v1/chat/completions", "sk-rpm", hello)
	ra, _ := strconv.Atoi(h.Get("Retry-After"))
	if st != 429 || ra < 1 || ra > 60 || jsonField(t, b, "error.type") != "rate_limit_exceeded" {
		t.Errorf("third request: %d Retry-After %q %s", st, h.Get("Retry-After"), b)
	}
	// A daily budget lets one request take it past the limit, then refuses
	// until the next UTC day.
	e.post("/v1/chat/completions", "sk-daily", hello)
	st, h, _ = e.post("/v1/messages", "sk-daily", `{"model":"gpt","max_tokens":5,"messages":[{"role":"user","content":"hello"}]}`, "anthropic-version", "2023-06-01")
	ra, _ = strconv.Atoi(h.Get("Retry-After"))
	if st != 429 || ra < 1 || ra > 86400 {
		t.Errorf("over the daily budget: %d Retry-After %q", st, h.Get("Retry-After"))
	}
	res := e.byRequest("inference.response", h.Get("X-Request-Id"))
	if res["refused"] != "limit_key_daily_tokens" {
		t.Errorf("refusal recorded as %v", res["refused"])
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	e.policy.set("tenant-a", gateway.Policy{Limits: limits.Limits{RPM: 3}})
	e.auth.Add("sk-a2", gateway.Caller{KeyID: "key_a2", Tenant: "tenant-a", Role: gateway.RoleConsumer})
	// Tenant A uses up its tenant-wide limit with two keys, and tries to
	// pose as tenant B with a header.
	for _, k := range []string{keyA, "sk-a2", keyA} {
		if st, _, _ := e.post("/v1/chat/completions", k, hello, "X-Attest-Tenant", "tenant-b"); st != 200 {
			t.Fatalf("tenant A request: %d", st)
		}
	}
	if st, _, _ := e.post("/v1/chat/completions", "sk-a2", hello); st != 429 {
		t.Errorf("tenant A over its limit: %d", st)
	}
	// Tenant B is untouched.
	for i := 0; i < 5; i++ {
		if st, _, b := e.post("/v1/chat/completions", keyB, hello); st != 200 {
			t.Fatalf("tenant B request %d: %d %s", i, st, b)
		}
	}
	// Every entry carries its own tenant; the same end user and the same
	// prompt hash differently in the two tenants.
	e.policy.set("tenant-a", gateway.Policy{})
	_, ha, _ := e.post("/v1/chat/completions", keyA, `{"model":"demo","user":"bob","messages":[{"role":"user","content":"same"}]}`)
	_, hb, _ := e.post("/v1/chat/completions", keyB, `{"model":"demo","user":"bob","messages":[{"role":"user","content":"same"}]}`)
	ra := e.byRequest("inference.request", ha.Get("X-Request-Id"))
	rb := e.byRequest("inference.request", hb.Get("X-Request-Id"))
	if ra["_tenant"] != "tenant-a" || rb["_tenant"] != "tenant-b" {
		t.Errorf("tenants %v %v", ra["_tenant"], rb["_tenant"])
	}
	if ra["prompt_hmac"] == rb["prompt_hmac"] {
		t.Error("the same prompt hashes equally in two tenants")
	}
	if sa, sb := ra["_subjects"].([]ledger.Ref)[0], rb["_subjects"].([]ledger.Ref)[0]; sa == sb {
		t.Errorf("end user bob has the same pseudonym %v in both tenants", sa)
	}
	for _, en := range e.entries("") {
		if en["key_id"] == "key_b" && en["_tenant"] != "tenant-b" || (en["key_id"] == "key_a" || en["key_id"] == "key_a2") && en["_tenant"] != "tenant-a" {
			t.Errorf("entry of %v filed under %v", en["key_id"], en["_tenant"])
		}
	}
}

func TestFailClosed(t *testing.T) {
	e := newEnv(t)
	e.ledger.Fail.Store(true)
	st, _, b := e.post("/v1/chat/completions", keyA, hello)
	if st != 503 || jsonField(t, b, "error.code") != "audit_unavailable" {
		t.Errorf("ledger down: %d %s", st, b)
	}
	st, _, b = e.post("/v1/messages", keyA, `{"model":"gpt","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, "anthropic-version", "2023-06-01")
	if st != 503 || jsonField(t, b, "error.type") != "overloaded_error" {
		t.Errorf("ledger down, stream: %d %s", st, b)
	}
	// A tenant that opted into fail-open is served, and the entries that
	// do get through say so.
	e.policy.set("tenant-b", gateway.Policy{FailOpen: true})
	if st, _, b := e.post("/v1/chat/completions", keyB, hello); st != 200 {
		t.Errorf("fail-open tenant: %d %s", st, b)
	}
	e.ledger.Fail.Store(false)
	ev, err := gateway.FailOpenEvent("tenant-b", gatewaytestActor, true)
	if err != nil || ev.Type != "gateway.fail_open_set" {
		t.Errorf("fail-open event %+v %v", ev, err)
	}
	_, metrics := getMetrics(t, e)
	if !strings.Contains(metrics, `attest_gateway_audit_failures_total{fail_open="true",type="inference.request"} 1`) {
		t.Error("the fail-open audit failure is not counted")
	}
}

func getMetrics(t *testing.T, e *env) (int, string) {
	st, _, b := getURL(t, e.srv.URL+"/metrics")
	return st, string(b)
}

// TestClientDisconnect cancels a stream half way: the upstream call must
// be cancelled and the cancellation recorded.
func TestClientDisconnect(t *testing.T) {
	e := newEnv(t)
	e.openai.StreamDelay = 30 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"gpt","stream":true,"messages":[{"role":"user","content":"`+strings.Repeat("word ", 200)+`"}]}`))
	req.Header.Set("Authorization", "Bearer "+keyA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 512)
	if _, err := resp.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	id := resp.Header.Get("X-Request-Id")
	res := e.byRequest("inference.response", id)
	if res["cancelled"] != true {
		t.Errorf("response entry %v, want cancelled", res)
	}
	deadline := time.Now().Add(3 * time.Second)
	for e.openai.Cancelled.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the upstream call was not cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStreamNotCut sends a large body slowly and checks that the streamed
// answer arrives whole: the gateway reads the body before it writes.
func TestStreamNotCut(t *testing.T) {
	// Sending a megabyte upstream can outlast the harness's 500 ms attempt
	// timeout on a loaded machine under the race detector, and the rule
	// fallback would then answer: give the attempts room, so that only a
	// cut stream fails the test.
	e := newEnv(t, func(c *gatewayConfig, _ *gatewayDeps) {
		for i := range c.Routes {
			c.Routes[i].Timeout, c.Routes[i].AttemptTimeout = time.Minute, 30*time.Second
		}
	})
	pad := strings.Repeat("p", 1<<20)
	for _, model := range []string{"demo", "gpt"} {
		pr, pw := io.Pipe()
		go func() {
			body := `{"model":"` + model + `","stream":true,"messages":[{"role":"system","content":"` + pad + `"},{"role":"user","content":"` + strings.Repeat("many words here ", 50) + `"}]}`
			for i := 0; i < len(body); i += 64 << 10 {
				pw.Write([]byte(body[i:min(i+64<<10, len(body))]))
				time.Sleep(time.Millisecond)
			}
			pw.Close()
		}()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/v1/chat/completions", pr)
		req.Header.Set("Authorization", "Bearer "+keyA)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if fb := resp.Header.Get("X-Attest-Fallback"); fb != "" {
			t.Fatalf("%s: answered by the %s fallback, so the stream was not tested", model, fb)
		}
		if err != nil || !strings.HasSuffix(string(b), "data: [DONE]\n\n") || strings.Count(string(b), "data: ") < 50 {
			t.Errorf("%s: stream cut after %d bytes (%v): status %d, %.300q", model, len(b), err, resp.StatusCode, b)
		}
	}
}

func TestCredentialRotationFromVault(t *testing.T) {
	vault := gatewaytest.NewVault("vault-token")
	defer vault.Close()
	vault.Put("secret", "attest/openai", map[string]any{"api_key": "key-v1"})
	t.Setenv("TEST_VAULT_TOKEN", "vault-token")
	up := gatewaytest.NewUpstream(gatewaytest.OpenAI, "key-v1")
	defer up.Close()
	e := newEnv(t, func(c *gatewayConfig, _ *gatewayDeps) {
		c.Providers = append(c.Providers, gateway.ProviderConfig{Name: "vaulted", Kind: "openai", BaseURL: up.BaseURL(),
			Credential: gateway.CredentialConfig{Vault: &gateway.VaultConfig{Address: vault.URL, Mount: "secret", Path: "attest/openai", TokenEnv: "TEST_VAULT_TOKEN"}}})
		c.Routes = append(c.Routes, gateway.RouteConfig{Alias: "vaulted", Chain: []gateway.Target{{Provider: "vaulted", Model: "m"}}})
	})
	body := `{"model":"vaulted","messages":[{"role":"user","content":"hi"}]}`
	if st, _, b := e.post("/v1/chat/completions", keyA, body); st != 200 {
		t.Fatalf("with the first key: %d %s", st, b)
	}
	// Rotate: Vault gets a new version, the upstream accepts only it.
	vault.Put("secret", "attest/openai", map[string]any{"api_key": "key-v2"})
	v2 := "key-v2"
	up.Key.Store(&v2)
	n, err := e.gw.RotateCredentials(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("rotated %d (%v)", n, err)
	}
	if st, _, b := e.post("/v1/chat/completions", keyA, body); st != 200 {
		t.Fatalf("after rotation: %d %s", st, b)
	}
	if got := up.Requests(); got[len(got)-1].Header.Get("Authorization") != "Bearer key-v2" {
		t.Error("the rotated key was not used")
	}
	rot := e.entries("gateway.credential_rotated")
	if len(rot) != 1 || rot[0]["provider"] != "vaulted" || rot[0]["source"] != "vault" || rot[0]["source_version"] != "2" {
		t.Fatalf("rotation events %v", rot)
	}
	for _, en := range e.ledger.Entries("") {
		if strings.Contains(string(en.Data), "key-v") {
			t.Errorf("a ledger entry holds the secret: %s", en.Data)
		}
	}
	// An upstream 401 makes the gateway re-read the secret at once.
	vault.Put("secret", "attest/openai", map[string]any{"api_key": "key-v3"})
	v3 := "key-v3"
	up.Key.Store(&v3)
	e.post("/v1/chat/completions", keyA, body)
	deadline := time.Now().Add(3 * time.Second)
	for len(e.entries("gateway.credential_rotated")) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no rotation after the upstream refused the key")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st, _, b := e.post("/v1/chat/completions", keyA, body); st != 200 {
		t.Fatalf("after the on-demand refresh: %d %s", st, b)
	}
	if strings.Contains(e.logs.String(), "key-v") {
		t.Error("the logs hold a secret")
	}
}

func TestCredentialErrors(t *testing.T) {
	vault := gatewaytest.NewVault("right")
	defer vault.Close()
	t.Setenv("TEST_VAULT_TOKEN", "wrong")
	cfg := gateway.DefaultConfig()
	cfg.Providers = append(cfg.Providers, gateway.ProviderConfig{Name: "v", Kind: "openai",
		Credential: gateway.CredentialConfig{Vault: &gateway.VaultConfig{Address: vault.URL, Path: "x", TokenEnv: "TEST_VAULT_TOKEN"}}})
	_, err := gateway.New(context.Background(), cfg, minimalDeps())
	if err == nil || !strings.Contains(err.Error(), "status 403 permission denied") {
		t.Errorf("wrong vault token: %v", err)
	}
	cfg.Providers[1].Credential = gateway.CredentialConfig{Env: "TEST_UNSET_VARIABLE_XYZ"}
	if _, err := gateway.New(context.Background(), cfg, minimalDeps()); err == nil || !strings.Contains(err.Error(), "TEST_UNSET_VARIABLE_XYZ") {
		t.Errorf("unset variable: %v", err)
	}
	cfg.Providers[1].Credential = gateway.CredentialConfig{}
	if _, err := gateway.New(context.Background(), cfg, minimalDeps()); err == nil || !strings.Contains(err.Error(), "never written in the config") {
		t.Errorf("no credential: %v", err)
	}
}

func TestAbuseAlertAndThrottle(t *testing.T) {
	e := newEnv(t, func(c *gatewayConfig, _ *gatewayDeps) {
		c.Abuse.Enabled = true
		c.Abuse.Throttle = true
		c.Abuse.SweepMin = 20
	})
	var throttled bool
	for i := 0; i < 60 && !throttled; i++ {
		body := `{"model":"demo","messages":[{"role":"user","content":"What is the capital of country number ` + strconv.Itoa(i) + `? Answer with one word only."}]}`
		st, h, _ := e.post("/v1/chat/completions", keyA, body)
		throttled = st == 429 && h.Get("Retry-After") != ""
	}
	if !throttled {
		t.Fatal("a systematic sweep was never throttled")
	}
	alerts := e.entries("gateway.alert")
	if len(alerts) == 0 || alerts[0]["signal"] != "systematic_sweep" || alerts[0]["action"] != "throttle" || alerts[0]["_tenant"] != "tenant-a" {
		t.Fatalf("alerts %v", alerts)
	}
	// The throttle covers token counting too.
	if st, _, body := e.post("/v1/messages/count_tokens", keyA, `{"model":"demo","messages":[{"role":"user","content":"hi"}]}`); st != 429 || !strings.Contains(string(body), "throttled") {
		t.Errorf("token count by a throttled key: %d %s", st, body)
	}
	// Another tenant's key is unaffected.
	if st, _, _ := e.post("/v1/chat/completions", keyB, hello); st != 200 {
		t.Errorf("tenant B throttled too: %d", st)
	}
}

// TestTokenLimitsHoldUnderConcurrency sends many requests at once against
// a tokens-per-minute limit: admission holds each request's max_tokens
// until its real count is known, so requests in flight cannot all pass a
// budget that is nearly spent, and what goes unused is returned after.
func TestTokenLimitsHoldUnderConcurrency(t *testing.T) {
	// A slow upstream keeps the burst in flight together even on a loaded
	// machine; the routes get room for it.
	// The clock stands mid-minute, so the burst cannot straddle two
	// windows.
	mid := time.Now().Truncate(time.Minute).Add(30 * time.Second)
	e := newEnv(t, func(c *gatewayConfig, d *gatewayDeps) {
		for i := range c.Routes {
			c.Routes[i].Timeout, c.Routes[i].AttemptTimeout = time.Minute, 30*time.Second
		}
		d.Now = func() time.Time { return mid }
	})
	e.auth.Add("sk-tpm", gateway.Caller{KeyID: "key_tpm", Tenant: "tenant-a", Role: gateway.RoleConsumer, Limits: limits.Limits{TPM: 400}})
	e.openai.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{Delay: time.Second} })
	body := `{"model":"strict","max_tokens":100,"messages":[{"role":"user","content":"hello there"}]}`
	var wg sync.WaitGroup
	var ok, limited atomic.Int32
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch st, _, _ := e.post("/v1/chat/completions", "sk-tpm", body); st {
			case 200:
				ok.Add(1)
			case 429:
				limited.Add(1)
			}
		}()
	}
	wg.Wait()
	// Each request holds its prompt and 100 answer tokens: four fit in 400.
	if ok.Load() > 4 || ok.Load() < 1 || ok.Load()+limited.Load() != 12 {
		t.Fatalf("%d admitted and %d limited of 12 concurrent requests against 400 tokens a minute", ok.Load(), limited.Load())
	}
	// Settled to their real size (a few tokens each), the admitted requests
	// returned what they held: the next request fits.
	e.openai.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{} })
	if st, _, b := e.post("/v1/chat/completions", "sk-tpm", body); st != 200 {
		t.Fatalf("after the burst settled: %d %s", st, b)
	}
}
