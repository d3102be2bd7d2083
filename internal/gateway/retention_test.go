package gateway_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
	"github.com/attest-ai/attest/internal/ledger"
)

// fileLedger writes each canonical entry to a file in a data directory, as
// a durable ledger would.
type fileLedger struct {
	mu sync.Mutex
	f  *os.File
	n  uint64
}

func (l *fileLedger) Append(_ context.Context, e ledger.Event) (uint64, error) {
	data, err := e.Canonical(time.Now())
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(append(data, '\n')); err != nil {
		return 0, err
	}
	l.n++
	return l.n, nil
}

// TestZeroRetentionCanaries sends 10,000 requests carrying canary strings
// in prompts, system prompts, tool arguments and end-user ids, in both
// protocols, streaming and not, through working and failing upstreams;
// then searches the data directory, the logs, the metrics and the traces.
func TestZeroRetentionCanaries(t *testing.T) {
	n := canaryRequests
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fl := &fileLedger{f: f}
	rec := &recorder{}
	e := newEnv(t, func(c *gatewayConfig, d *gatewayDeps) {
		d.Ledger = fl
		d.Tracer = rec
		c.Tracing = true
		c.Abuse.Enabled = true
	})
	for _, u := range []*gatewaytest.Upstream{e.openai, e.openai2, e.anthropic} {
		u.Record = false
	}
	// Every seventh request of the primary fails, so fallback and error
	// paths carry canaries too.
	e.openai.SetFault(func(n int) gatewaytest.Fault {
		if n%7 == 0 {
			return gatewaytest.Fault{Status: 500}
		}
		return gatewaytest.Fault{}
	})
	canary := func(i int) string { return fmt.Sprintf("CANARY%05dqz", i) }
	bodies := func(i int) (path, body string, headers []string) {
		c := canary(i)
		switch i % 6 {
		case 0:
			return "/v1/chat/completions", `{"model":"chain","user":"user-` + c + `","messages":[{"role":"system","content":"sys ` + c + `"},{"role":"user","content":"hello ` + c + `"}]}`, nil
		case 1:
			return "/v1/chat/completions", `{"model":"demo","stream":true,"messages":[{"role":"user","content":"stream ` + c + `"}]}`, []string{"X-Attest-Subject", "subj-" + c}
		case 2:
			return "/v1/chat/completions", `{"model":"gpt","messages":[{"role":"user","content":"tool ` + c + `"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`, nil
		case 3:
			return "/v1/messages", `{"model":"claude","max_tokens":32,"metadata":{"user_id":"u-` + c + `"},"messages":[{"role":"user","content":"anthropic ` + c + `"}]}`, []string{"anthropic-version", "2023-06-01"}
		case 4:
			return "/v1/messages", `{"model":"gpt","max_tokens":32,"stream":true,"messages":[{"role":"user","content":"cross ` + c + `"}]}`, []string{"anthropic-version", "2023-06-01"}
		default:
			return "/v1/embeddings", `{"model":"embed","input":["embed ` + c + `"]}`, nil
		}
	}
	var wg sync.WaitGroup
	work := make(chan int)
	var failures sync.Map
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				path, body, hs := bodies(i)
				req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+keyA)
				for j := 0; j+1 < len(hs); j += 2 {
					req.Header.Set(hs[j], hs[j+1])
				}
				resp, err := client.Do(req)
				if err != nil {
					failures.Store(i, err.Error())
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				// Embeddings have no rule-based fallback, so two failures
				// in a row of the primary give a 502.
				if resp.StatusCode != 200 && !(resp.StatusCode == 502 && strings.Contains(path, "embeddings")) {
					failures.Store(i, fmt.Sprintf("status %d: %.200s", resp.StatusCode, b))
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	failures.Range(func(k, v any) bool {
		t.Errorf("request %v: %v", k, v)
		return false
	})
	// Wait for the last response entries.
	deadline := time.Now().Add(10 * time.Second)
	for {
		fl.mu.Lock()
		got := fl.n
		fl.mu.Unlock()
		if got >= uint64(2*n) || time.Now().After(deadline) {
			if got < uint64(2*n) {
				t.Fatalf("%d ledger entries for %d requests, want two each", got, n)
			}
			break
		}
		time.Sleep(10 * time.Millisecond)
	}

	_, _, metrics := getURL(t, e.srv.URL+"/metrics")
	places := map[string][]byte{"logs": []byte(e.logs.String()), "metrics": metrics, "traces": []byte(rec.dump())}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			places["data dir "+filepath.Base(p)] = b
		}
		return nil
	})
	for name, b := range places {
		if len(b) == 0 {
			t.Errorf("%s is empty; the search would prove nothing", name)
		}
		if i := bytes.Index(b, []byte("CANARY")); i >= 0 {
			t.Errorf("canary found in %s: %.80q", name, b[i:])
		}
	}
	if len(e.sealer.SealCalls()) != 0 {
		t.Error("zero retention sealed a payload")
	}
	if !strings.Contains(string(metrics), "attest_gateway_requests_total") || !strings.Contains(rec.dump(), "gen_ai.usage.input_tokens") {
		t.Error("metrics or traces are missing their series")
	}
}

func getURL(t *testing.T, u string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func TestRetentionModes(t *testing.T) {
	for _, tc := range []struct {
		policy    gateway.Policy
		kinds     []string
		ttl       time.Duration
		redacted  bool
		plaintext bool
	}{
		{gateway.Policy{}, nil, 0, false, false},
		{gateway.Policy{Retention: gateway.RetainRedacted, RetentionDays: 7}, []string{"prompt.redacted", "response.redacted"}, 7 * 24 * time.Hour, true, false},
		{gateway.Policy{Retention: gateway.RetainFull}, []string{"prompt", "response"}, 0, false, true},
	} {
		t.Run(tc.policy.Retention, func(t *testing.T) {
			e := newEnv(t)
			e.policy.set("tenant-a", tc.policy)
			_, h, _ := e.post("/v1/chat/completions", keyA, `{"model":"gpt","user":"alice","messages":[{"role":"user","content":"secret plan"}]}`)
			res := e.byRequest("inference.response", h.Get("X-Request-Id"))
			req := e.byRequest("inference.request", h.Get("X-Request-Id"))
			calls := e.sealer.SealCalls()
			if len(calls) != len(tc.kinds) {
				t.Fatalf("%d seal calls, want %d", len(calls), len(tc.kinds))
			}
			for i, c := range calls {
				if c.Kind != tc.kinds[i] || c.TTL != tc.ttl || c.Tenant != "tenant-a" || !strings.HasPrefix(c.Subject, "p_tenant-a_") {
					t.Errorf("seal call %+v", c)
				}
				if strings.Contains(string(c.Plaintext), "secret plan") != tc.plaintext && c.Kind[0] == 'p' {
					t.Errorf("%s payload %s", c.Kind, c.Plaintext)
				}
			}
			wantRef := len(tc.kinds) > 0
			if (req["payload_ref"] != nil) != wantRef || (res["payload_ref"] != nil) != wantRef {
				t.Errorf("payload refs: request %v response %v", req["payload_ref"], res["payload_ref"])
			}
			if req["prompt_hmac"] == "" || res["response_hmac"] == "" || req["retention"] != map[string]string{"": "zero"}[tc.policy.Retention]+tc.policy.Retention {
				t.Errorf("request entry %v", req)
			}
		})
	}
}
