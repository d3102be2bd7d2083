package app

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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
	pass := 0
	for _, c := range run.Controls {
		if c.Status == controls.Pass {
			pass++
		}
	}
	tr, err := src.Trend(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(tr.Points); n == 0 || tr.Points[n-1].Passing != pass || tr.Points[n-1].Failing != len(run.Controls)-pass {
		t.Errorf("trend = %+v, want today %d passing of %d", tr.Points, pass, len(run.Controls))
	}
	rd, err := src.Readiness(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if rd.Controls != len(run.Controls) || rd.Passing != pass {
		t.Errorf("readiness = %+v, want %d of %d passing", rd, pass, len(run.Controls))
	}
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
	for _, it := range items {
		if it.ID != target {
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
