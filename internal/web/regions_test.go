package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/ledger"
)

// TestRegionPolicyAPI sets a tenant's region policy through the API and
// checks the gateway obeys it: the built-in demo provider runs in region
// "local", so a tenant allowed only eu-west gets no provider.
func TestRegionPolicyAPI(t *testing.T) {
	e := newEnv(t)
	comp := e.key("acme", "compliance")
	consumer := e.key("acme", "consumer")
	chat := `{"model":"demo","messages":[{"role":"user","content":"hi"}]}`

	var tr struct {
		Tenant  string
		Allowed []string
		Class   string
	}
	json.Unmarshal(e.expect(200, "GET", "/api/v1/privacy/regions/acme", comp, nil), &tr)
	if tr.Tenant != "acme" || tr.Allowed == nil || len(tr.Allowed) != 0 {
		t.Fatalf("default policy: %+v", tr)
	}
	e.expect(200, "POST", "/v1/chat/completions", consumer, chat)

	before := e.a.Log.Size()
	e.expect(400, "PUT", "/api/v1/privacy/regions/acme", comp, map[string]any{"allowed": []string{"eu west"}})
	e.expect(400, "PUT", "/api/v1/privacy/regions/acme", comp, map[string]any{"allowed": []string{"eu-west"}, "class": "secret"})
	e.expect(400, "PUT", "/api/v1/privacy/regions/acme", comp, `{"allowed":"eu-west"}`)
	e.expect(403, "PUT", "/api/v1/privacy/regions/beta", comp, map[string]any{"allowed": []string{"eu-west"}})
	e.expect(403, "PUT", "/api/v1/privacy/regions/acme", consumer, map[string]any{"allowed": []string{"eu-west"}})
	if e.a.Log.Size() != before {
		t.Fatal("a refused policy change left evidence")
	}

	json.Unmarshal(e.expect(200, "PUT", "/api/v1/privacy/regions/acme", comp, map[string]any{"allowed": []string{"eu-west"}, "class": "confidential"}), &tr)
	if len(tr.Allowed) != 1 || tr.Class != "confidential" {
		t.Fatalf("set policy: %+v", tr)
	}
	// The gateway answers in the OpenAI error shape.
	if resp, body := e.do("POST", "/v1/chat/completions", consumer, chat); resp.StatusCode != 403 || !strings.Contains(string(body), `region \"local\"`) {
		t.Fatalf("a request outside the tenant's regions: %d %s", resp.StatusCode, body)
	}
	e.expect(200, "PUT", "/api/v1/privacy/regions/acme", comp, map[string]any{"allowed": []string{"eu-west", "local"}})
	e.expect(200, "POST", "/v1/chat/completions", consumer, chat)

	es, _ := e.a.Store.QueryLedger(t.Context(), ledger.Query{Type: "tenant.regions_set", Tenant: "acme", Limit: 10})
	if len(es) != 2 {
		t.Fatalf("%d tenant.regions_set events, want 2", len(es))
	}
}
