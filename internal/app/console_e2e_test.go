package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
	"github.com/attest-ai/attest/internal/vendor"
	"github.com/chromedp/cdproto/emulation"
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
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
	step int
	app  *app.App

	mu     sync.Mutex
	errors []string
}

func openBrowser(t *testing.T) *browser {
	const bin = "/usr/bin/chromium"
	if _, err := os.Stat(bin); err != nil {
		t.Skip("no Chromium at /usr/bin/chromium: install it with scripts/deps.sh (apt-get install chromium)")
	}
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

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	bctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: bctx, base: hs.URL, dir: screenshotDir(t), app: a}
	msgs := chromedp.Console(bctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// Network entries are HTTP statuses the flows check themselves.
			if (m.Type == chromedp.ConsoleError && m.Source != "network") || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	b.do(chromedp.EmulateViewport(1280, 900))
	if _, err := chromedp.Call(bctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	return b
}

// screenshotDir is .artifacts/e2e at the repository root, emptied of an
// earlier run's app-*.png.
func screenshotDir(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
	out := filepath.Join(dir, ".artifacts", "e2e")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(out, "app-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return out
}

// do runs actions with a deadline, saving a screenshot of a failure.
func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

func eval[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// shot saves a full-page PNG as .artifacts/e2e/app-NN-name.png.
func (b *browser) shot(name string) {
	b.step++
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.dir, fmt.Sprintf("app-%02d-%s.png", b.step, name)), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) contains(sel string, want ...string) {
	b.t.Helper()
	got := eval(b, chromedp.Text(chromedp.CSS(sel)))
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.shot("failure")
			b.t.Fatalf("%s lacks %q:\n%s", sel, w, got)
		}
	}
}

var shownPassword = regexp.MustCompile(`\n    (\S+)\n`)

// createUser runs "attest users create" and returns the password it shows.
func (b *browser) createUser(name, role string) string {
	b.t.Helper()
	var out bytes.Buffer
	if err := console.CLI(context.Background(), []string{"create", "--name", name, "--role", role, "--tenant", b.app.Config.Tenant}, &out, io.Discard); err != nil {
		b.t.Fatal(err)
	}
	m := shownPassword.FindStringSubmatch(out.String())
	if m == nil {
		b.t.Fatalf("no password shown:\n%s", out.String())
	}
	return m[1]
}

func (b *browser) login(name, pw string) {
	b.t.Helper()
	b.do(
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
	)
}

func (b *browser) logout() {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(".who button")), chromedp.WaitVisible(chromedp.CSS("form.login")))
}

// open navigates and gives htmx a moment to run.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
	eval(b, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => r(true), 150))`, chromedp.EvalAwaitPromise))
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
	b.open("/login")
	b.shot("login")
	b.login("ada", adaPW)
	b.contains("main h1", "Dashboard")
	b.shot("dashboard")

	// Flow 2: failing controls, from the real engine's evaluation.
	b.open("/controls?status=failing")
	b.contains("table.list", vendorControl, approvalControl, "providers lack a current vendor review")
	b.shot("failing-controls")
	b.do(chromedp.Click(chromedp.CSS(`a[href="/controls/`+approvalControl+`"]`)), chromedp.WaitVisible(chromedp.CSS("ol.timeline")))
	b.contains("ol.timeline li:first-child", "no evidence")
	b.contains("main", "no production deployment is recorded")
	b.shot("control-failing")

	// Flow 3: the requester cannot decide her own change; a second person
	// approves it from the queue.
	b.open("/models")
	b.contains("#approvals", "Promote ticket-router 1 to production", "You requested this change")
	if n := len(eval(b, chromedp.Nodes(chromedp.CSS("#approve-"+chg.ID), chromedp.AtLeast(0)))); n != 0 {
		t.Fatal("the requester is offered the approve button")
	}
	b.shot("approval-requester")
	b.logout()
	b.login("frank", frankPW)
	b.open("/models")
	b.do(
		chromedp.SendKeys(chromedp.CSS("#comment-"+chg.ID), "Evaluation gate passed; rollback plan reviewed."),
		chromedp.Click(chromedp.CSS("#approve-"+chg.ID)),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	b.contains(".flash.ok", "Approved change "+chg.ID)
	b.contains("#approvals", "No change waits for approval")
	b.shot("approved")
	if c, err := a.Models.Change(ctx, a.Config.Tenant, chg.ID); err != nil || c.Status != registry.StatusApplied {
		t.Fatalf("change after the console approved it: %+v, %v", c, err)
	}
	b.logout()

	// Flow 4: the console has no evaluate button; the engine runs as its
	// schedule would, and the control now passes.
	if s := b.status(approvalControl); s != controls.Pass {
		t.Fatalf("%s is %s after the approval, want pass", approvalControl, s)
	}
	b.login("ada", adaPW)
	b.open("/controls/" + approvalControl)
	b.contains("ol.timeline li:first-child", "pass")
	b.contains("ol.timeline", "no evidence")
	b.shot("control-passing")

	// Flow 5: verify the newest evaluation against a signed checkpoint,
	// which the server's checkpoint schedule would publish.
	if _, err := a.Signer.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	b.open("/controls/" + approvalControl)
	b.do(
		chromedp.Click(chromedp.CSS("ul.evidence a.button")),
		chromedp.WaitVisible(chromedp.CSS("#verify-result")),
	)
	b.contains("#verify-result", "Verified")
	if cls := eval(b, chromedp.AttributeValue(chromedp.CSS("#verify-result"), "class")); !strings.Contains(cls.Value, "ok") {
		t.Fatalf("verify result class %q", cls.Value)
	}
	b.shot("evidence-verified")

	// Flow 6: upload the demo SOC packet; the real review raises red flags.
	var files []string
	pdir := t.TempDir()
	for _, in := range vendor.DemoPacket() {
		p := filepath.Join(pdir, in.Name)
		if err := os.WriteFile(p, in.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	if len(files) == 0 {
		t.Fatal("the demo packet is empty")
	}
	b.open("/vendors")
	b.shot("vendors")
	vid := eval(b, chromedp.Evaluate[string](`[...document.querySelectorAll("#vendor option")].find(o => o.textContent === "Example Model Cloud").value`))
	b.do(
		chromedp.SetValue(chromedp.CSS("#vendor"), vid),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), files),
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#upload-result")),
	)
	b.contains("#upload-result", "Verdict for Example Model Cloud", "red flag(s)")
	if strings.Contains(eval(b, chromedp.Text(chromedp.CSS("#upload-result"))), " 0 red flag(s)") {
		t.Fatal("the demo packet raised no red flags")
	}
	b.shot("vendor-reviewed")
	b.do(chromedp.Click(chromedp.CSS("#upload-result a")), chromedp.WaitVisible(chromedp.CSS("article.flag")))
	b.contains("main", "Red flags", ", page ")
	b.shot("vendor-report")

	// Flow 7: export today's audit package and find the download link.
	today := time.Now().UTC()
	b.open("/audit")
	b.do(
		chromedp.SetValue(chromedp.CSS("#from"), today.Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS("#to"), today.AddDate(0, 0, 1).Format("2006-01-02")),
	)
	b.shot("audit")
	b.do(chromedp.Click(chromedp.CSS("#export")), chromedp.WaitVisible(chromedp.CSS("#job")))
	b.do(chromedp.WaitVisible(chromedp.CSS("#download")))
	b.contains("#job", "The package is ready")
	b.contains("#recent-exports", "ready")
	b.shot("audit-export-ready")
	href := eval(b, chromedp.AttributeValue(chromedp.CSS("#download"), "href"))
	magic := eval(b, chromedp.Evaluate[string](`fetch(`+"`"+href.Value+"`"+`).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 2)))`, chromedp.EvalAwaitPromise))
	if magic != "PK" {
		t.Fatalf("the download is not a zip: %q", magic)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.errors) > 0 {
		t.Fatalf("the browser console reported errors:\n%s", strings.Join(b.errors, "\n"))
	}
}
