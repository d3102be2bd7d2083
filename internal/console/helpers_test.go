package console

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/store/sqlite"
	"github.com/attest-ai/attest/internal/vault"
	"golang.org/x/mod/sumdb/note"
)

// testEnv is a console over a real SQLite store and ledger.
type testEnv struct {
	t      testing.TB
	st     *sqlite.Store
	log    *ledger.Log
	signer *ledger.Signer
	// signerKey signs checkpoints by hand, for witness tests.
	signerKey note.Signer
	vkey      string
	access    *access.Service
	c         *Console
	srv       *httptest.Server
	clock     *testClock
}

type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

func newTestEnv(t testing.TB, mod func(*Deps)) *testEnv {
	return newTestEnvAt(t, t.TempDir(), mod)
}

// newTestEnvAt opens the data directory dir, which may hold a filled
// ledger for benchmarks.
func newTestEnvAt(t testing.TB, dir string, mod func(*Deps)) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dir, sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	lg, err := ledger.Open(ctx, st, ledger.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ledger.LoadOrCreateKey(dir, "test.example/attest")
	if err != nil {
		t.Fatal(err)
	}
	wrap, err := vault.LoadMasterKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := vault.New(ctx, st, wrap, lg)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, st: st, log: lg, signer: ledger.NewSigner(lg, kp.Signer), signerKey: kp.Signer, vkey: kp.VerifierKey,
		access: access.NewService(st, lg), clock: &testClock{t: time.Now()}}
	d := Deps{Store: st, Log: lg, VerifierKey: kp.VerifierKey, Access: e.access, Privacy: privacy.New(v, st, st, lg, nil),
		Tenant: "default", DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: e.clock.now}
	if mod != nil {
		mod(&d)
	}
	e.c = New(d)
	mux := http.NewServeMux()
	e.c.Routes(mux)
	e.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		e.srv.Close()
		lg.Close()
		st.Close()
	})
	return e
}

// user creates a console user and returns its password.
func (e *testEnv) user(name string, role access.Role) string {
	e.t.Helper()
	e.c.users.argon = argonParams{Memory: 64, Time: 1, Threads: 1}
	_, pw, err := e.c.users.create(context.Background(), cliActor, NewUser{Name: name, Tenant: "default", Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return pw
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, so tests see them.
type browser struct {
	t   testing.TB
	e   *testEnv
	hc  *http.Client
	csr string
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.hc.Get(b.e.srv.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csr = m[1]
	}
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") {
		form.Set("csrf", b.csr)
	}
	resp, err := b.hc.PostForm(b.e.srv.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindStringSubmatch(string(body)); m != nil {
		b.csr = m[1]
	}
	return resp, string(body)
}

// login signs in and fails the test unless it worked.
func (b *browser) login(name, pw string) {
	b.t.Helper()
	b.get("/login")
	resp, body := b.post("/login", url.Values{"name": {name}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("login %s: status %d: %s", name, resp.StatusCode, body)
	}
	b.get("/") // pick up the session's CSRF token
}

// events returns the ledger events of a type, in order.
func (e *testEnv) events(typ string) []ledger.Event {
	e.t.Helper()
	raw, err := e.st.QueryLedger(context.Background(), ledger.Query{Type: typ, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []ledger.Event
	for _, r := range raw {
		ev, err := ledger.ParseEntryData(r.Data)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, ev)
	}
	return out
}

func mustContain(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Fatalf("page lacks %q:\n%s", p, clipBody(body))
		}
	}
}

func mustNotContain(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(body, p) {
			t.Fatalf("page has %q:\n%s", p, clipBody(body))
		}
	}
}

func clipBody(s string) string {
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	if len(s) > 4000 {
		return s[:4000]
	}
	return s
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
