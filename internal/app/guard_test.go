package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/privacy"
	"gopkg.in/yaml.v3"
)

// TestGatewayGuardsAndPrivacyWired drives the real wiring: the guard
// engine with the default policy, the guard policy API, consent from the
// privacy service taking effect on the next request, and region limits.
func TestGatewayGuardsAndPrivacyWired(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	// A route backed by a registry model that has no approved version.
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("routes: [{alias: demo, chain: [{provider: demo, model: attest-demo-echo}]}, {alias: support, registry_model: support, chain: [{provider: demo, model: attest-demo-echo}]}]"), &doc); err != nil {
		t.Fatal(err)
	}
	c.Gateway = *doc.Content[0]
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv := httptest.NewServer(a.Web)
	defer srv.Close()
	admin := access.Principal{ID: "t", Kind: "test", Tenant: "acme", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	adminKey, _, err := a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "ops", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman})
	if err != nil {
		t.Fatal(err)
	}
	appKey, _, err := a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: "acme", Name: "app", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path, key, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	chat := func(user string) (int, string) {
		return do(http.MethodPost, "/v1/chat/completions", appKey,
			`{"model":"demo","messages":[{"role":"user","content":"write to jane.doe@example.com"}],"user":"`+user+`"}`)
	}

	st, body := do(http.MethodPost, "/v1/chat/completions", appKey, `{"model":"support","messages":[{"role":"user","content":"hi"}]}`)
	if st != http.StatusForbidden || !strings.Contains(body, "model_not_servable") || !strings.Contains(body, "has no production alias; promote a version") {
		t.Fatalf("unapproved registry model: %d %s", st, body)
	}
	st, body = do(http.MethodGet, "/api/v1/guard/policy", adminKey, "")
	if st != http.StatusOK || !strings.Contains(body, `"default":true`) {
		t.Fatalf("guard policy API: %d %s", st, body)
	}
	// The default policy redacts before the demo model echoes.
	st, body = chat("u-1")
	if st != http.StatusOK || strings.Contains(body, "jane.doe@example.com") || !strings.Contains(body, "EMAIL_1") {
		t.Fatalf("guarded chat: %d %s", st, body)
	}

	// An opt-out of AI processing applies to the very next request.
	if _, err := a.Privacy.RecordConsent(ctx, "acme", admin.Actor(), "u-1", privacy.PurposeAI, false, "test"); err != nil {
		t.Fatal(err)
	}
	if st, body = chat("u-1"); st != http.StatusForbidden || !strings.Contains(body, "opted out of AI processing") {
		t.Errorf("after the opt-out: %d %s", st, body)
	}
	if st, _ = chat("u-2"); st != http.StatusOK {
		t.Errorf("another user: %d", st)
	}

	// A tenant kept to eu never reaches the demo provider, which declares
	// no region.
	if err := a.Privacy.SetRegions(ctx, admin.Actor(), privacy.TenantRegions{Tenant: "acme", Allowed: []string{"eu-west-1"}}); err != nil {
		t.Fatal(err)
	}
	if st, body = chat("u-2"); st != http.StatusForbidden || !strings.Contains(body, "no_approved_provider") {
		t.Errorf("region-restricted tenant: %d %s", st, body)
	}

	// Response entries ride with the next commit; wait for them.
	for deadline := time.Now().Add(5 * time.Second); a.Log.Pending() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	es, _ := a.Store.QueryLedger(ctx, ledger.Query{Tenant: "acme", Type: "inference.response", Limit: 50})
	refusals := map[string]int{}
	for _, e := range es {
		ev, _ := ledger.ParseEntryData(e.Data)
		var b map[string]any
		json.Unmarshal(ev.Body, &b)
		if r, _ := b["refused"].(string); r != "" {
			refusals[r]++
		}
		if strings.Contains(string(e.Data), "jane.doe") || strings.Contains(string(e.Data), "u-1") {
			t.Fatalf("personal data in the ledger: %s", e.Data)
		}
	}
	if refusals["consent"] != 1 || refusals["data_flow"] != 1 {
		t.Errorf("refusals recorded: %v", refusals)
	}
}
