package app

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/access"
	"github.com/attest-ai/attest/internal/audit"
	"github.com/attest-ai/attest/internal/console"
	"github.com/attest-ai/attest/internal/controls"
	"github.com/attest-ai/attest/internal/ledger"
)

// TestConsoleControls evaluates the real catalog once and reads it back
// through the console: the list and a control page show the recorded
// status, the timeline points at the control.evaluated entry, and the
// trend and readiness count the same run.
func TestConsoleControls(t *testing.T) {
	e := openConsole(t)
	ctx := context.Background()
	run, err := e.a.Controls.Evaluate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cr := run.Controls[0]
	k, _ := e.a.Controls.Catalog().Control(cr.Control)
	e.page("/controls", cr.Control, html.EscapeString(k.Title))
	e.page("/controls/"+cr.Control, cr.Control, strings.ReplaceAll(string(cr.Status), "_", " "), fmt.Sprintf("ledger entry %d", cr.Index))
	if code, _ := e.get("/controls/no-such-control"); code != http.StatusNotFound {
		t.Errorf("unknown control: status %d, want 404", code)
	}

	src := consoleControls{eng: e.a.Controls, now: time.Now}
	d, err := src.Control(ctx, "", cr.Control)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.History) != 1 || d.History[0].Index != cr.Index || d.History[0].Status != string(cr.Status) {
		t.Errorf("history = %+v, want the one evaluation at %d", d.History, cr.Index)
	}
	if len(d.Evidence) == 0 || d.Evidence[0].Index != cr.Index {
		t.Errorf("evidence = %+v, want the evaluation %d first", d.Evidence, cr.Index)
	}
	pass, failing := 0, 0
	for _, c := range run.Controls {
		switch {
		case c.Status == controls.Pass:
			pass++
		case c.Status.Failing():
			failing++
		}
	}
	// The default configuration's only provider is the secretless demo
	// model: AI-SEC-05 has nothing to rotate.
	if cr, _ := run.Result("AI-SEC-05"); cr.Status != controls.NotApplicable {
		t.Fatalf("AI-SEC-05 is %s (%s), want not applicable", cr.Status, cr.Reason)
	}
	na := len(run.Controls) - pass - failing
	tr, err := src.Trend(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// Not applicable counts as neither passing nor failing.
	if n := len(tr.Points); n == 0 || tr.Points[n-1].Passing != pass || tr.Points[n-1].Failing != failing {
		t.Errorf("trend = %+v, want today %d passing and %d failing", tr.Points, pass, failing)
	}
	rd, err := src.Readiness(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if rd.Controls != len(run.Controls) || rd.Passing != pass || rd.NotApplicable != na || rd.Applicable() != len(run.Controls)-na {
		t.Errorf("readiness = %+v, want %d of %d passing, %d not applicable", rd, pass, len(run.Controls), na)
	}
	e.page("/controls?status=not_applicable", "AI-SEC-05", "every provider is secretless (demo)")
}

// TestConsoleAccessReview starts a campaign and decides it through the
// console: a revoke alone applies nothing, and the decision that leaves
// nothing undecided completes the campaign and revokes the key.
func TestConsoleAccessReview(t *testing.T) {
	e := openConsole(t)
	ctx, tenant := context.Background(), e.a.Config.Tenant
	admin := access.Principal{ID: "ops", Kind: "user", Tenant: tenant, Name: "ops", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	_, key, err := e.a.Access.CreateKey(ctx, admin, access.KeyRequest{Tenant: tenant, Name: "old-batch-job", Role: access.RoleConsumer})
	if err != nil {
		t.Fatal(err)
	}
	rev, items, err := e.a.Reviews.Start(ctx, admin, access.StartRequest{Tenant: tenant})
	if err != nil {
		t.Fatal(err)
	}
	e.page("/access-reviews", rev.ID)
	e.page("/access-reviews/"+rev.ID, "old-batch-job")
	target := "key:" + key.ID
	active := func() bool {
		ks, err := e.a.Store.Keys(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			if k.ID == key.ID {
				return k.Revoked.IsZero()
			}
		}
		t.Fatalf("key %s is gone", key.ID)
		return false
	}
	decide := func(item, decision string) {
		t.Helper()
		code, body := e.post("/access-reviews/"+rev.ID+"/items/"+url.PathEscape(item), url.Values{"decision": {decision}})
		if code != http.StatusOK {
			t.Fatalf("decide %s %s: status %d\n%.2000s", decision, item, code, body)
		}
	}
	decide(target, "revoke")
	if !active() {
		t.Fatal("the key was revoked before the review completed")
	}
	// alice, the signed-in admin, may not decide on her own access.
	for _, own := range []string{"user:alice", "role:admin"} {
		if code, _ := e.post("/access-reviews/"+rev.ID+"/items/"+url.PathEscape(own), url.Values{"decision": {"keep"}}); code != http.StatusConflict {
			t.Fatalf("alice deciding %s: status %d, want 409", own, code)
		}
		if _, err := e.a.Reviews.Decide(ctx, admin, rev.ID, own, access.Keep, ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, it := range items {
		if it.ID != target && it.ID != "user:alice" && it.ID != "role:admin" {
			decide(it.ID, "keep")
		}
	}
	if active() {
		t.Fatal("the key is still active after the review decided to revoke it")
	}
	got, _, err := e.a.Reviews.Get(ctx, rev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Completed.IsZero() || got.Revoked != 1 {
		t.Errorf("review = %+v, want completed with one key revoked", got)
	}
	if code, _ := e.get("/access-reviews/ar-none"); code != http.StatusNotFound {
		t.Errorf("unknown review: status %d, want 404", code)
	}
}

// consoleUser creates a console user as the users command does and signs
// them in with a browser of their own.
func (e *consoleEnv) consoleUser(name string, role access.Role) (*consoleEnv, string) {
	e.t.Helper()
	var out bytes.Buffer
	if err := console.CLI(context.Background(), []string{"create", "--name", name, "--role", string(role), "--tenant", e.a.Config.Tenant}, &out, io.Discard); err != nil {
		e.t.Fatal(err)
	}
	_, pw, ok := strings.Cut(out.String(), "shown only once:")
	if !ok {
		e.t.Fatalf("no password in %q", out.String())
	}
	pw = strings.TrimSpace(pw)
	jar, _ := cookiejar.New(nil)
	u := &consoleEnv{t: e.t, a: e.a, srv: e.srv, hc: &http.Client{Jar: jar, CheckRedirect: e.hc.CheckRedirect}}
	u.get("/login")
	if code, body := u.post("/login", url.Values{"name": {name}, "password": {pw}}); code != http.StatusSeeOther {
		e.t.Fatalf("login %s: status %d: %s", name, code, body)
	}
	if code, _ := u.get("/"); code != http.StatusOK {
		e.t.Fatalf("%s is not signed in: status %d", name, code)
	}
	return u, pw
}

// TestConsoleAccessReviewUsers reviews console users through the console:
// a revoked user is signed out and cannot sign in again once the campaign
// completes, and a campaign that would disable the last admin is refused.
func TestConsoleAccessReviewUsers(t *testing.T) {
	e := openConsole(t)
	ctx, tenant := context.Background(), e.a.Config.Tenant
	ops := access.Principal{ID: "ops", Kind: "user", Tenant: tenant, Name: "ops", Role: access.RoleAdmin, ActorKind: ledger.ActorHuman}
	carol, pw := e.consoleUser("carol", access.RoleEngineer)

	// run starts a campaign, revokes the given items and keeps the rest.
	// alice's own items are decided by ops; the rest through the console,
	// where the last decision completes the campaign.
	run := func(revoke ...string) (access.Review, int, string) {
		t.Helper()
		rev, items, err := e.a.Reviews.Start(ctx, ops, access.StartRequest{Tenant: tenant})
		if err != nil {
			t.Fatal(err)
		}
		e.page("/access-reviews/"+rev.ID, "carol", "signs in with password", "tenant "+tenant)
		decision := func(id string) string {
			if slices.Contains(revoke, id) {
				return access.Revoke
			}
			return access.Keep
		}
		var code int
		var body string
		for _, it := range items {
			if it.ID == "user:alice" || it.ID == "role:admin" {
				if _, err := e.a.Reviews.Decide(ctx, ops, rev.ID, it.ID, decision(it.ID), ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, it := range items {
			if it.ID != "user:alice" && it.ID != "role:admin" {
				code, body = e.post("/access-reviews/"+rev.ID+"/items/"+url.PathEscape(it.ID), url.Values{"decision": {decision(it.ID)}})
			}
		}
		got, _, err := e.a.Reviews.Get(ctx, rev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got, code, body
	}

	// alice is the only admin: revoking her is refused, by name, and
	// nothing is applied.
	got, code, body := run("user:alice", "user:carol")
	if code != http.StatusConflict || !strings.Contains(html.UnescapeString(body), "revoking user alice") || !got.Completed.IsZero() {
		t.Fatalf("revoking the last admin: status %d, completed %v\n%.2000s", code, got.Completed, body)
	}
	if code, _ := carol.get("/"); code != http.StatusOK {
		t.Fatalf("a refused campaign signed carol out: status %d", code)
	}

	got, code, body = run("user:carol")
	if code != http.StatusOK || got.Completed.IsZero() || got.Revoked != 1 {
		t.Fatalf("revoking carol: status %d, review %+v\n%.2000s", code, got, body)
	}
	if code, _ := carol.get("/"); code != http.StatusSeeOther {
		t.Fatalf("carol's session survived her revocation: status %d", code)
	}
	carol.get("/login")
	if code, _ := carol.post("/login", url.Values{"name": {"carol"}, "password": {pw}}); code == http.StatusSeeOther {
		t.Fatal("carol signed in after the review revoked her")
	}
	if code, _ := e.get("/"); code != http.StatusOK {
		t.Fatalf("the kept admin was signed out: status %d", code)
	}
	es, err := e.a.Store.QueryLedger(ctx, ledger.Query{Type: console.EventUserUpdated, Subject: &ledger.Ref{Kind: "console_user", ID: "carol"}, Limit: 10})
	if err != nil || len(es) != 1 || !strings.Contains(string(es[0].Data), `"reason":"access review `+got.ID+`"`) {
		t.Fatalf("carol's disable is not in the ledger as the review's: %v %d", err, len(es))
	}
}

// TestConsoleAuditExport runs the real exporter over a short period and
// checks the package it wrote carries a valid manifest.
func TestConsoleAuditExport(t *testing.T) {
	e := openConsole(t)
	ctx := context.Background()
	if _, err := e.a.Controls.Evaluate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	dir := filepath.Join(t.TempDir(), "pkg")
	var stages []string
	pkg, err := consoleAudit{a: e.a}.Export(ctx, console.AuditRequest{
		Tenant: e.a.Config.Tenant, From: now.Add(-controls.Day), To: now.Add(time.Minute), Seed: "s33d", Dir: dir,
		Actor:    console.User{Name: "alice"}.Actor(),
		Progress: func(stage string, done, total uint64) { stages = append(stages, stage) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, audit.ManifestFile)); err != nil {
		t.Fatalf("package has no manifest: %v", err)
	}
	sum, files, err := audit.CheckManifest(os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	if sum != pkg.Manifest || files != pkg.Files || pkg.ID == "" {
		t.Errorf("package = %+v, manifest %s over %d files", pkg, sum, files)
	}
	if _, err := os.Stat(pkg.Zip); err != nil {
		t.Errorf("no zip: %v", err)
	}
	if len(stages) == 0 {
		t.Error("the exporter reported no progress")
	}
}
