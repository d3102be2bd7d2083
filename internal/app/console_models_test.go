package app

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

// seedSignedModel registers model "router" with signed versions 1 and 2;
// version 1 comes from training run "run-0412".
func seedSignedModel(t *testing.T, a *App, tenant string, eng ledger.Actor) {
	t.Helper()
	ctx := context.Background()
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Models.TrustKey(ctx, tenant, eng, "test-key", pub); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Models.RegisterModel(ctx, tenant, eng, registry.ModelSpec{Name: "router", Purpose: "route tickets", Owner: "ml-team", Risk: registry.RiskLimited}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1", "2"} {
		dir := filepath.Join(t.TempDir(), v)
		os.MkdirAll(dir, 0o755)
		os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("weights "+v), 0o644)
		s, err := signing.NewSigner(key)
		if err != nil {
			t.Fatal(err)
		}
		sig, err := s.Sign(ctx, dir, signing.HashOptions{})
		if err != nil {
			t.Fatal(err)
		}
		spec := registry.VersionSpec{Version: v, Bundle: sig.Bundle}
		if v == "1" {
			spec.TrainingRun = "run-0412"
		}
		if _, err := a.Models.RegisterVersion(ctx, tenant, eng, "router", spec); err != nil {
			t.Fatal(err)
		}
	}
}

func change(version string) registry.ChangeSpec {
	return registry.ChangeSpec{
		Target:      registry.Target{Kind: registry.KindModel, Name: "router", Version: version, Alias: registry.AliasStaging},
		Description: "promote router@" + version, RollbackPlan: "move staging back",
	}
}

// TestConsoleApprovals decides registry changes through the console: the
// queue lists pending changes, the registry's separation of duties refuses
// alice's own request with its own words, and her approval of another's
// request applies it and moves the alias the model page shows.
func TestConsoleApprovals(t *testing.T) {
	e := openConsole(t)
	ctx, tenant := context.Background(), e.a.Config.Tenant
	eng := ledger.Actor{Kind: ledger.ActorHuman, ID: "key:ml-engineer"}
	alice := ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}
	seedSignedModel(t, e.a, tenant, eng)
	other, err := e.a.Models.RequestChange(ctx, tenant, eng, change("1"))
	if err != nil {
		t.Fatal(err)
	}
	own, err := e.a.Models.RequestChange(ctx, tenant, alice, change("2"))
	if err != nil {
		t.Fatal(err)
	}
	e.page("/models", other.ID, own.ID, "promote router@1", "key:ml-engineer")

	code, body := e.post("/approvals/"+own.ID, url.Values{"decision": {"approve"}})
	if code != http.StatusConflict {
		t.Fatalf("self-approval: status %d", code)
	}
	mustHave(t, html.UnescapeString(body), "The approve was refused: "+registry.ErrSelfApproval.Error())

	code, body = e.post("/approvals/"+other.ID, url.Values{"decision": {"approve"}, "comment": {"looks right"}})
	if code != http.StatusOK {
		t.Fatalf("approve: status %d: %.2000s", code, body)
	}
	mustHave(t, body, "Approved change "+other.ID)
	if c, _ := e.a.Models.Change(ctx, tenant, other.ID); c.Status != registry.StatusApplied {
		t.Fatalf("change is %s after the console approved it", c.Status)
	}
	if code, _ := e.post("/approvals/chg-none", url.Values{"decision": {"reject"}}); code != http.StatusNotFound {
		t.Fatalf("unknown change: status %d", code)
	}
	pending, err := consoleModels{reg: e.a.Models}.Pending(ctx, tenant)
	if err != nil || len(pending) != 1 || pending[0].ID != own.ID || pending[0].RequestedBy != alice.ID {
		t.Fatalf("pending after the decision: %+v, %v", pending, err)
	}
}

// TestConsoleModels renders the registry's models: versions with their
// signatures and approvals, the staging alias and the lineage from the
// training run to the deployment.
func TestConsoleModels(t *testing.T) {
	e := openConsole(t)
	ctx, tenant := context.Background(), e.a.Config.Tenant
	eng := ledger.Actor{Kind: ledger.ActorHuman, ID: "key:ml-engineer"}
	seedSignedModel(t, e.a, tenant, eng)
	c, err := e.a.Models.RequestChange(ctx, tenant, eng, change("1"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Models.Approve(ctx, tenant, ledger.Actor{Kind: ledger.ActorHuman, ID: "key:approver"}, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.page("/models", "router", "ml-team")
	e.page("/models/router", "router@1", "run-0412", "staging")
	if code, _ := e.get("/models/nothing"); code != http.StatusNotFound {
		t.Fatalf("unknown model: status %d", code)
	}

	m, err := consoleModels{reg: e.a.Models}.Model(ctx, tenant, "router")
	if err != nil {
		t.Fatal(err)
	}
	if m.Latest != "2" || m.Aliases[registry.AliasStaging] != "1" || len(m.Versions) != 2 {
		t.Fatalf("summary: %+v", m.ModelSummary)
	}
	v1 := m.Versions[1] // newest first
	if v1.Version != "1" || !v1.Signed || !v1.Approved || !slices.Equal(v1.Aliases, []string{"staging"}) || m.Versions[0].Approved {
		t.Fatalf("versions: %+v", m.Versions)
	}
	want := []console.LineageEdge{{From: "run:run-0412", To: "mv:1"}, {From: "mv:1", To: "dep:staging"}}
	if !slices.Equal(m.Lineage.Edges, want) {
		t.Fatalf("lineage edges %v, want %v", m.Lineage.Edges, want)
	}
}

func TestLineage(t *testing.T) {
	vs := []registry.Version{
		{Model: "m", Version: "1", TrainingRun: "r1", Datasets: []registry.DatasetRef{{Name: "tickets"}, {Name: "faq"}}},
		{Model: "m", Version: "2", Datasets: []registry.DatasetRef{{Name: "tickets"}}},
	}
	as := []registry.Alias{{Alias: "production", Version: "1"}, {Alias: "canary", Version: "2", Percent: 10}, {Alias: "gone", Version: "9"}}
	l := lineage(vs, as)
	wantEdges := []console.LineageEdge{
		{From: "run:r1", To: "mv:1"}, {From: "ds:tickets", To: "run:r1"}, {From: "ds:faq", To: "run:r1"},
		{From: "ds:tickets", To: "mv:2"}, {From: "mv:1", To: "dep:production"}, {From: "mv:2", To: "dep:canary"},
	}
	if !slices.Equal(l.Edges, wantEdges) {
		t.Fatalf("edges %v\nwant %v", l.Edges, wantEdges)
	}
	kinds := map[string]int{}
	for _, n := range l.Nodes {
		kinds[n.Kind]++
		if n.ID == "dep:canary" && n.Label != "canary 10%" {
			t.Fatalf("canary label %q", n.Label)
		}
	}
	if kinds[console.NodeDataset] != 2 || kinds[console.NodeRun] != 1 || kinds[console.NodeModel] != 2 || kinds[console.NodeDeployment] != 2 {
		t.Fatalf("node kinds %v", kinds)
	}
}
