package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

// pages are every GET page with a fake world plugged in.
var pages = []string{"/", "/controls", "/controls?status=failing&criterion=CC8.1", "/controls?status=not_applicable", "/controls/CC8.1-changes", "/controls/CC6.7-credentials", "/evidence", "/evidence?type=console.login",
	"/evidence/0", "/evidence/0/verify", "/models", "/models/support-bot", "/gateway", "/gateway?window=24h", "/vendors", "/privacy", "/access-reviews",
	"/access-reviews/ar-1", "/audit"}

func worldEnv(t *testing.T) (*testEnv, *FakeWorld) {
	var w *FakeWorld
	e := newTestEnv(t, func(d *Deps) {
		w = NewFakeWorld(d.Log, d.Now)
		w.Plug(d)
	})
	if _, err := e.signer.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e, w
}

func TestEveryPageRendersForEveryRole(t *testing.T) {
	e, _ := worldEnv(t)
	for _, role := range consoleRoles() {
		t.Run(string(role), func(t *testing.T) {
			b := e.browser()
			b.login("u-"+string(role), e.user("u-"+string(role), role))
			for _, p := range pages {
				resp, body := b.get(p)
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("%s: %d\n%s", p, resp.StatusCode, clipBody(body))
				}
				if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Frame-Options") != "DENY" {
					t.Fatalf("%s lacks security headers", p)
				}
			}
		})
	}
}

var (
	postForm = regexp.MustCompile(`(?i)<form[^>]*method="post"[^>]*action="([^"]+)"`)
	hxPost   = regexp.MustCompile(`(?i)hx-(post|put|patch|delete)=`)
)

// The auditor is read-only: no page offers a change, and every change is
// refused on the server even with a valid CSRF token.
func TestAuditorIsReadOnly(t *testing.T) {
	e, w := worldEnv(t)
	b := e.browser()
	b.login("audrey", e.user("audrey", access.RoleAuditor))
	for _, p := range pages {
		_, body := b.get(p)
		for _, m := range postForm.FindAllStringSubmatch(body, -1) {
			if m[1] != "/logout" {
				t.Errorf("%s offers the auditor a form posting to %s", p, m[1])
			}
		}
		if hxPost.MatchString(body) {
			t.Errorf("%s offers the auditor an htmx mutation", p)
		}
	}
	key, _, err := e.access.CreateKey(context.Background(), access.Principal{ID: "t", Kind: "cli", Tenant: "default", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman},
		access.KeyRequest{Tenant: "default", Name: "svc", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	_ = key
	keys, _ := e.access.Keys(context.Background(), access.Principal{Role: access.RoleAdmin}, "")
	b.get("/")
	for _, path := range []string{"/approvals/chg-7", "/gateway/keys/" + keys[0].ID + "/rotate", "/gateway/keys/" + keys[0].ID + "/revoke",
		"/vendors/upload", "/privacy/requests", "/privacy/retention", "/access-reviews/ar-1/items/key:ci", "/audit/exports", "/users", "/users/audrey"} {
		resp, _ := b.post(path, url.Values{"decision": {"approve"}, "subject": {"s"}, "days": {"30"}, "op": {"role"}, "role": {"admin"}})
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("auditor POST %s: %d, want 403", path, resp.StatusCode)
		}
	}
	if ps, _ := w.Pending(context.Background(), "default"); len(ps) != 1 {
		t.Fatal("the auditor's approval went through")
	}
	if len(e.events("change.approved")) != 0 || len(e.events("key.revoked")) != 0 {
		t.Fatal("an auditor change reached the ledger")
	}
}

func TestMutationsNeedCSRFAndSameOrigin(t *testing.T) {
	e, w := worldEnv(t)
	b := e.browser()
	b.login("ada", e.user("ada", access.RoleAdmin))
	b.get("/models")
	if resp, _ := b.post("/approvals/chg-7", url.Values{"decision": {"approve"}, "csrf": {""}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("no token: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/approvals/chg-7", url.Values{"decision": {"approve"}, "csrf": {csrfToken("another-session")}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("another session's token: %d", resp.StatusCode)
	}
	// A cross-site request is refused before any handler runs, even with
	// the right token.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/approvals/chg-7", strings.NewReader(url.Values{"decision": {"approve"}, "csrf": {b.csr}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", resp.StatusCode)
	}
	if ps, _ := w.Pending(context.Background(), "default"); len(ps) != 1 {
		t.Fatal("a forged approval went through")
	}
	// The htmx header carries the token too.
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/approvals/chg-7", strings.NewReader("decision=approve"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", b.csr)
	req.Header.Set("HX-Request", "true")
	if resp, err = b.hc.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("htmx approval: %d", resp.StatusCode)
	}
}

// Separation of duties: the requester sees no buttons, and a forged
// request is refused by the source and the refusal shown.
func TestRequesterCannotApprove(t *testing.T) {
	e, w := worldEnv(t)
	b := e.browser()
	b.login("erin", e.user("erin", access.RoleApprover))
	_, body := b.get("/models")
	mustContain(t, body, "You requested this change")
	mustNotContain(t, body, `id="approve-chg-7"`)
	resp, body := b.post("/approvals/chg-7", url.Values{"decision": {"approve"}})
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("self-approval: %d", resp.StatusCode)
	}
	mustContain(t, body, "The approve was refused", "another approver must decide")
	if ps, _ := w.Pending(context.Background(), "default"); len(ps) != 1 {
		t.Fatal("the requester approved their own change")
	}

	other := e.browser()
	other.login("frank", e.user("frank", access.RoleApprover))
	_, body = other.get("/models")
	mustContain(t, body, `id="approve-chg-7"`)
	resp, body = other.post("/approvals/chg-7", url.Values{"decision": {"approve"}, "comment": {"regression suite green"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second approver: %d %s", resp.StatusCode, clipBody(body))
	}
	mustContain(t, body, "Approved change chg-7", "No change waits for approval")
	if evs := e.events("change.approved"); len(evs) != 1 || evs[0].Actor.ID != "user:frank" {
		t.Fatalf("approval evidence: %+v", evs)
	}
}

func TestEmptyStatesNameWhatToConfigure(t *testing.T) {
	e := newTestEnv(t, func(d *Deps) { d.Privacy = nil })
	b := e.browser()
	b.login("ada", e.user("ada", access.RoleAdmin))
	for p, want := range map[string]string{
		"/":               "console.Deps.Controls",
		"/controls":       "console.Deps.Controls",
		"/models":         "console.Deps.Approvals",
		"/gateway":        "console.Deps.Gateway",
		"/vendors":        "console.Deps.Vendors",
		"/privacy":        "console.Deps.Privacy",
		"/access-reviews": "console.Deps.Reviews",
		"/audit":          "console.Deps.Audit",
	} {
		resp, body := b.get(p)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
		mustContain(t, body, "Not configured", want)
	}
	// Keys come from the access service and work without the gateway; a
	// human key shows whose it is.
	if _, _, err := e.access.CreateKey(context.Background(), access.Principal{ID: "t", Kind: "cli", Tenant: "default", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman},
		access.KeyRequest{Tenant: "default", Name: "bob-laptop", Role: access.RoleApprover, ActorKind: ledger.ActorHuman, Owner: "bob"}); err != nil {
		t.Fatal(err)
	}
	_, body := b.get("/gateway")
	mustContain(t, body, "API keys", "admin", "owned by bob")
}

func TestRoleGates(t *testing.T) {
	e, _ := worldEnv(t)
	b := e.browser()
	b.login("eng", e.user("eng", access.RoleEngineer))
	if resp, _ := b.get("/users"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("engineer opened /users: %d", resp.StatusCode)
	}
	b.get("/")
	if resp, _ := b.post("/privacy/retention", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("engineer ran retention: %d", resp.StatusCode)
	}
	if _, _, err := e.c.users.create(context.Background(), cliActor, NewUser{Name: "gw", Tenant: "default", Role: access.RoleConsumer}); err == nil {
		t.Fatal("a consumer console user was created")
	}
}

func TestUnauthenticatedRequests(t *testing.T) {
	e, _ := worldEnv(t)
	b := e.browser()
	resp, _ := b.get("/models/support-bot")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fmodels%2Fsupport-bot" {
		t.Fatalf("anonymous GET: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/controls", nil)
	req.Header.Set("HX-Request", "true")
	r2, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(r2.Header.Get("HX-Redirect"), "/login") {
		t.Fatalf("anonymous htmx GET: %d %q", r2.StatusCode, r2.Header.Get("HX-Redirect"))
	}
	if resp, _ := b.post("/approvals/chg-7", url.Values{"decision": {"approve"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("anonymous POST: %d", resp.StatusCode)
	}
}

func TestStaticAssets(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	resp, _ := b.get("/static/console.css?v=" + assetHashes["console.css"])
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("css: %d %q %q", resp.StatusCode, resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Type"))
	}
	if resp, _ := b.get("/static/vendor/htmx.min.js"); resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("unversioned js: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	for _, p := range []string{"/static/vendor/README.md", "/static/../console.go", "/static/nope.js"} {
		if resp, _ := b.get(p); resp.StatusCode == http.StatusOK {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
}
