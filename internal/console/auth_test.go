package console

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/ledger"
)

func TestLoginCreatesHashedSessionAndEvidence(t *testing.T) {
	e := newTestEnv(t, nil)
	pw := e.user("alice", access.RoleCompliance)
	b := e.browser()
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"name": {"alice"}, "password": {pw}, "next": {"/privacy"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/privacy" {
		t.Fatalf("login: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var sess *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == cookieSession && c.Value != "" {
			sess = c
		}
	}
	if sess == nil || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie %+v: want HttpOnly and SameSite=Lax", sess)
	}
	// The store holds the token's hash, never the token.
	docs, err := e.st.ListDocs(context.Background(), sessionKind, globalTenant, "", 10)
	if err != nil || len(docs) != 1 {
		t.Fatalf("sessions: %v %d", err, len(docs))
	}
	if docs[0].ID != tokenID(sess.Value) || strings.Contains(string(docs[0].Data), sess.Value) || docs[0].ID == sess.Value {
		t.Fatal("the session is not stored under the hash of its token")
	}
	evs := e.events(EventLogin)
	if len(evs) != 1 || evs[0].Actor != (ledger.Actor{Kind: ledger.ActorHuman, ID: "user:alice"}) || !strings.Contains(string(evs[0].Body), `"method":"password"`) {
		t.Fatalf("login evidence: %+v", evs)
	}
	if strings.Contains(string(evs[0].Body), pw) {
		t.Fatal("the password reached the ledger")
	}
	_, body := b.get("/")
	mustContain(t, body, "alice", "Sign out")
}

func TestLoginFailures(t *testing.T) {
	e := newTestEnv(t, nil)
	pw := e.user("bob", access.RoleEngineer)
	off := true
	e.user("carol", access.RoleEngineer)
	if _, err := e.c.users.update(context.Background(), cliActor, "carol", UserChange{Disabled: &off}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, user, pw, reason string
	}{
		{"wrong password", "bob", "not-the-password", "bad_password"},
		{"unknown user", "mallory", pw, "unknown_user"},
		{"disabled user", "carol", "whatever-password", "bad_password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := e.browser()
			b.get("/login")
			resp, body := b.post("/login", url.Values{"name": {tc.user}, "password": {tc.pw}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d", resp.StatusCode)
			}
			mustContain(t, body, badLogin)
			evs := e.events(EventLoginFailed)
			last := evs[len(evs)-1]
			if !strings.Contains(string(last.Body), `"reason":"`+tc.reason+`"`) {
				t.Fatalf("failure evidence %s, want reason %s", last.Body, tc.reason)
			}
			if tc.user == "mallory" && (last.Actor != consoleActor || len(last.Subjects) != 0) {
				t.Fatalf("an unknown name reached the ledger: %+v", last)
			}
		})
	}
}

func TestLoginNeedsFormToken(t *testing.T) {
	e := newTestEnv(t, nil)
	pw := e.user("dave", access.RoleAuditor)
	b := e.browser()
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"name": {"dave"}, "password": {pw}, "csrf": {"forged"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("forged login token: status %d", resp.StatusCode)
	}
	if n := len(e.events(EventLogin)); n != 0 {
		t.Fatalf("%d logins recorded", n)
	}
}

func TestLoginRateLimitPerUser(t *testing.T) {
	e := newTestEnv(t, nil)
	pw := e.user("erin", access.RoleApprover)
	b := e.browser()
	for range failuresPerUser {
		b.get("/login")
		b.post("/login", url.Values{"name": {"erin"}, "password": {"guess-guess-guess"}})
	}
	b.get("/login")
	resp, body := b.post("/login", url.Values{"name": {"erin"}, "password": {pw}})
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after %d failures the right password got %d", failuresPerUser, resp.StatusCode)
	}
	mustContain(t, body, "Too many failed sign-ins")
	e.clock.t = e.clock.t.Add(failureWindow + time.Second)
	b.login("erin", pw)
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	e := newTestEnv(t, nil)
	b := e.browser()
	for i := range failuresPerAddress {
		b.get("/login")
		b.post("/login", url.Values{"name": {"nobody" + string(rune('a'+i%26))}, "password": {"x"}})
	}
	b.get("/login")
	resp, _ := b.post("/login", url.Values{"name": {"nobody"}, "password": {"x"}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d after %d failures from one address", resp.StatusCode, failuresPerAddress)
	}
}

func TestLogoutEndsSession(t *testing.T) {
	e := newTestEnv(t, nil)
	pw := e.user("frank", access.RoleOperator)
	b := e.browser()
	b.login("frank", pw)
	if resp, _ := b.post("/logout", url.Values{"csrf": {"wrong"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout without the token: %d", resp.StatusCode)
	}
	resp, _ := b.post("/logout", nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if len(e.events(EventLogout)) != 1 {
		t.Fatal("logout not recorded")
	}
	resp, _ = b.get("/")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("after logout: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	docs, _ := e.st.ListDocs(context.Background(), sessionKind, globalTenant, "", 10)
	if len(docs) != 0 {
		t.Fatalf("%d sessions remain", len(docs))
	}
}

func TestSessionExpires(t *testing.T) {
	e := newTestEnv(t, nil)
	pw := e.user("gina", access.RoleAuditor)
	b := e.browser()
	b.login("gina", pw)
	e.clock.t = e.clock.t.Add(sessionIdle + time.Minute)
	resp, _ := b.get("/controls")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fcontrols" {
		t.Fatalf("idle session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestDisablingSignsOut(t *testing.T) {
	e := newTestEnv(t, nil)
	apw := e.user("root", access.RoleAdmin)
	upw := e.user("hank", access.RoleEngineer)
	admin, user := e.browser(), e.browser()
	admin.login("root", apw)
	user.login("hank", upw)
	admin.get("/users")
	if resp, body := admin.post("/users/hank", url.Values{"op": {"disable"}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("disable: %d %s", resp.StatusCode, clipBody(body))
	}
	if resp, _ := user.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a disabled user still has a session: %d", resp.StatusCode)
	}
	evs := e.events(EventUserUpdated)
	if len(evs) != 1 || evs[0].Actor.ID != "user:root" {
		t.Fatalf("user change evidence: %+v", evs)
	}
	var body map[string]any
	json.Unmarshal(evs[0].Body, &body)
	if body["disabled"] != true {
		t.Fatalf("body %s", evs[0].Body)
	}
}

func TestLastAdminStays(t *testing.T) {
	e := newTestEnv(t, nil)
	pw := e.user("root", access.RoleAdmin)
	b := e.browser()
	b.login("root", pw)
	b.get("/users")
	resp, body := b.post("/users/root", url.Values{"op": {"role"}, "role": {"auditor"}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("demoting the last admin: %d", resp.StatusCode)
	}
	mustContain(t, body, "no enabled admin")
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                     "/",
		"/controls?x=1":        "/controls?x=1",
		"//evil.example/":      "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"/ok\r\nSet-Cookie:":   "/",
		"/\t/evil.example":     "/",
		"/\n/evil.example":     "/",
		"/a\\..\\\\evil":       "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "//x", "/\\x", "http://x", "/a?b=c", "\x00", "/\t/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := safeNext(s)
		u, err := url.Parse(got)
		// What a browser follows: tabs and newlines dropped, backslashes
		// read as slashes.
		followed := strings.NewReplacer("\t", "", "\n", "", "\r", "", "\\", "/").Replace(got)
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(followed, "//") || (err == nil && u.Host != "") {
			t.Fatalf("safeNext(%q) = %q leaves the site", s, got)
		}
	})
}
