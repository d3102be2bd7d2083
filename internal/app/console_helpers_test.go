package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/console"
)

// consoleEnv is a real app with a console user signed in.
type consoleEnv struct {
	t    *testing.T
	a    *App
	srv  *httptest.Server
	hc   *http.Client
	csrf string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// openConsole opens an app in a temporary data directory and signs in the
// admin console user "alice", created as the users command does.
func openConsole(t *testing.T) *consoleEnv {
	t.Helper()
	ctx := context.Background()
	c := config.Default()
	c.DataDir = t.TempDir()
	a, err := Open(ctx, c, NewLogger(c, io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	console.Open = func(context.Context, config.Config) (*console.Env, error) {
		return &console.Env{Records: a.Store, Log: a.Log}, nil
	}
	t.Cleanup(func() { console.Open = nil })
	var out bytes.Buffer
	if err := console.CLI(ctx, []string{"create", "--name", "alice", "--role", "admin", "--tenant", c.Tenant}, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	_, pw, ok := strings.Cut(out.String(), "shown only once:")
	if !ok {
		t.Fatalf("no password in %q", out.String())
	}
	e := &consoleEnv{t: t, a: a, srv: httptest.NewServer(a.Web)}
	t.Cleanup(e.srv.Close)
	jar, _ := cookiejar.New(nil)
	e.hc = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	e.get("/login")
	if code, body := e.post("/login", url.Values{"name": {"alice"}, "password": {strings.TrimSpace(pw)}}); code != http.StatusSeeOther {
		t.Fatalf("login: status %d: %s", code, body)
	}
	e.get("/")
	return e
}

func (e *consoleEnv) keep(resp *http.Response, err error) (int, string) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfField.FindSubmatch(b); m != nil {
		e.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (e *consoleEnv) get(path string) (int, string) {
	e.t.Helper()
	return e.keep(e.hc.Get(e.srv.URL + path))
}

func (e *consoleEnv) post(path string, form url.Values) (int, string) {
	e.t.Helper()
	if !form.Has("csrf") {
		form.Set("csrf", e.csrf)
	}
	return e.keep(e.hc.PostForm(e.srv.URL+path, form))
}

// page GETs path, wants 200 and every part in the body.
func (e *consoleEnv) page(path string, parts ...string) string {
	e.t.Helper()
	code, body := e.get(path)
	if code != http.StatusOK {
		e.t.Fatalf("GET %s: status %d", path, code)
	}
	mustHave(e.t, body, parts...)
	return body
}

func mustHave(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			if i := strings.Index(body, "<main"); i >= 0 {
				body = body[i:]
			}
			t.Fatalf("page lacks %q:\n%.3000s", p, body)
		}
	}
}
