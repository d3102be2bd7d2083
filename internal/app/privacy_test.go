package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/privacy"
	"gopkg.in/yaml.v3"
)

func TestDataFlows(t *testing.T) {
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	var n yaml.Node
	yaml.Unmarshal([]byte(`
providers:
  - {name: demo, kind: demo, region: local, models: [attest-demo-echo]}
  - {name: eu-llm, kind: demo, region: eu-west, max_class: restricted, models: [eu-echo]}
routes:
  - {alias: demo, chain: [{provider: demo, model: attest-demo-echo}, {provider: eu-llm, model: eu-echo}]}
`), &n)
	c.Gateway = *n.Content[0]
	a, err := app.Open(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Privacy.SetRegions(ctx, ledger.Actor{Kind: ledger.ActorHuman, ID: "dpo"}, privacy.TenantRegions{Tenant: "default", Allowed: []string{"eu-west"}})
	r := httptest.NewRequest("GET", "/api/v1/privacy/data-flows", nil)
	r.Header.Set("Authorization", "Bearer "+a.AdminToken)
	w := httptest.NewRecorder()
	a.Web.ServeHTTP(w, r)
	var out struct {
		Flows []privacy.Flow
	}
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil || w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if len(out.Flows) != 1 || len(out.Flows[0].Providers) != 1 || out.Flows[0].Providers[0] != "eu-llm" || out.Flows[0].Regions[0] != "eu-west" {
		t.Fatalf("flows: %+v", out.Flows)
	}
}
