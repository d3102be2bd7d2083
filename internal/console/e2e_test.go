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
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/web"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"
)

// chromiumPath finds Debian's Chromium, which scripts/deps.sh installs.
func chromiumPath(t *testing.T) string {
	if p := os.Getenv("ATTEST_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found: install it with scripts/deps.sh (apt-get install chromium) or set ATTEST_CHROMIUM")
	return ""
}

// artifactDir is .artifacts/e2e at the repository root.
func artifactDir(t *testing.T) string {
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
	// Screenshots of an earlier run would mix with this one's.
	old, _ := filepath.Glob(filepath.Join(out, "console-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return out
}

// e2e drives one headless Chromium against a console in front of a real
// attest app: a real store, ledger, checkpoints, access service and privacy
// service. Services that are not plugged into the console yet are the test
// fakes of console.FakeWorld.
type e2e struct {
	t     *testing.T
	ctx   context.Context
	base  string
	dir   string
	step  int
	app   *app.App
	world *console.FakeWorld

	mu      sync.Mutex
	console []string
}

func startE2E(t *testing.T) *e2e {
	bin := chromiumPath(t)
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
	e := &e2e{t: t, ctx: bctx, base: hs.URL, dir: artifactDir(t), app: a, world: world}
	msgs := chromedp.Console(bctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// Network entries report HTTP statuses, which the flows check
			// themselves (a refusal is a 409 on purpose); everything else
			// at error level is a script error or a CSP violation.
			if (m.Type == chromedp.ConsoleError && m.Source != "network") || m.IsException() {
				e.mu.Lock()
				e.console = append(e.console, m.String())
				e.mu.Unlock()
			}
		}
	}()
	e.do(chromedp.EmulateViewport(1280, 900))
	// Overlay scrollbars, as on phones: a classic scrollbar would take 15 of
	// the 390 pixels, and full-page screenshots would crop that strip.
	if _, err := chromedp.Call(bctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	return e
}

// do runs actions with a deadline, saving a screenshot of the failure.
func (e *e2e) do(actions ...chromedp.Action[chromedp.Void]) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		e.shot("failure")
		e.t.Fatalf("browser: %v", err)
	}
}

func run[T any](e *e2e, a chromedp.Action[T]) T {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		e.shot("failure")
		e.t.Fatalf("browser: %v", err)
	}
	return v
}

// shot saves a full-page PNG as .artifacts/e2e/NN-name.png.
func (e *e2e) shot(name string) {
	e.step++
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		e.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(e.dir, fmt.Sprintf("console-%02d-%s.png", e.step, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		e.t.Fatal(err)
	}
}

func (e *e2e) text(sel string) string {
	e.t.Helper()
	return run(e, chromedp.Text(chromedp.CSS(sel)))
}

func (e *e2e) contains(sel string, want ...string) {
	e.t.Helper()
	got := e.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			e.shot("failure")
			e.t.Fatalf("%s lacks %q:\n%s", sel, w, got)
		}
	}
}

var printedPassword = regexp.MustCompile(`\n    (\S+)\n`)

// createUser runs "attest users create" and returns the printed password.
func (e *e2e) createUser(name, role string) string {
	e.t.Helper()
	var out bytes.Buffer
	if err := console.CLI(context.Background(), []string{"create", "--data", e.app.Config.DataDir, "--role", role, "--name", name}, &out, io.Discard); err != nil {
		e.t.Fatal(err)
	}
	m := printedPassword.FindStringSubmatch(out.String())
	if m == nil {
		e.t.Fatalf("no password printed:\n%s", out.String())
	}
	return m[1]
}

func (e *e2e) login(name, pw string) {
	e.t.Helper()
	e.do(
		chromedp.Navigate(e.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), pw),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
	)
}

func (e *e2e) logout() {
	e.t.Helper()
	e.do(chromedp.Click(chromedp.CSS(".who button")), chromedp.WaitVisible(chromedp.CSS("form.login")))
}

// open navigates and waits for htmx and uPlot to have run.
func (e *e2e) open(path string) {
	e.t.Helper()
	e.do(chromedp.Navigate(e.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
	run(e, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => r(true), 150))`, chromedp.EvalAwaitPromise))
}

func TestConsoleEndToEnd(t *testing.T) {
	e := startE2E(t)
	adaPW := e.createUser("ada", "admin")
	erinPW := e.createUser("erin", "approver")
	frankPW := e.createUser("frank", "approver")

	// Flow 1: log in.
	e.open("/login")
	e.shot("login")
	e.login("ada", adaPW)
	e.contains("main h1", "Dashboard")
	e.contains("#ledger-health", "Last checkpoint", "Witnessed")
	e.shot("dashboard")
	if n := len(queryType(t, e.app, "console.login")); n != 1 {
		t.Fatalf("%d console.login events", n)
	}
	// The skip link is the first stop of the keyboard, and focus shows.
	e.do(chromedp.KeyEvent("\t"))
	if cls := run(e, chromedp.Evaluate[string](`document.activeElement.className`)); cls != "skip" {
		t.Fatalf("the first Tab focused %q, want the skip link", cls)
	}
	if outline := run(e, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`)); outline == "none" {
		t.Fatal("focus is not visible")
	}

	// Flow 2: see a failing control.
	e.open("/controls?status=failing")
	e.contains("table.list", "CC8.1-changes", "fail")
	e.shot("failing-controls")
	e.do(chromedp.Click(chromedp.CSS(`a[href="/controls/CC8.1-changes"]`)), chromedp.WaitVisible(chromedp.CSS("ol.timeline")))
	e.contains("main", "support-bot 1.4 waits for approval", "No evidence recorded")
	e.shot("control-failing")
	e.logout()

	// Flow 3: the requester cannot approve; a second person does.
	e.login("erin", erinPW)
	e.open("/models")
	e.contains("#approvals", "Promote support-bot 1.4 to production", "You requested this change")
	if n := len(run(e, chromedp.Nodes(chromedp.CSS("#approve-chg-7"), chromedp.AtLeast(0)))); n != 0 {
		t.Fatal("the requester is offered the approve button")
	}
	e.shot("approval-requester")
	// A forged approval by the requester is refused by the source, and the
	// console shows the refusal in place (htmx swaps 4xx pages too).
	run(e, chromedp.Evaluate[bool](`htmx.ajax("POST", "/approvals/chg-7", {source: document.body, target: "main", select: "main", swap: "outerHTML", values: {decision: "approve"}}), true`))
	e.do(chromedp.WaitVisible(chromedp.CSS(".flash.bad")))
	e.contains(".flash.bad", "The approve was refused", "another approver must decide")
	e.shot("approval-self-refused")
	e.logout()
	e.login("frank", frankPW)
	e.open("/models")
	e.do(
		chromedp.SendKeys(chromedp.CSS("#comment-chg-7"), "Regression suite green; rollback plan reviewed."),
		chromedp.Click(chromedp.CSS("#approve-chg-7")),
		chromedp.WaitVisible(chromedp.CSS(".flash.ok")),
	)
	e.contains(".flash.ok", "Approved change chg-7")
	e.contains("#approvals", "No change waits for approval")
	e.shot("approved")
	approvals := queryType(t, e.app, "change.approved")
	if len(approvals) != 1 || !strings.Contains(string(approvals[0]), `"user:frank"`) {
		t.Fatalf("approval evidence: %q", approvals)
	}
	e.logout()

	// Flow 4: the control passes.
	e.login("ada", adaPW)
	e.open("/controls/CC8.1-changes")
	e.contains("main", "every production model version has an approved change")
	e.contains("ol.timeline li:first-child", "pass")
	e.shot("control-passing")

	// Flow 5: verify the approval's evidence against a signed checkpoint,
	// which the server's checkpoint schedule would publish.
	if _, err := e.app.Signer.Publish(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.open("/controls/CC8.1-changes")
	e.do(
		chromedp.Click(chromedp.CSS("ul.evidence a.button")),
		chromedp.WaitVisible(chromedp.CSS("#verify-result")),
	)
	e.contains("#verify-result", "Verified: entry", "included in the ledger", "Inclusion proof")
	if cls := run(e, chromedp.AttributeValue(chromedp.CSS("#verify-result"), "class")); !strings.Contains(cls.Value, "ok") {
		t.Fatalf("verify result class %q", cls.Value)
	}
	e.shot("evidence-verified")

	// Flow 6: review a vendor packet, with upload progress.
	packet := filepath.Join(t.TempDir(), "acme-soc2-type2-2025.pdf")
	if err := os.WriteFile(packet, append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("SOC 2 report page text. "), 120_000)...), 0o644); err != nil {
		t.Fatal(err)
	}
	e.open("/vendors")
	e.shot("vendors")
	// Throttle the upload so its progress is visible; the final check does
	// not depend on it.
	chromedp.Call(e.ctx, network.Enable, network.EnableParams{})
	chromedp.Call(e.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{{URLPattern: e.base + "/vendors/upload", DownloadThroughput: -1, UploadThroughput: 1 << 20}},
	})
	run(e, chromedp.Evaluate[bool](`window.__progress = []; document.addEventListener("htmx:xhr:progress", ev => window.__progress.push(ev.detail.loaded)); true`))
	e.do(
		chromedp.SetValue(chromedp.CSS("#vendor"), "v-acme"),
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{packet}),
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
	)
	pctx, pcancel := context.WithTimeout(e.ctx, 3*time.Second)
	if err := chromedp.Do(pctx, chromedp.WaitVisible(chromedp.CSS("#upload-progress"))); err == nil {
		e.shot("vendor-upload-progress")
	}
	pcancel()
	e.do(chromedp.WaitVisible(chromedp.CSS("#upload-result")))
	e.contains("#upload-result", "Verdict for Acme Hosting", "2 red flag(s)")
	if n := run(e, chromedp.Evaluate[int](`window.__progress.length`)); n == 0 {
		t.Fatal("the upload reported no progress")
	}
	e.shot("vendor-reviewed")
	e.do(chromedp.Click(chromedp.CSS("#upload-result a")), chromedp.WaitVisible(chromedp.CSS("article.flag")))
	e.contains("main", "Qualified opinion on change management", "acme-soc2-type2-2025.pdf, page 4")
	e.shot("vendor-report")
	chromedp.Call(e.ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: []*network.Conditions{}})

	// Flow 7: export the audit package and download it.
	e.open("/audit")
	e.shot("audit")
	e.do(chromedp.Click(chromedp.CSS("#export")), chromedp.WaitVisible(chromedp.CSS("#job")))
	e.shot("audit-export-progress")
	e.do(chromedp.WaitVisible(chromedp.CSS("#download")))
	e.contains("#job", "The package is ready")
	e.contains("#recent-exports", "ready")
	e.shot("audit-export-ready")
	href := run(e, chromedp.AttributeValue(chromedp.CSS("#download"), "href"))
	magic := run(e, chromedp.Evaluate[string](`fetch(`+"`"+href.Value+"`"+`).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, 2)))`, chromedp.EvalAwaitPromise))
	if magic != "PK" {
		t.Fatalf("the download is not a zip: %q", magic)
	}

	e.responsive()

	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.console) > 0 {
		t.Fatalf("the browser console reported errors (CSP violations, script errors):\n%s", strings.Join(e.console, "\n"))
	}
}

// responsive renders every page at 1280 and at 390 pixels wide and checks
// that nothing but tables (which scroll inside their frame) is wider than
// the window.
func (e *e2e) responsive() {
	paths := []string{"/", "/controls", "/controls/CC8.1-changes", "/evidence", "/evidence/1/verify", "/models", "/models/support-bot",
		"/gateway", "/vendors", "/privacy", "/access-reviews/ar-1", "/audit", "/users"}
	for _, w := range []int64{1280, 390} {
		e.do(chromedp.EmulateViewport(w, 844))
		for _, p := range paths {
			e.open(p)
			over := run(e, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth + 1`))
			name := strings.Trim(strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(p), "-")
			if name == "" {
				name = "dashboard"
			}
			e.shot(fmt.Sprintf("w%d-%s", w, name))
			if w == 390 && p == "/" {
				png := run(e, chromedp.CaptureScreenshot())
				os.WriteFile(filepath.Join(e.dir, "console-w390-dashboard-viewport.png"), png, 0o644)
			}
			if over {
				e.t.Errorf("%s overflows the window at %d px", p, w)
			}
			unlabelled := run(e, chromedp.Evaluate[[]string](`[...document.querySelectorAll("input:not([type=hidden]), select, textarea")].filter(el => !el.labels.length && !el.getAttribute("aria-label")).map(el => el.name || el.id)`))
			if len(unlabelled) > 0 {
				e.t.Errorf("%s has form controls without a label: %v", p, unlabelled)
			}
		}
	}
	e.do(chromedp.EmulateViewport(1280, 900))
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
