package gateway_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/gateway"
	"github.com/attest-ai/attest/internal/gateway/gatewaytest"
)

// withPrivacy wires p and gives the providers of route chain classes and
// regions: oa takes up to internal data in us, oa2 anything in eu.
func withPrivacy(p gateway.Privacy) envOption {
	return func(c *gateway.Config, d *gateway.Deps) {
		d.Privacy = p
		for i := range c.Providers {
			switch c.Providers[i].Name {
			case "oa":
				c.Providers[i].MaxClass, c.Providers[i].Region = gateway.ClassInternal, "us"
			case "oa2":
				c.Providers[i].MaxClass, c.Providers[i].Region = gateway.ClassRestricted, "eu"
			}
		}
	}
}

var errTest = errors.New("store unavailable")

const userHello = `{"model":"chain","messages":[{"role":"user","content":"hello"}],"user":"end-user-1"}`

// TestConsentOptOut checks that an opt-out applies to the very next
// request: out of AI processing refuses it, out of human review serves it
// without keeping anything.
func TestConsentOptOut(t *testing.T) {
	p := gatewaytest.NewPrivacy()
	e := newEnv(t, withPrivacy(p))
	e.policy.set("tenant-a", gateway.Policy{Retention: gateway.RetainFull})
	sub := gatewaytest.Pseudonym("tenant-a", "end-user-1").ID
	st, h, b := e.post("/v1/chat/completions", keyA, strings.Replace(userHello, `"chain"`, `"gpt"`, 1), gateway.ClassHeader, "internal")
	if st != 200 {
		t.Fatalf("before the opt-out: %d %s", st, b)
	}
	// The answer is sealed with the response entry, after it went out.
	e.byRequest("inference.response", h.Get("X-Request-Id"))
	sealed := len(e.sealer.SealCalls())
	if sealed == 0 {
		t.Fatal("full retention kept nothing before the opt-out")
	}

	p.OptOut("tenant-a", sub, gatewaytest.PurposeHumanReview)
	st, h, b = e.post("/v1/chat/completions", keyA, strings.Replace(userHello, `"chain"`, `"gpt"`, 1), gateway.ClassHeader, "internal")
	if st != 200 {
		t.Fatalf("after opting out of human review: %d %s", st, b)
	}
	req := e.byRequest("inference.request", h.Get("X-Request-Id"))
	if req["retention"] != "zero" || req["consent"] != "human_review_opted_out" || req["payload_ref"] != nil {
		t.Errorf("request entry %v", req)
	}
	e.byRequest("inference.response", h.Get("X-Request-Id"))
	if n := len(e.sealer.SealCalls()); n != sealed {
		t.Errorf("%d payloads sealed for a user who opted out of human review", n-sealed)
	}

	p.OptOut("tenant-a", sub, gatewaytest.PurposeAI)
	before := e.openai.Count()
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", strings.Replace(userHello, `"chain"`, `"gpt"`, 1)},
		{"/v1/messages", `{"model":"gpt","max_tokens":10,"messages":[{"role":"user","content":"hello"}],"metadata":{"user_id":"end-user-1"}}`},
		{"/v1/embeddings", `{"model":"embed","input":"hello","user":"end-user-1"}`},
	} {
		st, h, b = e.post(c.path, keyA, c.body, "anthropic-version", "2023-06-01")
		if st != http.StatusForbidden || !strings.Contains(string(b), "opted out of AI processing") {
			t.Errorf("%s after opting out of AI processing: %d %s", c.path, st, b)
		}
		res := e.byRequest("inference.response", h.Get("X-Request-Id"))
		if res["refused"] != "consent" || res["consent"] != "ai_processing_opted_out" {
			t.Errorf("%s: refusal recorded as %v", c.path, res)
		}
	}
	// The header names the user too.
	st, _, _ = e.post("/v1/chat/completions", keyA, `{"model":"gpt","messages":[{"role":"user","content":"hello"}]}`, gateway.SubjectHeader, "end-user-1")
	if st != http.StatusForbidden || e.openai.Count() != before {
		t.Errorf("the opted-out user reached the upstream: %d", st)
	}
	// Other users and other tenants are not affected.
	if st, _, _ := e.post("/v1/chat/completions", keyA, strings.Replace(userHello, "end-user-1", "end-user-2", 1), gateway.ClassHeader, "internal"); st != 200 {
		t.Errorf("another user: %d", st)
	}
	// A consent store that cannot answer blocks the request.
	p.SetFail(errTest)
	if st, _, _ := e.post("/v1/chat/completions", keyA, strings.Replace(userHello, "end-user-1", "end-user-2", 1)); st != http.StatusServiceUnavailable {
		t.Errorf("consent unknown: %d", st)
	}
}

// TestClassRouting tags requests with data classes: each goes to the
// first provider of the chain that may take its class, and the skipped
// ones are recorded.
func TestClassRouting(t *testing.T) {
	p := gatewaytest.NewPrivacy()
	e := newEnv(t, withPrivacy(p))
	for _, c := range []struct {
		class, want string
		skipped     int
	}{
		{"public", "oa", 0},
		{"internal", "oa", 0},
		{"", "oa2", 1}, // untagged requests are confidential
		{"restricted", "oa2", 1},
	} {
		st, h, b := e.post("/v1/chat/completions", keyA, userHello, gateway.ClassHeader, c.class)
		if st != 200 {
			t.Fatalf("%q: %d %s", c.class, st, b)
		}
		res := e.byRequest("inference.response", h.Get("X-Request-Id"))
		want := c.class
		if want == "" {
			want = "confidential"
		}
		skipped, _ := res["providers_skipped"].([]any)
		if res["provider"] != c.want || res["data_class"] != want || len(skipped) != c.skipped || h.Get(gateway.FallbackHeader) != "" {
			t.Errorf("%q: served by %v as %v, skipped %v, fallback %q", c.class, res["provider"], res["data_class"], skipped, h.Get(gateway.FallbackHeader))
		}
		if c.skipped > 0 && !strings.Contains(skipped[0].(map[string]any)["reason"].(string), "allowed up to internal") {
			t.Errorf("%q: skip reason %v", c.class, skipped)
		}
		req := e.byRequest("inference.request", h.Get("X-Request-Id"))
		if req["data_class"] != want {
			t.Errorf("%q: request entry class %v", c.class, req["data_class"])
		}
	}
	// A tenant's own class is the floor.
	p.SetTenant("tenant-a", gateway.ClassRestricted)
	_, h, _ := e.post("/v1/chat/completions", keyA, userHello, gateway.ClassHeader, "public")
	if res := e.byRequest("inference.response", h.Get("X-Request-Id")); res["provider"] != "oa2" || res["data_class"] != "restricted" {
		t.Errorf("tenant class ignored: %v", res)
	}
	p.SetTenant("tenant-a", "")
	// No provider of gpt may take restricted data: refused, never sent.
	before := e.openai.Count()
	st, h, b := e.post("/v1/chat/completions", keyA, strings.Replace(userHello, `"chain"`, `"gpt"`, 1), gateway.ClassHeader, "restricted")
	if st != http.StatusForbidden || !strings.Contains(string(b), "no_approved_provider") || !strings.Contains(string(b), "allowed up to internal") || e.openai.Count() != before {
		t.Errorf("restricted on gpt: %d %s", st, b)
	}
	if res := e.byRequest("inference.response", h.Get("X-Request-Id")); res["refused"] != "data_flow" || res["data_class"] != "restricted" {
		t.Errorf("refusal recorded as %v", res)
	}
	if st, _, b := e.post("/v1/chat/completions", keyA, userHello, gateway.ClassHeader, "secret"); st != http.StatusBadRequest || !strings.Contains(string(b), gateway.ClassHeader) {
		t.Errorf("unknown class: %d %s", st, b)
	}
}

// TestRegionRouting restricts a tenant to eu: it never reaches the us
// provider, and a route with only us providers refuses it.
func TestRegionRouting(t *testing.T) {
	p := gatewaytest.NewPrivacy()
	e := newEnv(t, withPrivacy(p))
	p.SetTenant("tenant-a", "", "eu")
	before := e.openai.Count()
	st, h, b := e.post("/v1/chat/completions", keyA, userHello, gateway.ClassHeader, "public")
	if st != 200 {
		t.Fatalf("%d %s", st, b)
	}
	res := e.byRequest("inference.response", h.Get("X-Request-Id"))
	if res["provider"] != "oa2" || e.openai.Count() != before {
		t.Errorf("an eu tenant reached a us provider: %v", res)
	}
	st, _, b = e.post("/v1/embeddings", keyA, `{"model":"embed","input":"hello"}`, gateway.ClassHeader, "public")
	if st != http.StatusForbidden || !strings.Contains(string(b), `region \"us\"`) || e.openai.Count() != before {
		t.Errorf("embeddings to a us provider: %d %s", st, b)
	}
	// Tenant B is not restricted.
	if st, _, _ := e.post("/v1/chat/completions", keyB, userHello, gateway.ClassHeader, "public"); st != 200 || e.openai.Count() != before+1 {
		t.Errorf("tenant b: %d", st)
	}
	p.SetFail(errTest)
	if st, _, _ := e.post("/v1/chat/completions", keyB, userHello); st != http.StatusServiceUnavailable {
		t.Errorf("data-flow rules unknown: %d", st)
	}
}

// TestMaxClassWithoutPrivacy applies the providers' max_class even when
// no privacy service is wired.
func TestMaxClassWithoutPrivacy(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config, d *gateway.Deps) {
		withPrivacy(nil)(c, d)
		d.Privacy = nil
	})
	_, h, _ := e.post("/v1/chat/completions", keyA, userHello)
	if res := e.byRequest("inference.response", h.Get("X-Request-Id")); res["provider"] != "oa2" || res["data_class"] != "confidential" {
		t.Errorf("untagged request: %v", res)
	}
	_, h, _ = e.post("/v1/chat/completions", keyA, userHello, gateway.ClassHeader, "Internal")
	if res := e.byRequest("inference.response", h.Get("X-Request-Id")); res["provider"] != "oa" {
		t.Errorf("internal request: %v", res)
	}
}

// TestNoGuardSaysUnscanned: without a guard, every entry says the request
// was not scanned.
func TestNoGuardSaysUnscanned(t *testing.T) {
	e := newEnv(t)
	_, h, _ := e.post("/v1/chat/completions", keyA, hello)
	for _, typ := range []string{"inference.request", "inference.response"} {
		g, _ := e.byRequest(typ, h.Get("X-Request-Id"))["guard"].(map[string]any)
		if g["action"] != "allow" || g["scanned"] != false {
			t.Errorf("%s guard summary %v", typ, g)
		}
	}
}
