package console_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
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
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/web"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
)

// e2e drives one headless Chromium against a console in front of a real
// attest app: a real store, ledger, checkpoints, access service and privacy
// service. Services that are not plugged into the console yet are the test
// fakes of console.FakeWorld.
type e2e struct {
	*consoletest.Browser
	t     *testing.T
	app   *app.App
	world *console.FakeWorld
}

func startE2E(t *testing.T) *e2e {
	consoletest.Chromium(t) // skip before building the app
	ctx := context.Background()
	conf := config.Default()
	conf.DataDir = t.TempDir()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(ctx, conf, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if _, err := a.Signer.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	world := console.NewFakeWorld(a.Log, time.Now)
	world.Delay = 400 * time.Millisecond
	srv := web.New(web.Deps{Log: a.Log, Store: a.Store, Signer: a.Signer, VerifierKey: a.VKey, Access: a.Access, Vault: a.Vault,
		Logger: logger, Registry: prometheus.NewRegistry()})
	d := console.Deps{Store: a.Store, Log: a.Log, VerifierKey: a.VKey, Access: a.Access, Privacy: a.Privacy, Tenant: conf.Tenant, DataDir: conf.DataDir, Logger: logger}
	world.Plug(&d)
	console.Mount(srv.Mux(), d)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	// The console's users command writes through the app's own store and
	// ledger, as "attest users" does once registered.
	old := console.Open
	console.Open = func(context.Context, config.Config) (*console.Env, error) {
		return &console.Env{Records: a.Store, Log: a.Log}, nil
	}
	t.Cleanup(func() { console.Open = old })

	return &e2e{Browser: consoletest.Start(t, hs.URL, "console"), t: t, app: a, world: world}
}

// createUser runs "attest users create" against the test's data folder and
// returns the printed password.
func (e *e2e) createUser(name, role string) string {
	e.t.Helper()
	return e.CreateUser(name, role, "--data", e.app.Config.DataDir)
}

func TestConsoleEndToEnd(t *testing.T) {
	e := startE2E(t)
	adaPW := e.createUser("ada", "admin")
	erinPW := e.createUser("erin", "approver")
	frankPW := e.createUser("frank", "approver")

	// Flow 1: log in.
	e.Open("/login")
	e.Shot("login")
	e.Login("ada", adaPW)
	e.Contains("main h1", "Dashboard")
	e.Contains("#ledger-health", "Last checkpoint", "Witnessed")
	e.Shot("dashboard")
	if n := len(queryType(t, e.app, "console.login")); n != 1 {
		t.Fatalf("%d console.login events", n)
	}
	// The skip link is the first stop of the keyboard, and focus shows.
	e.Do(chromedp.KeyEvent("\t"))
	if cls := consoletest.Run(e.Browser, chromedp.Evaluate[string](`document.activeElement.className`)); cls != "skip" {
		t.Fatalf("the first Tab focused %q, want the skip link", cls)
	}
	if outline := consoletest.Run(e.Browser, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`)); outline == "none" {
		t.Fatal("focus is not visible")
	}

	// Flow 2: see a failing control.
	e.Open("/controls?status=failing")
	e.Contains("table.list", "CC8.1-changes", "fail")
	e.Shot("failing-controls")
	e.Do(chromedp.Click(chromedp.CSS(`a[href="/controls/CC8.1-changes"]`)), chromedp.WaitVisible(chromedp.CSS("ol.timeline")))
	e.Contains("main", "support-bot 1.4 waits for approval", "No evidence recorded")
	e.Shot("control-failing")
	e.Logout()

	// Flow 3: the requester cannot approve; a second person does.
	e.Login("erin", erinPW)
	e.Open("/models")
	e.Contains("#approvals", "Promote support-bot 1.4 to production", "You requested this change")
	if n := len(consoletest.Run(e.Browser, chromedp.Nodes(chromedp.CSS("#approve-chg-7"), chromedp.AtLeast(0)))); n != 0 {
		t.Fatal("the requester is offered the approve button")
	}
	e.Shot("approval-requester")
	// A forged approval by the requester is refused by the source, and the
	// console shows the refusal in place (htmx swaps 4xx pages too).
	consoletest.Run(e.Browser, chromedp.Evaluate[bool](`htmx.ajax("POST", "/approvals/chg-7", {source: document.body, target: "main", select: "main", swap: "outerHTML", values: {decision: "approve"}}), true`))
	e.Do(chromedp.WaitVisible(chromedp.CSS(".flash.bad")))
	e.Contains(".flash.bad", "The approve was refused", "another approver must decide")
	e.Shot("approval-self-refused")
	e.Logout()
	e.Login("frank", frankPW)
	e.Open("/models")
	e.Do(
		chromedp.SendKeys(chromedp.CSS("#comment-chg-7"), "Regression suite green; rollback plan reviewed."),
		chromedp.Click(chromedp.CSS("#approve-chg-7")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	e.Contains(".flash.ok", "Approved change chg-7")
	e.Contains("#approvals", "No change waits for approval")
	e.Shot("approved")
	approvals := queryType(t, e.app, "change.approved")
	if len(approvals) != 1 || !strings.Contains(string(approvals[0]), `"user:frank"`) {
		t.Fatalf("approval evidence: %q", approvals)
	}
	e.Logout()

	// Flow 4: the control passes.
	e.Login("ada", adaPW)
	e.Open("/controls/CC8.1-changes")
	e.Contains("main", "every production model version has an approved change")
	e.Contains("ol.timeline li:first-child", "pass")
	e.Shot("control-passing")

	// Flow 5: verify the approval's evidence against a signed checkpoint,
	// which the server's checkpoint schedule would publish.
	if _, err := e.app.Signer.Publish(e.Context()); err != nil {
		t.Fatal(err)
	}
	e.Open("/controls/CC8.1-changes")
	e.Do(
		chromedp.Click(chromedp.CSS("ul.evidence a.button")),
		chromedp.WaitVisible(chromedp.CSS("#verify-result")),
	)
	e.Contains("#verify-result", "Verified: entry", "included in the ledger", "Inclusion proof")
	if cls := consoletest.Run(e.Browser, chromedp.AttributeValue(chromedp.CSS("#verify-result"), "class")); !strings.Contains(cls.Value, "ok") {
		t.Fatalf("verify result class %q", cls.Value)
	}
	e.Shot("evidence-verified")

	// Flow 6: review a vendor packet, with upload progress.
	packet := filepath.Join(t.TempDir(), "acme-soc2-type2-2025.pdf")
	if err := os.WriteFile(packet, append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("SOC 2 report page text. "), 120_000)...), 0o644); err != nil {
		t.Fatal(err)
	}
	e.Open("/vendors")
	e.Shot("vendors")
	// Throttle the upload so its progress is visible; the final check does
	// not depend on it.
	chromedp.Call(e.Context(), network.Enable, network.EnableParams{})
	chromedp.Call(e.Context(), network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{URLPattern: e.URL() + "/vendors/upload", DownloadThroughput: -1, UploadThroughput: 1 << 20}},
	})
	consoletest.Run(e.Browser, chromedp.Evaluate[bool](`window.__progress = []; document.addEventListener("htmx:xhr:progress", ev => window.__progress.push(ev.detail.loaded)); true`))
	e.Do(
		chromedp.SetValue(chromedp.CSS("#vendor"), "v-acme"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{packet}),
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
	)
	pctx, pcancel := context.WithTimeout(e.Context(), 3*time.Second)
	if err := chromedp.Do(pctx, chromedp.WaitVisible(chromedp.CSS("#upload-progress"))); err == nil {
		e.Shot("vendor-upload-progress")
	}
	pcancel()
	e.Do(chromedp.WaitVisible(chromedp.CSS("#upload-result")))
	e.Contains("#upload-result", "Verdict for Acme Hosting", "2 red flag(s)")
	if n := consoletest.Run(e.Browser, chromedp.Evaluate[int](`window.__progress.length`)); n == 0 {
		t.Fatal("the upload reported no progress")
	}
	e.Shot("vendor-reviewed")
	e.Do(chromedp.Click(chromedp.CSS("#upload-result a")), chromedp.WaitVisible(chromedp.CSS("article.flag")))
	e.Contains("main", "Qualified opinion on change management", "acme-soc2-type2-2025.pdf, page 4")
	e.Shot("vendor-report")
	chromedp.Call(e.Context(), network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{}})

	// Flow 7: export the audit package and download it.
	e.Open("/audit")
	e.Shot("audit")
	e.Do(chromedp.Click(chromedp.CSS("#export")), chromedp.WaitVisible(chromedp.CSS("#job")))
	e.Shot("audit-export-progress")
	e.Do(chromedp.WaitVisible(chromedp.CSS("#download")))
	e.Contains("#job", "The package is ready")
	e.Contains("#recent-exports", "ready")
	e.Shot("audit-export-ready")
	if magic := e.Download("#download", 2); magic != "PK" {
		t.Fatalf("the download is not a zip: %q", magic)
	}

	e.responsive()

	if errs := e.Errors(); len(errs) > 0 {
		t.Fatalf("the browser console reported errors (CSP violations, script errors):\n%s", strings.Join(errs, "\n"))
	}
}

// responsive renders every page at 1280 and at 390 pixels wide and checks
// that nothing but tables (which scroll inside their frame) is wider than
// the window.
func (e *e2e) responsive() {
	paths := []string{"/", "/controls", "/controls/CC8.1-changes", "/evidence", "/evidence/1/verify", "/models", "/models/support-bot",
		"/gateway", "/vendors", "/privacy", "/access-reviews/ar-1", "/audit", "/users"}
	for _, w := range []int64{1280, 390} {
		e.Do(chromedp.EmulateViewport(w, 844))
		for _, p := range paths {
			e.Open(p)
			over := consoletest.Run(e.Browser, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`))
			name := strings.Trim(strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(p), "-")
			if name == "" {
				name = "dashboard"
			}
			e.Shot(fmt.Sprintf("w%d-%s", w, name))
			if w == 390 && p == "/" {
				png := consoletest.Run(e.Browser, chromedp.CaptureScreenshot())
				os.WriteFile(filepath.Join(e.Dir(), "console-w390-dashboard-viewport.png"), png, 0o644)
			}
			if over {
				e.t.Errorf("%s overflows the window at %d px", p, w)
			}
			unlabelled := consoletest.Run(e.Browser, chromedp.Evaluate[[]string](`[...document.querySelectorAll("input:not([type=hidden]), select, textarea")].filter(el => !el.labels.length && !el.getAttribute("aria-label")).map(el => el.name || el.id)`))
			if len(unlabelled) > 0 {
				e.t.Errorf("%s has form controls without a label: %v", p, unlabelled)
			}
		}
	}
	e.Do(chromedp.EmulateViewport(1280, 900))
}

// queryType returns the canonical bytes of every event of a type.
func queryType(t *testing.T, a *app.App, typ string) [][]byte {
	t.Helper()
	rs, err := a.Store.QueryLedger(context.Background(), ledger.Query{Type: typ, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, r := range rs {
		out = append(out, r.Data)
	}
	return out
}

// TestAppServesConsole checks the wiring in internal/app: attest serve
// answers the console at / next to the API.
func TestAppServesConsole(t *testing.T) {
	conf := config.Default()
	conf.DataDir = t.TempDir()
	a, err := app.Open(context.Background(), conf, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	hs := httptest.NewServer(a.Web)
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/login")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `action="/login"`) {
		t.Fatalf("GET /login from the app: %d", resp.StatusCode)
	}
	resp, err = http.Get(hs.URL + "/api/v1/keys")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("the API moved: GET /api/v1/keys answered %d", resp.StatusCode)
	}
}
