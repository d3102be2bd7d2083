package gateway_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
)

// TestUpstreamFaults injects faults into the primary of the "chain" route
// and checks that the secondary or the rule-based answer serves, that the
// fallback is marked in the header and the audit entry, and that every
// request has both audit entries.
func TestUpstreamFaults(t *testing.T) {
	for _, tc := range []struct {
		name      string
		primary   gatewaytest.Fault
		secondary gatewaytest.Fault
		stream    bool
		prompt    string
		fallback  string
		want      string
	}{
		{name: "5xx", primary: gatewaytest.Fault{Status: 503}, fallback: "secondary", want: "echo: hi"},
		{name: "429 then ok", primary: gatewaytest.Fault{Status: 429, RetryAfter: "0"}, fallback: "secondary", want: "echo: hi"},
		{name: "hang", primary: gatewaytest.Fault{Hang: true}, fallback: "secondary", want: "echo: hi"},
		{name: "garbage", primary: gatewaytest.Fault{Garbage: true}, fallback: "secondary", want: "echo: hi"},
		{name: "reset before headers", primary: gatewaytest.Fault{ResetBeforeHeaders: true}, fallback: "secondary", want: "echo: hi"},
		{name: "reset mid body", primary: gatewaytest.Fault{ResetMidStream: true}, fallback: "secondary", want: "echo: hi"},
		{name: "stream 5xx", primary: gatewaytest.Fault{Status: 500}, stream: true, fallback: "secondary", want: "echo: hi"},
		{name: "stream hang", primary: gatewaytest.Fault{Hang: true}, stream: true, fallback: "secondary", want: "echo: hi"},
		{name: "stream garbage", primary: gatewaytest.Fault{Garbage: true}, stream: true, fallback: "secondary", want: "echo: hi"},
		{name: "both fail", primary: gatewaytest.Fault{Status: 500}, secondary: gatewaytest.Fault{Status: 502}, fallback: "rule", want: "fallback answer"},
		{name: "both fail, rule matches", primary: gatewaytest.Fault{Status: 500}, secondary: gatewaytest.Fault{Hang: true}, prompt: "I want a Refund now", fallback: "rule", want: "refunds take 5 days"},
		{name: "both fail streaming", primary: gatewaytest.Fault{ResetBeforeHeaders: true}, secondary: gatewaytest.Fault{Garbage: true}, stream: true, fallback: "rule", want: "fallback answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.openai.SetFault(func(int) gatewaytest.Fault { return tc.primary })
			e.openai2.SetFault(func(int) gatewaytest.Fault { return tc.secondary })
			prompt := tc.prompt
			if prompt == "" {
				prompt = "hi"
			}
			body := `{"model":"chain","messages":[{"role":"user","content":"` + prompt + `"}],"stream":` + map[bool]string{true: "true", false: "false"}[tc.stream] + `}`
			st, h, b := e.post("/v1/chat/completions", keyA, body)
			if st != 200 {
				t.Fatalf("status %d: %s", st, b)
			}
			if h.Get("X-Attest-Fallback") != tc.fallback {
				t.Errorf("X-Attest-Fallback = %q, want %q", h.Get("X-Attest-Fallback"), tc.fallback)
			}
			text := string(b)
			if tc.stream {
				text = streamText(t, text)
			} else {
				text = jsonField(t, b, "choices.0.message.content")
			}
			if text != tc.want {
				t.Errorf("answer %q, want %q", text, tc.want)
			}
			id := h.Get("X-Request-Id")
			e.byRequest("inference.request", id)
			res := e.byRequest("inference.response", id)
			if res["fallback"] != tc.fallback || res["status"] != float64(200) {
				t.Errorf("response entry: fallback %v status %v", res["fallback"], res["status"])
			}
			if e.openai.Count() == 0 {
				t.Error("the primary was never tried")
			}
		})
	}
}

// TestStreamBreaksAfterFirstByte checks that a stream which breaks after
// content went out is not failed over: the client gets the partial answer
// and an error event, and the audit entry says so.
func TestStreamBreaksAfterFirstByte(t *testing.T) {
	e := newEnv(t)
	e.openai.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{ResetMidStream: true} })
	st, h, b := e.post("/v1/chat/completions", keyA, `{"model":"chain","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if st != 200 || h.Get("X-Attest-Fallback") != "" {
		t.Fatalf("status %d fallback %q", st, h.Get("X-Attest-Fallback"))
	}
	if !strings.Contains(string(b), `"partial `) || !strings.Contains(string(b), `"upstream_stream_broken"`) || strings.Contains(string(b), "[DONE]") {
		t.Errorf("stream: %s", b)
	}
	if e.openai2.Count() != 0 {
		t.Error("a stream that had sent bytes was failed over")
	}
	res := e.byRequest("inference.response", h.Get("X-Request-Id"))
	if res["error"] != "upstream_stream_broken" {
		t.Errorf("error = %v", res["error"])
	}
	// An Anthropic stream that breaks before any content fails over.
	e2 := newEnv(t)
	e2.anthropic.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{ResetMidStream: true} })
	st, h, b = e2.post("/v1/chat/completions", keyA, `{"model":"mixed","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if st != 200 || h.Get("X-Attest-Fallback") != "secondary" || streamText(t, string(b)) != "echo: hi" {
		t.Errorf("status %d fallback %q body %s", st, h.Get("X-Attest-Fallback"), b)
	}
}

func TestNoFallbackGives502(t *testing.T) {
	e := newEnv(t)
	e.openai.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{Status: 500} })
	st, h, b := e.post("/v1/chat/completions", keyA, `{"model":"strict","messages":[{"role":"user","content":"hi"}]}`)
	if st != 502 || jsonField(t, b, "error.code") != "upstream_failed" {
		t.Fatalf("status %d body %s", st, b)
	}
	if e.openai.Count() != 2 {
		t.Errorf("primary tried %d times, want 2 (one retry)", e.openai.Count())
	}
	res := e.byRequest("inference.response", h.Get("X-Request-Id"))
	if res["status"] != float64(502) || res["attempts"] != float64(2) {
		t.Errorf("response entry %v", res)
	}
}

func TestRouteTimeout(t *testing.T) {
	e := newEnv(t)
	e.openai.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{Hang: true} })
	start := time.Now()
	st, _, b := e.post("/v1/chat/completions", keyA, `{"model":"strict","messages":[{"role":"user","content":"hi"}]}`)
	if st != 504 && st != 502 {
		t.Fatalf("status %d body %s", st, b)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v; the attempt timeout is 500ms", d)
	}
}

func TestCircuitBreaker(t *testing.T) {
	e := newEnv(t, func(c *gatewayConfig, _ *gatewayDeps) {
		c.Breaker.Failures = 2
		c.Breaker.Cooldown = time.Hour
		c.Breaker.ProbeInterval = 20 * time.Millisecond
		c.Retry.MaxAttempts = 1
	})
	e.openai.SetFault(func(int) gatewaytest.Fault { return gatewaytest.Fault{Status: 500} })
	for i := 0; i < 5; i++ {
		e.post("/v1/chat/completions", keyA, `{"model":"chain","messages":[{"role":"user","content":"hi"}]}`)
	}
	if n := e.openai.Count(); n != 2 {
		t.Errorf("primary called %d times; the breaker should open after 2 failures", n)
	}
	// Health probes close the breaker once the provider answers again.
	e.openai.SetFault(nilFault)
	e.gw.Start()
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, h, _ := e.post("/v1/chat/completions", keyA, `{"model":"chain","messages":[{"role":"user","content":"hi"}]}`)
		if h.Get("X-Attest-Fallback") == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the breaker never closed after the provider recovered")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func nilFault(int) gatewaytest.Fault { return gatewaytest.Fault{} }

// streamText joins the content deltas of an OpenAI event stream.
func streamText(t *testing.T, s string) string {
	t.Helper()
	var out strings.Builder
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || d == "[DONE]" {
			continue
		}
		out.WriteString(jsonFieldOr([]byte(d), "choices.0.delta.content"))
	}
	return out.String()
}

var _ = http.StatusOK
