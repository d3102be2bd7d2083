// Package consoletest drives a headless Chromium against a running console
// for end-to-end tests. Only tests import it. It imports internal/console,
// so console tests use it from package console_test, and it must never
// import internal/app, whose tests use it too.
package consoletest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/console"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// timeout bounds every browser step so that a missing element fails the
// test instead of hanging it.
const timeout = 20 * time.Second

// Browser is one headless Chromium pointed at a console. Its methods fail
// the test on error, saving a screenshot of the page first.
type Browser struct {
	t      *testing.T
	ctx    context.Context
	url    string
	dir    string
	prefix string
	step   int

	mu     sync.Mutex
	errors []string
}

// Chromium returns the path of the browser to drive: $ATTEST_CHROMIUM, or
// Debian's Chromium, which scripts/deps.sh installs. It skips the test when
// there is none.
func Chromium(t *testing.T) string {
	t.Helper()
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

// Start opens a 1280×900 Chromium for the console at url. Screenshots go to
// .artifacts/e2e/PREFIX-NN-name.png at the repository root, replacing those
// of an earlier run with the same prefix.
func Start(t *testing.T, url, prefix string) *Browser {
	t.Helper()
	bin := Chromium(t)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
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
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	b := &Browser{t: t, ctx: ctx, url: url, dir: artifactDir(t, prefix), prefix: prefix}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// Network entries report HTTP statuses, which the flows check
			// themselves (a refusal is a 409 on purpose); everything else
			// at error level is a script error or a CSP violation.
			if (m.Type == chromedp.ConsoleError && m.Source != "network") || m.IsException() {
				b.mu.Lock()
				b.errors = append(b.errors, m.String())
				b.mu.Unlock()
			}
		}
	}()
	b.Do(chromedp.EmulateViewport(1280, 900))
	// Overlay scrollbars, as on phones: a classic scrollbar would take 15 of
	// the 390 pixels, and full-page screenshots would crop that strip.
	if _, err := chromedp.Call(ctx, emulation.SetScrollbarsHidden, emulation.SetScrollbarsHiddenParams{Hidden: true}); err != nil {
		t.Fatal(err)
	}
	return b
}

// artifactDir returns .artifacts/e2e at the repository root, emptied of an
// earlier run's PREFIX-*.png.
func artifactDir(t *testing.T, prefix string) string {
	t.Helper()
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
	old, _ := filepath.Glob(filepath.Join(out, prefix+"-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	return out
}

// Context is the browser's context, for chromedp calls the helpers lack.
func (b *Browser) Context() context.Context { return b.ctx }

// URL is the console's base URL.
func (b *Browser) URL() string { return b.url }

// Dir is the folder screenshots are saved in.
func (b *Browser) Dir() string { return b.dir }

// Errors returns the script errors and CSP violations the page has logged
// so far.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Do runs actions with a deadline.
func (b *Browser) Do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.Shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
}

// Run runs an action with a deadline and returns its value. It is a
// function because Go methods cannot take type parameters.
func Run[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.Shot("failure")
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Shot saves a full-page PNG as PREFIX-NN-name.png. A failed capture is
// logged, not fatal, since it is often the failure being reported.
func (b *Browser) Shot(name string) {
	b.step++
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(b.dir, fmt.Sprintf("%s-%02d-%s.png", b.prefix, b.step, name))
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// Text returns the text of the first element that matches sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Run(b, chromedp.Text(chromedp.CSS(sel)))
}

// Contains fails the test unless the text of sel holds every want.
func (b *Browser) Contains(sel string, want ...string) {
	b.t.Helper()
	got := b.Text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			b.Shot("failure")
			b.t.Fatalf("%s lacks %q:\n%s", sel, w, got)
		}
	}
}

// Download fetches the target of the link sel with the page's session and
// returns its first n bytes, each as one character.
func (b *Browser) Download(sel string, n int) string {
	b.t.Helper()
	href := Run(b, chromedp.AttributeValue(chromedp.CSS(sel), "href"))
	js := fmt.Sprintf(`fetch(%q).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b).slice(0, %d)))`, href.Value, n)
	return Run(b, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
}

var printedPassword = regexp.MustCompile(`\n    (\S+)\n`)

// CreateUser runs "attest users create" with the name, role and any extra
// flags, and returns the password it printed. The caller points
// console.Open at its app's store beforehand.
func (b *Browser) CreateUser(name, role string, flags ...string) string {
	b.t.Helper()
	args := append([]string{"create", "--name", name, "--role", role}, flags...)
	var out bytes.Buffer
	if err := console.CLI(context.Background(), args, &out, io.Discard); err != nil {
		b.t.Fatal(err)
	}
	m := printedPassword.FindStringSubmatch(out.String())
	if m == nil {
		b.t.Fatalf("no password printed:\n%s", out.String())
	}
	return m[1]
}

// Login signs in through the login form.
func (b *Browser) Login(name, password string) {
	b.t.Helper()
	b.Do(
		chromedp.Navigate(b.url+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#name")),
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("header .who")),
	)
}

// Logout signs out from the header.
func (b *Browser) Logout() {
	b.t.Helper()
	b.Do(chromedp.Click(chromedp.CSS(".who button")), chromedp.WaitVisible(chromedp.CSS("form.login")))
}

// Open navigates to path and waits for htmx and uPlot to have run.
func (b *Browser) Open(path string) {
	b.t.Helper()
	b.Do(chromedp.Navigate(b.url+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
	Run(b, chromedp.Evaluate[bool](`new Promise(r => setTimeout(() => r(true), 150))`, chromedp.EvalAwaitPromise))
}
