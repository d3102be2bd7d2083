package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/console/consoletest"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
	"github.com/attest-ai/attest/internal/vendor"
	"github.com/chromedp/chromedp"
)

// approvalControl is the catalog control that checks production model
// versions are signed and approved: it has no evidence while the promotion
// waits and passes once a second person approves it.
const approvalControl = "AI-MOD-04"

// vendorControl fails on a fresh install: the demo providers have no
// vendor review yet.
const vendorControl = "AI-VEN-01"

// browser drives one headless Chromium against a real attest app served
// by httptest: every console source is the app's own service.
type browser struct {
	*consoletest.Browser
	t   *testing.T
	app *app.App
}

func openBrowser(t *testing.T) *browser {
	consoletest.Chromium(t) // skip before building the app
	ctx := context.Background()
	conf := config.Default()
	conf.DataDir = t.TempDir()
	a, err := app.Open(ctx, conf, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	hs := httptest.NewServer(a.Web)
	t.Cleanup(hs.Close)

	// The users command writes through this app's store and ledger.
	old := console.Open
	console.Open = func(context.Context, config.Config) (*console.Env, error) {
		return &console.Env{Records: a.Store, Log: a.Log}, nil
	}
	t.Cleanup(func() { console.Open = old })

	return &browser{Browser: consoletest.Start(t, hs.URL, "app"), t: t, app: a}
}

// createUser runs "attest users create" in the app's tenant and returns the
// password it shows.
func (b *browser) createUser(name, role string) string {
	b.t.Helper()
	return b.CreateUser(name, role, "--tenant", b.app.Config.Tenant)
}

// status evaluates the catalog and returns a control's status.
func (b *browser) status(id string) controls.Status {
	b.t.Helper()
	run, err := b.app.Controls.Evaluate(context.Background())
	if err != nil {
		b.t.Fatal(err)
	}
	for _, c := range run.Controls {
		if c.Control == id {
			return c.Status
		}
	}
	b.t.Fatalf("control %s was not evaluated", id)
	return ""
}

// seedPromotion registers a signed model version with a passing evaluation
// and has the requester ask to promote it to production. It returns the
// pending change.
func seedPromotion(t *testing.T, a *app.App, requester ledger.Actor) registry.Change {
	t.Helper()
	ctx, tenant := context.Background(), a.Config.Tenant
	priv, pub, err := signing.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := signing.ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Models.TrustKey(ctx, tenant, requester, "e2e-release-key", pub); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Models.RegisterModel(ctx, tenant, requester, registry.ModelSpec{Name: "ticket-router", Purpose: "route support tickets", Owner: "ml-team", Risk: registry.RiskLimited}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "weights.bin"), []byte("synthetic weights"), 0o644)
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"labels":["billing","bug"]}`), 0o644)
	signer, err := signing.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := signer.Sign(ctx, dir, signing.HashOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Models.RegisterVersion(ctx, tenant, requester, "ticket-router", registry.VersionSpec{Version: "1", Bundle: sig.Bundle})
	if err != nil {
		t.Fatal(err)
	}
	// Production needs an evaluation gate the version has passed.
	digest, floor := "sha256:"+strings.Repeat("cd", 32), 0.8
	if _, err := a.Models.RegisterSuite(ctx, tenant, requester, registry.SuiteSpec{
		Name: "ticket-router-accuracy", Model: "ticket-router", Task: "classification", ValidationDigest: digest, Examples: 4,
		Metrics: []string{monitor.Accuracy}, Gate: monitor.Gate{Rules: []monitor.Rule{{Metric: monitor.Accuracy, Min: &floor}}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Models.RecordEval(ctx, tenant, requester, "ticket-router-accuracy", registry.ResultSpec{
		ModelVersion: v.ID(), Metrics: map[string]float64{monitor.Accuracy: 0.9},
		Examples: 4, PredictionsSHA256: strings.Repeat("ab", 32), ValidationDigest: digest,
	}); err != nil {
		t.Fatal(err)
	}
	c, err := a.Models.RequestChange(ctx, tenant, requester, registry.ChangeSpec{
		Target:      registry.Target{Kind: registry.KindModel, Name: "ticket-router", Version: "1", Alias: registry.AliasProduction},
		Description: "Promote ticket-router 1 to production", RollbackPlan: "attest model rollback ticket-router --alias production",
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestConsoleEndToEndReal walks the seven console flows in Chromium
// against the real services: controls, registry approvals, evidence
// verification, vendor review and the audit exporter.
func TestConsoleEndToEndReal(t *testing.T) {
	b := openBrowser(t)
	ctx, a := context.Background(), b.app
	adaPW := b.createUser("ada", "admin")
	frankPW := b.createUser("frank", "approver")
	chg := seedPromotion(t, a, ledger.Actor{Kind: ledger.ActorHuman, ID: "user:ada"})
	if _, err := a.Vendors.RegisterVendor(ctx, a.Config.Tenant, ledger.Actor{Kind: ledger.ActorHuman, ID: "user:ada"},
		vendor.Vendor{Name: "Example Model Cloud", Providers: []string{"demo"}}); err != nil {
		t.Fatal(err)
	}
	if s := b.status(vendorControl); s != controls.Fail {
		t.Fatalf("%s is %s on a fresh install, want fail", vendorControl, s)
	}
	if s := b.status(approvalControl); s == controls.Pass {
		t.Fatalf("%s passes before the promotion is approved", approvalControl)
	}

	// Flow 1: log in.
	b.Open("/login")
	b.Shot("login")
	b.Login("ada", adaPW)
	b.Contains("main h1", "Dashboard")
	b.Shot("dashboard")

	// Flow 2: failing controls, from the real engine's evaluation.
	b.Open("/controls?status=failing")
	b.Contains("table.list", vendorControl, approvalControl, "providers lack a current vendor review")
	b.Shot("failing-controls")
	b.Do(chromedp.Click(chromedp.CSS(`a[href="/controls/`+approvalControl+`"]`)), chromedp.WaitVisible(chromedp.CSS("ol.timeline")))
	b.Contains("ol.timeline li:first-child", "no evidence")
	b.Contains("main", "no production deployment is recorded")
	b.Shot("control-failing")

	// Flow 3: the requester cannot decide her own change; a second person
	// approves it from the queue.
	b.Open("/models")
	b.Contains("#approvals", "Promote ticket-router 1 to production", "You requested this change")
	if n := len(consoletest.Run(b.Browser, chromedp.Nodes(chromedp.CSS("#approve-"+chg.ID), chromedp.AtLeast(0)))); n != 0 {
		t.Fatal("the requester is offered the approve button")
	}
	b.Shot("approval-requester")
	b.Logout()
	b.Login("frank", frankPW)
	b.Open("/models")
	b.Do(
		chromedp.SendKeys(chromedp.CSS("#comment-"+chg.ID), "Evaluation gate passed; rollback plan reviewed."),
		chromedp.Click(chromedp.CSS("#approve-"+chg.ID)),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	b.Contains(".flash.ok", "Approved change "+chg.ID)
	b.Contains("#approvals", "No change waits for approval")
	b.Shot("approved")
	if c, err := a.Models.Change(ctx, a.Config.Tenant, chg.ID); err != nil || c.Status != registry.StatusApplied {
		t.Fatalf("change after the console approved it: %+v, %v", c, err)
	}
	b.Logout()

	// Flow 4: the console has no evaluate button; the engine runs as its
	// schedule would, and the control now passes.
	if s := b.status(approvalControl); s != controls.Pass {
		t.Fatalf("%s is %s after the approval, want pass", approvalControl, s)
	}
	b.Login("ada", adaPW)
	b.Open("/controls/" + approvalControl)
	b.Contains("ol.timeline li:first-child", "pass")
	b.Contains("ol.timeline", "no evidence")
	b.Shot("control-passing")

	// Flow 5: verify the newest evaluation against a signed checkpoint,
	// which the server's checkpoint schedule would publish.
	if _, err := a.Signer.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	b.Open("/controls/" + approvalControl)
	b.Do(
		chromedp.Click(chromedp.CSS("ul.evidence a.button")),
		chromedp.WaitVisible(chromedp.CSS("#verify-result")),
	)
	b.Contains("#verify-result", "Verified")
	if cls := consoletest.Run(b.Browser, chromedp.AttributeValue(chromedp.CSS("#verify-result"), "class")); !strings.Contains(cls.Value, "ok") {
		t.Fatalf("verify result class %q", cls.Value)
	}
	b.Shot("evidence-verified")

	// Flow 6: upload the demo SOC packet; the real review raises red flags.
	var files []string
	pdir := t.TempDir()
	for _, in := range vendor.DemoPacket(time.Now()) {
		p := filepath.Join(pdir, in.Name)
		if err := os.WriteFile(p, in.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	if len(files) == 0 {
		t.Fatal("the demo packet is empty")
	}
	b.Open("/vendors")
	b.Shot("vendors")
	vid := consoletest.Run(b.Browser, chromedp.Evaluate[string](`[...document.querySelectorAll("#vendor option")].find(o => o.textContent === "Example Model Cloud").value`))
	b.Do(
		chromedp.SetValue(chromedp.CSS("#vendor"), vid),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), files),
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#upload-result")),
	)
	b.Contains("#upload-result", "Verdict for Example Model Cloud", "red flag(s)")
	if strings.Contains(b.Text("#upload-result"), " 0 red flag(s)") {
		t.Fatal("the demo packet raised no red flags")
	}
	b.Shot("vendor-reviewed")
	b.Do(chromedp.Click(chromedp.CSS("#upload-result a")), chromedp.WaitVisible(chromedp.CSS("article.flag")))
	b.Contains("main", "Red flags", ", page ")
	b.Shot("vendor-report")

	// Flow 7: export today's audit package and find the download link.
	today := time.Now().UTC()
	b.Open("/audit")
	b.Do(
		chromedp.SetValue(chromedp.CSS("#from"), today.Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS("#to"), today.AddDate(0, 0, 1).Format("2006-01-02")),
	)
	b.Shot("audit")
	b.Do(chromedp.Click(chromedp.CSS("#export")), chromedp.WaitVisible(chromedp.CSS("#job")))
	b.Do(chromedp.WaitVisible(chromedp.CSS("#download")))
	b.Contains("#job", "The package is ready")
	b.Contains("#recent-exports", "ready")
	b.Shot("audit-export-ready")
	if magic := b.Download("#download", 2); magic != "PK" {
		t.Fatalf("the download is not a zip: %q", magic)
	}

	if errs := b.Errors(); len(errs) > 0 {
		t.Fatalf("the browser console reported errors:\n%s", strings.Join(errs, "\n"))
	}
}
